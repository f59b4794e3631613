"""The reception rotation (排轮): rules B1, B3-B10, pure policy."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cla_tools import rotation_policy as rot

DAY = date(2026, 3, 2)  # a Monday
A, B, C, D = 1, 2, 3, 4
POLICY = rot.RotationPolicy()
MAKEUP = rot.RotationPolicy(makeup_turns=True)


def rotation(*statuses, **kwargs):
    """A rotation of A, B, C (, D) with the given statuses (default: all available)."""
    ids = [A, B, C, D][: max(3, len(statuses))]
    statuses = list(statuses) + [rot.AVAILABLE] * (len(ids) - len(statuses))
    members = tuple(rot.Member(uid, status) for uid, status in zip(ids, statuses, strict=True))
    return rot.Rotation(DAY, members, **kwargs)


def done(rotation_, user_id):
    """The member finished receiving."""
    return rot.set_status(rotation_, user_id, rot.AVAILABLE).rotation


def events(outcome):
    return [(turn.event, turn.user_id, turn.reason.rule) for turn in outcome.turns]


# -- B1 -----------------------------------------------------------------------


def test_b1_first_receiver_advances_every_week_day_or_never():
    monday, tuesday, next_monday = DAY, date(2026, 3, 3), date(2026, 3, 9)
    assert rot.first_receiver(monday, 3, rot.WEEKLY) == rot.first_receiver(
        date(2026, 3, 8), 3, rot.WEEKLY
    )
    assert (rot.first_receiver(next_monday, 3, rot.WEEKLY) - 1) % 3 == rot.first_receiver(
        monday, 3, rot.WEEKLY
    )
    assert (rot.first_receiver(tuesday, 3, rot.DAILY) - 1) % 3 == rot.first_receiver(
        monday, 3, rot.DAILY
    )
    assert rot.first_receiver(next_monday, 3, rot.NEVER) == 0
    assert rot.first_receiver(monday, 0, rot.WEEKLY) == 0


def test_b1_walk_ins_go_round_the_seats_from_the_first_receiver():
    r = rotation(start=1)
    received = []
    for _ in range(6):
        outcome = rot.take_turn(r)
        received.append(outcome.receiver_id)
        r = done(outcome.rotation, outcome.receiver_id)
    assert received == [B, C, A, B, C, A]
    assert [m.count for m in r.members] == [2, 2, 2]


def test_b1_off_out_and_busy_members_are_skipped_one_group_at_a_time():
    r = rotation(rot.OFF, rot.RECEIVING, rot.AVAILABLE, rot.OUT)
    outcome = rot.take_turn(r)
    assert outcome.receiver_id == C
    assert events(outcome) == [
        (rot.SKIPPED, A, "B1"),
        (rot.SKIPPED, B, "B1"),
        (rot.TAKEN, C, "B1"),
    ]
    assert outcome.rotation.member(C).status == rot.RECEIVING
    with pytest.raises(rot.NobodyAvailable):
        rot.take_turn(outcome.rotation)


def test_b1_event_mode_lets_members_receive_several_groups():
    r = rotation(rot.RECEIVING, rot.RECEIVING, rot.RECEIVING, event_mode=True)
    first = rot.take_turn(r)
    second = rot.take_turn(first.rotation)
    assert (first.receiver_id, second.receiver_id) == (A, B)
    assert rot.take_turn(rotation(rot.SIGNING, event_mode=True)).receiver_id == B


# -- B3 / B4 ------------------------------------------------------------------


def test_b4_returning_customer_to_the_owner_whose_next_turn_is_skipped():
    r = rotation()
    outcome = rot.receive_returning(r, B, POLICY)
    assert outcome.receiver_id == B
    assert events(outcome) == [(rot.RETURNING, B, "B4")]
    r = done(outcome.rotation, B)
    first = rot.take_turn(r)  # A
    second = rot.take_turn(done(first.rotation, A))  # B's turn is skipped: C
    assert (first.receiver_id, second.receiver_id) == (A, C)
    assert (rot.SKIPPED, B, "B4") in events(second)
    assert [m.count for m in second.rotation.members] == [1, 1, 1]


def test_b4_no_skip_when_the_policy_says_so():
    quiet = rot.RotationPolicy(skip_after_returning=False)
    outcome = rot.receive_returning(rotation(), B, quiet)
    assert events(outcome) == [(rot.RETURNING, B, "B3")]
    assert not outcome.rotation.member(B).skip_next


def test_b4_make_up_turn_when_it_was_the_owners_turn_used_the_same_day():
    r = rotation()  # A's turn
    outcome = rot.receive_returning(r, A, MAKEUP)
    assert events(outcome) == [(rot.RETURNING, A, "B4"), (rot.OWED, A, "B4")]
    nxt = rot.take_turn(outcome.rotation)  # the new visitor goes to B
    assert nxt.receiver_id == B
    back = rot.take_turn(done(nxt.rotation, A))  # A, free again, uses the make-up turn
    assert back.receiver_id == A
    assert events(back)[-1] == (rot.USED, A, "B4")
    assert not back.rotation.member(A).makeup
    after = rot.take_turn(done(done(back.rotation, A), B))  # the order goes on: C
    assert after.receiver_id == C


def test_b4_an_unused_make_up_turn_lapses_at_the_end_of_the_day():
    r = rot.receive_returning(rotation(), A, MAKEUP).rotation
    lapsed = rot.lapse_makeups(r)
    assert events(lapsed) == [(rot.LAPSED, A, "B4")]
    assert not any(m.makeup for m in lapsed.rotation.members)


# -- B5 - B8 ------------------------------------------------------------------


def test_b5_owner_off_the_member_in_turn_receives_as_helper():
    outcome = rot.receive_returning(rotation(rot.AVAILABLE, rot.OUT), B, POLICY)
    assert outcome.receiver_id == A
    assert events(outcome)[-1] == (rot.HELPER, A, "B5")
    assert outcome.turns[-1].owner_id == B
    assert outcome.rotation.member(A).count == 1
    assert sum(turn.counted for turn in outcome.turns) == 1


def test_b6_owner_receiving_the_reverse_rotation_helps():
    outcome = rot.receive_returning(rotation(rot.RECEIVING), A, POLICY)
    assert outcome.receiver_id == C  # the last in order first (倒排轮)
    assert events(outcome) == [(rot.HELPER, C, "B6")]


def test_b7_owner_signing_the_last_continues_the_paperwork():
    outcome = rot.receive_returning(rotation(rot.SIGNING), A, POLICY)
    assert (outcome.receiver_id, outcome.helper_id) == (A, C)
    assert outcome.rotation.member(C).status == rot.SIGNING
    assert outcome.rotation.member(A).status == rot.RECEIVING
    assert events(outcome) == [(rot.HELPER, C, "B7")]


def test_b8_closed_customers_never_count():
    free = rot.receive_returning(rotation(), B, POLICY, closed=True)
    assert (free.receiver_id, free.rotation.member(B).count) == (B, 0)
    assert not free.rotation.member(B).skip_next
    busy = rot.receive_returning(rotation(rot.AVAILABLE, rot.RECEIVING), B, POLICY, closed=True)
    assert busy.receiver_id == C
    assert events(busy) == [(rot.HELPER, C, "B8")]
    assert [m.count for m in busy.rotation.members] == [0, 0, 0]


# -- B9 / B10 / override ------------------------------------------------------


def test_b9_language_barrier_the_next_becomes_owner_and_the_first_keeps_the_count():
    first = rot.take_turn(rotation())  # A
    handed = rot.hand_off(first.rotation, A)
    assert handed.receiver_id == B
    assert events(handed) == [(rot.HANDOFF, B, "B9")]
    assert [m.count for m in handed.rotation.members] == [1, 0, 0]
    assert handed.rotation.member(A).status == rot.AVAILABLE
    assert rot.take_turn(done(handed.rotation, B)).receiver_id == C


def test_b10_a_buyers_friends_go_to_the_buyers_owner():
    present = rot.receive_friends(rotation(), B)  # not B's turn: no make-up
    assert events(present) == [(rot.RETURNING, B, "B10")]
    owed = rot.receive_friends(rotation(), A)  # A's turn: a make-up turn
    assert events(owed) == [(rot.RETURNING, A, "B10"), (rot.OWED, A, "B10")]
    absent = rot.receive_friends(rotation(rot.AVAILABLE, rot.OFF), B)
    assert absent.receiver_id == C
    assert events(absent) == [(rot.HELPER, C, "B10")]
    assert absent.rotation.member(C).count == 0


def test_b1_the_managers_override_is_recorded_and_keeps_the_order():
    outcome = rot.override(rotation(), C, "客户点名要张伟")
    assert events(outcome) == [(rot.OVERRIDE, C, "B1")]
    assert rot.take_turn(outcome.rotation).receiver_id == A


def test_rotation_policy_problems():
    assert rot.RotationPolicy().problems() == []
    assert rot.RotationPolicy(advance="monthly", drop_amount=-1).problems() == [
        "advance",
        "drop_amount",
    ]


# -- properties ---------------------------------------------------------------

STATUS = st.sampled_from([rot.AVAILABLE, rot.AVAILABLE, rot.AVAILABLE, rot.OFF, rot.OUT])


@st.composite
def days(draw):
    """A day: seats with all-day statuses, then arrivals of new walk-ins,
    returning visitors (some closed) and friends of buyers, each reception
    ending before the next arrival."""
    size = draw(st.integers(2, 7))
    statuses = draw(st.lists(STATUS, min_size=size, max_size=size))
    start = draw(st.integers(0, size - 1))
    arrivals = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["new", "new", "new", "returning", "closed", "friends"]),
                st.integers(0, size - 1),
            ),
            max_size=40,
        )
    )
    policy = draw(st.sampled_from([POLICY, MAKEUP, rot.RotationPolicy(skip_after_returning=False)]))
    members = tuple(rot.Member(uid, status) for uid, status in enumerate(statuses, start=1))
    return rot.Rotation(DAY, members, start=start), arrivals, policy


def play(r, arrivals, policy):
    """Run a day; returns the rotation and all turn events."""
    turns = []
    for kind, seat in arrivals:
        owner = r.members[seat].user_id
        try:
            if kind == "new":
                outcome = rot.take_turn(r)
            elif kind == "friends":
                outcome = rot.receive_friends(r, owner)
            else:
                outcome = rot.receive_returning(r, owner, policy, closed=kind == "closed")
        except rot.NobodyAvailable:
            continue
        turns.extend(outcome.turns)
        r = outcome.rotation
        for member in r.members:  # each reception ends before the next arrival
            if member.status in rot.BUSY:
                r = r.with_member(member.user_id, status=rot.AVAILABLE)
    return r, turns


@settings(max_examples=300, deadline=None)
@given(days())
def test_b1_everyone_available_gets_a_turn_before_anyone_gets_a_second(day):
    """Without returning visitors, new walk-ins go round the available seats."""
    r, arrivals, policy = day
    only_new = [(kind, seat) for kind, seat in arrivals if kind == "new"]
    _r, turns = play(r, only_new, policy)
    taken = [turn.user_id for turn in turns if turn.event == rot.TAKEN]
    available = [m.user_id for m in r.members if m.status == rot.AVAILABLE]
    for begin in range(0, len(taken), len(available) or 1):
        window = taken[begin : begin + len(available)]
        assert len(window) == len(set(window)), taken


@settings(max_examples=300, deadline=None)
@given(days())
def test_b4_make_up_turns_are_used_or_lapse_the_same_day(day):
    r, arrivals, policy = day
    r, turns = play(r, arrivals, policy)
    end = rot.lapse_makeups(r)
    turns.extend(end.turns)
    owed = sum(turn.event == rot.OWED for turn in turns)
    settled = sum(turn.event in (rot.USED, rot.LAPSED) for turn in turns)
    assert owed == settled
    assert not any(member.makeup for member in end.rotation.members)


@settings(max_examples=300, deadline=None)
@given(days())
def test_b8_counts_never_include_closed_customers(day):
    r, arrivals, policy = day
    final, turns = play(r, arrivals, policy)
    with_closed = sum(m.count for m in final.members)
    without, _turns = play(r, [a for a in arrivals if a[0] != "closed"], policy)
    assert with_closed == sum(m.count for m in without.members)
    assert with_closed == sum(turn.counted for turn in turns)


@settings(max_examples=300, deadline=None)
@given(days())
def test_b1_daily_counts_stay_even_up_to_skips_and_make_ups(day):
    """The spread of the day's counts among members available all day is at
    most 1 plus the skips and make-up turns they were owed."""
    r, arrivals, policy = day
    final, turns = play(r, arrivals, policy)
    available = [m.user_id for m in r.members if m.status == rot.AVAILABLE]
    if not available:
        return
    counts = [final.member(uid).count for uid in available]
    owed = sum(
        1
        for turn in turns
        if turn.user_id in available
        and (
            turn.event in (rot.OWED, rot.RETURNING, rot.HELPER)
            or (turn.event == rot.SKIPPED and turn.reason.rule == "B4")
        )
    )
    assert rot.fair_spread(counts) <= 1 + owed

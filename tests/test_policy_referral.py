"""Referrals and reports (D1-D4): the pure policy, without a database.

Property tests: a chain never has a cycle whatever links are attempted, and
the owner of a referral (D1) depends on the chain, not on the order in which
its links were registered.
"""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cla_tools import referral_policy as rf
from cla_tools import vocabulary as v

T0 = datetime(2026, 3, 2, 10, 0)
POLICY = v.Policy()
A, B, C = 1, 2, 3  # salespeople


def link(pid, owner=None, state="", can_own=True):
    return rf.Link(pid, f"customer {pid}", owner, state, can_own)


def report(kind=rf.REFERRAL, by=A, days_ago=1, confirmed=True, can_own=True):
    return rf.Report(kind, by, T0 - timedelta(days=days_ago), confirmed, can_own)


# --- D1: the chain --------------------------------------------------------


def test_d1_present_referrer_brings_the_customer_to_the_referrers_owner():
    decision = rf.decide_referral([link(10, A, v.PROTECTED)], True, None, T0, POLICY)
    assert (decision.counted, decision.owner_id, decision.through_id) == (True, A, 10)
    assert decision.reason.rule == "D1"


def test_d1_a_closed_customer_brings_the_customer_to_its_owner():
    decision = rf.decide_referral([link(10, B, v.LOCKED)], True, None, T0, POLICY)
    assert decision.owner_id == B


def test_d1_the_chain_continues_through_a_referrer_nobody_holds():
    # 甲 (A's) brought 乙, now in the pool; 乙 brings 丙: 丙 is A's
    chain = [link(20, None, v.POOL), link(10, A, v.PROTECTED)]
    decision = rf.decide_referral(chain, True, None, T0, POLICY)
    assert (decision.owner_id, decision.through_id) == (A, 10)


def test_d1_nobody_holds_anyone_in_the_chain_new_for_the_rotation():
    chain = [link(20, None, v.POOL), link(10)]
    decision = rf.decide_referral(chain, True, None, T0, POLICY)
    assert (decision.counted, decision.owner_id, decision.reason.rule) == (False, None, "D1")


def test_d1_chain_root_and_depth():
    referrer_of = {2: 1, 3: 2, 4: 3}
    assert rf.chain_of(referrer_of, 4) == [3, 2, 1]
    assert rf.root_and_depth(referrer_of, 4) == (1, 3)
    assert rf.root_and_depth(referrer_of, 1) == (None, 0)


def test_d1_a_cycle_is_detected():
    referrer_of = {2: 1, 3: 2}
    assert rf.would_cycle(referrer_of, 1, 3)  # 丙 named as 甲's referrer
    assert rf.would_cycle(referrer_of, 1, 1)
    assert not rf.would_cycle(referrer_of, 4, 3)
    assert not rf.would_cycle(referrer_of, 1, None)


def test_d1_a_cycle_already_stored_does_not_loop():
    assert rf.chain_of({1: 2, 2: 1}, 1) == [2]


# --- D2: when a referral counts ------------------------------------------


def test_d2_a_chance_meeting_does_not_count():
    decision = rf.decide_referral([link(10, A, v.PROTECTED)], False, None, T0, POLICY)
    assert (decision.counted, decision.owner_id, decision.reason.rule) == (False, None, "D2")


def test_d2_a_confirmed_report_counts_without_the_referrer():
    decision = rf.decide_referral([link(10, A, v.PROTECTED)], False, report(), T0, POLICY)
    assert (decision.counted, decision.owner_id) == (True, A)


@pytest.mark.parametrize(
    ("stored", "confirmed", "days_ago", "word"),
    [
        ("draft", False, 1, "not confirmed by the manager"),
        ("refused", False, 1, "refused by the manager"),
        ("confirmed", True, 30, "expired"),
        ("confirmed", True, 45, "expired"),
    ],
)
def test_d2_an_unconfirmed_or_expired_report_does_not_count(stored, confirmed, days_ago, word):
    rep = report(confirmed=confirmed, days_ago=days_ago)
    decision = rf.decide_referral(
        [link(10, A, v.PROTECTED)], False, rep, T0, POLICY, report_status=stored
    )
    assert (decision.counted, decision.owner_id, decision.reason.rule) == (False, None, "D2")
    assert decision.reason.args["state"].text == word


def test_d2_report_expires_after_the_policy_days():
    policy = v.Policy(referral_report_days=10)
    rep = report(days_ago=0)
    assert rf.report_valid(rep, T0 + timedelta(days=9, hours=23), policy)
    assert not rf.report_valid(rep, T0 + timedelta(days=10), policy)
    assert not rf.report_valid(rep, T0 - timedelta(minutes=1), policy)  # before it was made


# --- D3: the owner left ---------------------------------------------------


def test_d3_the_owner_left_the_on_duty_salesperson_owns():
    chain = [link(10, A, v.PROTECTED, can_own=False)]
    decision = rf.decide_referral(chain, True, None, T0, POLICY)
    assert (decision.counted, decision.owner_id, decision.reason.rule) == (True, None, "D3")


def test_d3_a_customer_on_the_handover_list_means_its_owner_left():
    chain = [link(20, None, v.POOL), link(10, A, v.HANDOVER), link(5, B, v.PROTECTED)]
    decision = rf.decide_referral(chain, True, None, T0, POLICY)
    assert (decision.owner_id, decision.through_id, decision.reason.rule) == (None, 10, "D3")


# --- D4: relatives and friends -------------------------------------------


def test_d4_a_reported_relative_belongs_to_the_salesperson():
    decision = rf.decide_referral([], False, report(rf.RELATION, by=C), T0, POLICY)
    assert (decision.owner_id, decision.reason.rule) == (C, "D4")


def test_d4_a_relative_of_a_salesperson_who_left_goes_to_the_on_duty_salesperson():
    rep = report(rf.RELATION, by=C, can_own=False)
    decision = rf.decide_referral([], False, rep, T0, POLICY)
    assert (decision.counted, decision.owner_id, decision.reason.rule) == (True, None, "D4")


def test_d4_an_unreported_relative_is_new():
    rep = report(rf.RELATION, by=C, confirmed=False)
    decision = rf.decide_referral([], False, rep, T0, POLICY, report_status="draft")
    assert (decision.counted, decision.owner_id) == (False, None)


# --- properties -----------------------------------------------------------

edges = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), max_size=40)


def link_all(pairs):
    """Add (partner, referrer) links in order, refusing cycles as the ORM does."""
    referrer_of = {}
    for partner, referrer in pairs:
        if partner in referrer_of or rf.would_cycle(referrer_of, partner, referrer):
            continue
        referrer_of[partner] = referrer
    return referrer_of


@settings(max_examples=300, deadline=None)
@given(edges)
def test_d1_property_a_chain_never_has_a_cycle(pairs):
    referrer_of = link_all(pairs)
    for partner in referrer_of:
        seen, current = set(), partner
        while current in referrer_of:
            assert current not in seen
            seen.add(current)
            current = referrer_of[current]


@settings(max_examples=200, deadline=None)
@given(
    edges,
    st.randoms(use_true_random=False),
    st.dictionaries(st.integers(1, 12), st.sampled_from([None, A, B, C])),
)
def test_d1_property_owner_does_not_depend_on_registration_order(pairs, rnd, owners):
    referrer_of = link_all(pairs)
    links = list(referrer_of.items())
    shuffled = links[:]
    rnd.shuffle(shuffled)
    other = link_all(shuffled)
    assert other == referrer_of  # an acyclic set of links is accepted in any order

    def resolve(table, partner):
        chain = [
            link(pid, owners.get(pid), v.PROTECTED if owners.get(pid) else "")
            for pid in rf.chain_of(table, partner)
        ]
        return rf.decide_referral(chain, True, None, T0, POLICY).owner_id

    for partner in referrer_of:
        assert resolve(referrer_of, partner) == resolve(other, partner)
        assert rf.root_and_depth(referrer_of, partner) == rf.root_and_depth(other, partner)

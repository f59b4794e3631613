"""Registration and phone lookup (判客): rules A1, A3, A4, B2, B3, C1, E3, E7, F1."""

from datetime import datetime, timedelta

import pytest

from cla_tools import registration_policy as rp
from cla_tools import vocabulary as v

T0 = datetime(2026, 3, 2, 10, 0)
POLICY = v.Policy()  # visit 10, call 15, channel 15, first follow-up 2
PHONE = "+8613800138000"
ALICE, BOB, CAROL = 11, 12, 13


def register(kind, receiver, at, known=None, policy=POLICY, source=""):
    reg = v.Registration(kind, PHONE, "Zhang San", receiver, at, source)
    return rp.decide_registration(reg, known, policy)


# -- A1 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, phone, receiver, codes",
    [
        ("", "13800138000", ALICE, ["name_missing"]),
        ("   ", "13800138000", ALICE, ["name_missing"]),
        ("123", "13800138000", ALICE, ["name_invalid"]),
        ("张", "", ALICE, ["phone_missing"]),
        ("张", "abc", ALICE, ["phone_not_number"]),
        ("张", "12", ALICE, ["phone_not_number"]),
        ("张", "138 0013 8000", None, ["receiver_missing"]),
        ("", "", None, ["name_missing", "phone_missing", "receiver_missing"]),
    ],
)
def test_a1_registration_problems(name, phone, receiver, codes):
    """A1: a customer needs at least a surname and a real phone number."""
    assert [code for code, _args in rp.registration_problems(name, phone, receiver)] == codes


@pytest.mark.parametrize(
    "name, phone",
    [("张", "13800138000"), ("Zhang San", "+86 138 0013 8000"), ("王先生", "(010) 6552-9988")],
)
def test_a1_surname_and_phone_are_enough(name, phone):
    """A1: a surname alone is a valid name; separators in phones are fine."""
    assert rp.registration_problems(name, phone, ALICE) == []


def test_a1_long_names_are_refused_and_echoes_are_cut():
    """A1: a name has a sensible maximum length; refusals repeat at most a
    readable part of what was typed."""
    problems = rp.registration_problems("张" * 10000, "1" * 10000, ALICE)
    assert [code for code, _args in problems] == ["name_too_long", "phone_not_number"]
    assert problems[0][1] == {"length": 10000, "max": rp.NAME_MAX_LENGTH}
    assert len(problems[1][1]["phone"]) <= rp.ECHO_MAX_LENGTH
    assert rp.registration_problems("张" * rp.NAME_MAX_LENGTH, "13800138000", ALICE) == []


@pytest.mark.parametrize(
    "typed, cleaned",
    [
        ("(+86) 138-0013-8000", "+86 138-0013-8000"),
        ("( +86 )13800138000", "+86 13800138000"),
        ("(010) 6552-9988", "(010) 6552-9988"),
        (" 138 0013 8000 ", "138 0013 8000"),
    ],
)
def test_a2_a_country_code_in_brackets_is_a_usual_writing(typed, cleaned):
    """A2: ``(+86) 138-0013-8000`` is a normal way of writing a Chinese mobile."""
    assert rp.clean_phone(typed) == cleaned
    assert rp.registration_problems("张", typed, ALICE) == []


def test_a3_a4_unknown_kind_or_channel_is_a_problem_not_a_crash():
    """A3 / A4: an unknown registration kind or source channel is refused with a message."""
    problems = rp.registration_problems("张", "13800138000", ALICE, "bogus", "nowhere")
    assert problems == [
        ("kind_unknown", {"kind": "bogus"}),
        ("channel_unknown", {"channel": "nowhere"}),
    ]


def test_a1_every_problem_has_a_message():
    for message in rp.PROBLEM_MESSAGES.values():
        assert "(A" in message


# -- A3 / B2 / C1: a new phone ---------------------------------------------


def test_b2_new_visit_receiver_is_first_receiver_and_owner():
    """B2 (A3): the receiver of a new walk-in owns it; E2 follow-up due in 2 days."""
    decision = register(v.VISIT, ALICE, T0)
    assert decision.outcome == v.NEW
    assert decision.rule == "B2"
    customer = decision.customer
    assert (customer.owner_id, customer.first_receiver_id) == (ALICE, ALICE)
    assert customer.first_contact_at == customer.owner_since == T0
    assert customer.protected_until == T0 + timedelta(days=10)
    assert customer.state == v.PROTECTED
    assert customer.visited
    assert decision.first_follow_up_due == T0 + timedelta(days=2)
    assert decision.previous_owner_id is None and decision.ownership_changed
    assert "10 days" in decision.reason.render()


def test_c1_new_call_receiver_owns_with_call_period():
    """C1: the first caller's receiver owns the customer, call period 15 days."""
    decision = register(v.CALL, BOB, T0)
    assert decision.rule == "C1"
    assert decision.customer.owner_id == BOB
    assert decision.customer.protected_until == T0 + timedelta(days=15)
    assert not decision.customer.visited
    assert decision.first_follow_up_due is None  # E2 counts from a first visit


def test_a3_channel_registration_starts_ownership():
    """A3: a channel registration (渠道报备) starts ownership, 15 days."""
    decision = register(v.CHANNEL, CAROL, T0)
    assert decision.rule == "A3"
    assert decision.customer.owner_id == CAROL
    assert decision.customer.protected_until == T0 + timedelta(days=15)


def test_a4_source_channel_defaults_from_kind_and_can_be_given():
    """A4: every customer has a source channel."""
    assert register(v.VISIT, ALICE, T0).customer.source_channel == "visit"
    assert register(v.CALL, ALICE, T0).customer.source_channel == "call"
    assert register(v.VISIT, ALICE, T0, source="referral").customer.source_channel == "referral"
    with pytest.raises(ValueError):
        register(v.VISIT, ALICE, T0, source="billboard")


def test_policy_days_are_used():
    policy = v.Policy(visit_days=7, call_days=14, channel_days=30, first_follow_up_days=1)
    decision = register(v.VISIT, ALICE, T0, policy=policy)
    assert decision.customer.protected_until == T0 + timedelta(days=7)
    assert decision.first_follow_up_due == T0 + timedelta(days=1)
    assert register(v.CALL, ALICE, T0, policy=policy).customer.protected_until == T0 + timedelta(
        days=14
    )


def test_policy_problems_flag_non_positive_days():
    assert v.Policy().problems() == []
    assert v.Policy(visit_days=0, call_days=-1).problems() == ["visit_days", "call_days"]


# -- B3: a returning customer ------------------------------------------------


def test_b3_returning_within_protection_goes_to_owner():
    """B3: within protection the owner keeps the customer; the visit extends it (E1)."""
    first = register(v.VISIT, ALICE, T0).customer
    at = T0 + timedelta(days=4)
    decision = register(v.VISIT, BOB, at, known=first)
    assert decision.outcome == v.RETURNING
    assert decision.rule == "B3"
    assert decision.customer.owner_id == ALICE
    assert decision.customer.first_receiver_id == ALICE
    assert decision.customer.owner_since == T0
    assert decision.customer.protected_until == at + timedelta(days=10)
    assert decision.customer.last_follow_up_at == at
    assert not decision.ownership_changed
    assert decision.first_follow_up_due is None


def test_b3_caller_first_visit_switches_to_visit_period_and_schedules_e2():
    """B3 + E2: a caller's first visit keeps the owner and starts the visit period."""
    first = register(v.CALL, ALICE, T0).customer
    at = T0 + timedelta(days=3)
    decision = register(v.VISIT, BOB, at, known=first)
    assert decision.customer.owner_id == ALICE
    assert decision.customer.visited
    # never shortened: call deadline T0+15 is later than at+10 = T0+13
    assert decision.customer.protected_until == T0 + timedelta(days=15)
    assert decision.first_follow_up_due == at + timedelta(days=2)
    at2 = T0 + timedelta(days=14)
    later = register(v.VISIT, BOB, at2, known=decision.customer)
    assert later.customer.protected_until == at2 + timedelta(days=10)


def test_b3_returning_call_of_a_caller_does_not_pass_call_period():
    """C2: calls do not keep a never-visiting caller past the call period."""
    first = register(v.CALL, ALICE, T0).customer
    decision = register(v.CALL, BOB, T0 + timedelta(days=10), known=first)
    assert decision.outcome == v.RETURNING
    assert decision.customer.protected_until == T0 + timedelta(days=15)


def test_b3_registered_at_the_deadline_is_expired():
    """E3: protection lasts up to, not including, its deadline."""
    first = register(v.VISIT, ALICE, T0).customer
    decision = register(v.VISIT, BOB, first.protected_until, known=first)
    assert decision.outcome == v.EXPIRED


# -- E3 / F1 / E7 --------------------------------------------------------------


def test_e3_expired_customer_is_treated_as_new():
    """E3: after the period without follow-up the former owner has no claim."""
    first = register(v.VISIT, ALICE, T0).customer
    at = T0 + timedelta(days=12)
    decision = register(v.CALL, BOB, at, known=first)
    assert decision.outcome == v.EXPIRED
    assert decision.rule == "E3"
    assert decision.previous_owner_id == ALICE
    assert decision.ownership_changed
    customer = decision.customer
    assert (customer.owner_id, customer.first_receiver_id, customer.owner_since) == (BOB, BOB, at)
    assert customer.ownership_kind == v.CALL and not customer.visited
    assert customer.protected_until == at + timedelta(days=15)
    assert customer.source_channel == "visit"  # A4: the customer's source stays
    assert decision.reason.args["expired_at"] == T0 + timedelta(days=10)


def test_f1_pool_customer_is_treated_as_new():
    """F1: a pool customer registered again belongs to the receiver."""
    pool = v.Customer(None, v.POOL, None, ALICE, T0, T0, v.VISIT, True)
    decision = register(v.VISIT, CAROL, T0 + timedelta(days=40), known=pool)
    assert decision.outcome == v.FROM_POOL
    assert decision.rule == "F1"
    assert decision.customer.owner_id == CAROL
    assert decision.first_follow_up_due is not None


def test_e7_locked_customer_stays_with_owner_forever():
    """E7: a closed customer is never released, whatever the date."""
    first = register(v.VISIT, ALICE, T0).customer
    locked, reason = rp.decide_close(first, ALICE, T0 + timedelta(days=3), POLICY)
    assert reason.rule == "E7"
    assert locked.state == v.LOCKED and locked.protected_until is None
    decision = register(v.VISIT, BOB, T0 + timedelta(days=400), known=locked)
    assert decision.outcome == v.RETURNING
    assert decision.rule == "E7"
    assert decision.customer.owner_id == ALICE


def test_e7_reopened_deal_is_protected_again():
    first = register(v.VISIT, ALICE, T0).customer
    locked, _reason = rp.decide_close(first, ALICE, T0, POLICY)
    at = T0 + timedelta(days=30)
    reopened, reason = rp.decide_reopen(locked, at, POLICY)
    assert reason.rule == "E7"
    assert reopened.state == v.PROTECTED
    assert reopened.protected_until == at + timedelta(days=10)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        v.Registration("fax", PHONE, "Zhang", ALICE, T0)


def test_reason_renders_with_translation_and_formatting():
    decision = register(v.VISIT, ALICE, T0)
    text = decision.reason.render(translate=lambda s: "[" + s + "]")
    assert text.startswith("[New customer") and "10" in text
    first = decision.customer
    expired = register(v.VISIT, BOB, T0 + timedelta(days=11), known=first)
    assert "2026-03-12 10:00" in expired.reason.render()
    assert "12/03" in expired.reason.render(format_datetime=lambda d: d.strftime("%d/%m"))


def test_days_left_rounds_up_and_stops_at_zero():
    assert rp.days_left(T0 + timedelta(days=10), T0) == 10
    assert rp.days_left(T0 + timedelta(days=9, hours=1), T0) == 10
    assert rp.days_left(T0 + timedelta(hours=1), T0) == 1
    assert rp.days_left(T0, T0) == 0
    assert rp.days_left(T0, T0 + timedelta(days=1)) == 0
    assert rp.days_left(None, T0) == 0


# -- B9 ----------------------------------------------------------------------


def test_b9_hand_off_the_next_in_rotation_owns_the_same_visit():
    """B9: the new walk-in handed on for a language barrier belongs to the
    next in rotation, with the protection of the same visit."""
    new = register(v.VISIT, ALICE, T0).customer
    later = T0 + timedelta(minutes=5)
    customer, reason = rp.decide_hand_off(new, ALICE, BOB, later)
    assert (customer.owner_id, customer.first_receiver_id, customer.owner_since) == (
        BOB,
        BOB,
        later,
    )
    assert customer.protected_until == new.protected_until
    assert customer.state == v.PROTECTED
    assert reason.rule == "B9"
    assert reason.args["from"] == v.UserRef(ALICE)


@pytest.mark.parametrize("case", ["other_owner", "call", "closed", "same"])
def test_b9_hand_off_only_a_new_walk_in_of_the_receiver(case):
    new = register(v.VISIT, ALICE, T0).customer
    known, from_id, to_id = new, ALICE, BOB
    if case == "other_owner":
        from_id = CAROL
    elif case == "call":
        known = register(v.CALL, ALICE, T0).customer
    elif case == "closed":
        known, _reason = rp.decide_close(new, ALICE, T0, POLICY)
    else:
        to_id = ALICE
    with pytest.raises(v.Refusal) as refusal:
        rp.decide_hand_off(known, from_id, to_id, T0)
    assert refusal.value.reason.rule == "B9"

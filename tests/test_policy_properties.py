"""Invariants of the policy, checked over random histories (hypothesis).

Rules: A3, B2, B3, E1, E3, E5, E6, E7, E8, F1, F4, H5. A history is a
sequence of registrations, follow-ups, closings, release sweeps, claims,
give-ups, assignments, departures and reminders on one phone, at increasing
times.
"""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cla_tools import pool_policy as pp
from cla_tools import registration_policy as rp
from cla_tools import vocabulary as v

T0 = datetime(2026, 1, 1, 9, 0)
USERS = st.integers(min_value=1, max_value=5)

policies = st.builds(
    v.Policy,
    visit_days=st.integers(1, 30),
    call_days=st.integers(1, 30),
    channel_days=st.integers(1, 30),
    first_follow_up_days=st.integers(1, 7),
    reminder_days=st.integers(0, 5),
    first_deal=st.booleans(),
    first_deal_days=st.integers(1, 40),
    holding_limit=st.integers(0, 3),
    daily_claim_limit=st.integers(0, 3),
    cooldown_days=st.integers(0, 10),
)

ACTIONS = [
    "register",
    "follow_up",
    "close",
    "sweep",
    "claim",
    "give_up",
    "assign",
    "depart",
    "remind",
]
steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.sampled_from(v.REGISTRATION_KINDS),
        st.sampled_from(v.FOLLOW_UP_KINDS),
        USERS,
        st.integers(min_value=0, max_value=24 * 40),  # hours since the previous step
    ),
    min_size=1,
    max_size=30,
)


def check_register(customer, decision, user, at):
    after = decision.customer
    assert after.owner_id is not None  # never ownerless after a registration
    if customer is None or decision.outcome != v.RETURNING:
        # A3/B2/E3/F1/F4: a new ownership belongs to the receiver, from now
        assert after.owner_id == after.first_receiver_id == user
        assert after.owner_since == at
        assert after.protected_until > at
        if decision.outcome == v.EXPIRED:
            assert customer.protected_until <= at  # E3 only after the deadline
        if decision.outcome in (v.FROM_POOL, v.HANDED_OVER):
            assert customer.state in v.OWNERLESS
    else:
        # B3/E7: a returning customer keeps owner and first receiver
        assert after.owner_id == customer.owner_id
        assert after.first_receiver_id == customer.first_receiver_id
        assert after.owner_since == customer.owner_since
        if customer.state == v.PROTECTED:
            # within protection, and a contact never shortens it (E1)
            assert customer.protected_until > at
            assert after.protected_until >= customer.protected_until > at


def check_follow_up(customer, after, user, at):
    assert after.owner_id == customer.owner_id  # a follow-up never moves ownership
    if customer.state == v.PROTECTED and after.protected_until != customer.protected_until:
        # E1: only the owner extends, never shortens, only while protected
        assert user == customer.owner_id
        assert after.protected_until > customer.protected_until
        assert customer.protected_until > at


def step_register(customer, policy, user, at, kind, _fu_kind):
    registration = v.Registration(kind, "+8613800138000", "Wang", user, at)
    decision = rp.decide_registration(registration, customer, policy)
    check_register(customer, decision, user, at)
    return decision.customer


def step_follow_up(customer, policy, user, at, _kind, fu_kind):
    try:
        result = rp.decide_follow_up(customer, user, at, fu_kind, policy)
    except v.Refusal:
        assert customer.state in v.OWNERLESS
        return customer
    check_follow_up(customer, result.customer, user, at)
    return result.customer


def step_close(customer, policy, user, at, _kind, _fu_kind):
    if customer.state in v.OWNERLESS:
        return customer
    after, reason = rp.decide_close(customer, user, at, policy)
    assert reason.rule == ("E8" if policy.first_deal else "E7")
    return after


def step_sweep(customer, policy, _user, at, _kind, _fu_kind):
    released = pp.decide_release(customer, at, policy)
    if released is None:
        # E7: locked never released; protected only once the deadline passed
        waiting = customer.handover or not policy.release  # F4 handover list, or release off
        assert customer.state != v.PROTECTED or customer.protected_until > at or waiting
        return customer
    assert customer.state == v.PROTECTED and customer.protected_until <= at
    after, reason = released
    assert reason.rule in ("E3", "C2", "E8")
    assert after.previous_owner_id == customer.owner_id
    return after


def step_claim(customer, policy, user, at, _kind, _fu_kind):
    try:
        after, reason = pp.decide_claim(customer, user, at, policy, pp.ClaimContext())
    except v.Refusal:
        assert customer.state != v.POOL
        return customer
    assert customer.state == v.POOL and after.owner_id == user
    assert after.protected_until > at and reason.rule == "F1"
    return after


def step_give_up(customer, _policy, _user, at, _kind, _fu_kind):
    try:
        after, reason = pp.decide_give_up(customer, customer.owner_id, at)
    except v.Refusal:
        return customer
    assert after.state == v.POOL and reason.rule == "E5"
    return after


def step_assign(customer, policy, user, at, _kind, _fu_kind):
    try:
        after, _reason = pp.decide_assign(customer, user, at, policy)
    except v.Refusal:
        assert customer.owner_id == user
        return customer
    assert after.owner_id == user
    return after


def step_depart(customer, _policy, _user, at, _kind, _fu_kind):
    departed = pp.decide_departure(customer, at)
    if not departed:
        return customer
    after, reason = departed
    assert reason.rule == "F4"
    return after


def step_remind(customer, policy, _user, at, _kind, _fu_kind):
    reminded = pp.decide_reminder(customer, at, policy)
    if not reminded:
        return customer
    after, reason = reminded
    assert reason.rule == "E6"
    assert pp.decide_reminder(after, at, policy) is None  # never twice
    return after


STEPS = {
    "register": step_register,
    "follow_up": step_follow_up,
    "close": step_close,
    "sweep": step_sweep,
    "claim": step_claim,
    "give_up": step_give_up,
    "assign": step_assign,
    "depart": step_depart,
    "remind": step_remind,
}


@settings(max_examples=400, deadline=None)
@given(policy=policies, history=steps)
def test_lifecycle_invariants(policy, history):
    """Over any history: one owner or none, locked never released, release only
    after the deadline, claims only from the pool, one reminder per deadline."""
    at = T0
    customer = None
    for action, kind, fu_kind, user, hours in history:
        at = at + timedelta(hours=hours)
        step = STEPS["register"] if customer is None else STEPS[action]
        customer = step(customer, policy, user, at, kind, fu_kind)
        # exactly one owner, or none in the pool / handover list
        assert (customer.owner_id is None) == (customer.state in v.OWNERLESS)
        if customer.state == v.LOCKED:
            assert customer.protected_until is None


@settings(max_examples=200, deadline=None)
@given(policy=policies, kind=st.sampled_from(v.REGISTRATION_KINDS), gap=st.integers(0, 24 * 60))
def test_register_twice_second_is_returning_unless_expired(policy, kind, gap):
    """A2/B3/E3: the same phone registered twice is one customer, returning while protected."""
    first = rp.decide_registration(
        v.Registration(kind, "+8613800138000", "Zhao", 1, T0), None, policy
    )
    at = T0 + timedelta(hours=gap)
    second = rp.decide_registration(
        v.Registration(v.VISIT, "+8613800138000", "Zhao", 2, at), first.customer, policy
    )
    if at < first.customer.protected_until:
        assert second.outcome == v.RETURNING and second.customer.owner_id == 1
    else:
        assert second.outcome == v.EXPIRED and second.customer.owner_id == 2


@given(
    until=st.datetimes(min_value=T0, max_value=T0 + timedelta(days=60)),
    at=st.datetimes(min_value=T0, max_value=T0 + timedelta(days=60)),
)
def test_days_left_is_never_negative_and_zero_only_when_ended(until, at):
    left = rp.days_left(until, at)
    assert left >= 0
    assert (left == 0) == (until <= at)

"""Invariants of the policy, checked over random histories (hypothesis).

Rules: A3, B2, B3, E1, E3, E7. A history is a sequence of registrations and
follow-ups on one phone at increasing times.
"""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cla_tools import attribution_policy as ap

T0 = datetime(2026, 1, 1, 9, 0)
USERS = st.integers(min_value=1, max_value=5)

policies = st.builds(
    ap.Policy,
    visit_days=st.integers(1, 30),
    call_days=st.integers(1, 30),
    channel_days=st.integers(1, 30),
    first_follow_up_days=st.integers(1, 7),
)

steps = st.lists(
    st.tuples(
        st.sampled_from(["register", "follow_up", "close"]),
        st.sampled_from(ap.REGISTRATION_KINDS),
        st.sampled_from(ap.FOLLOW_UP_KINDS),
        USERS,
        st.integers(min_value=0, max_value=24 * 40),  # hours since the previous step
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(policy=policies, history=steps)
def test_history_invariants(policy, history):
    """At every step exactly one owner, chosen by the rules, and protection never shrinks."""
    at = T0
    customer = None
    for action, kind, fu_kind, user, hours in history:
        at = at + timedelta(hours=hours)
        if action == "register" or customer is None:
            registration = ap.Registration(kind, "+8613800138000", "Wang", user, at)
            decision = ap.decide_registration(registration, customer, policy)
            after = decision.customer
            assert after.owner_id is not None  # never ownerless after a registration
            if customer is None or decision.outcome in (ap.EXPIRED, ap.FROM_POOL):
                # A3/B2/E3: a new ownership belongs to the receiver, from now
                assert decision.outcome != ap.RETURNING
                assert after.owner_id == after.first_receiver_id == user
                assert after.owner_since == at
                assert after.protected_until > at
            else:
                # B3/E7: a returning customer keeps owner and first receiver
                assert decision.outcome == ap.RETURNING
                assert after.owner_id == customer.owner_id
                assert after.first_receiver_id == customer.first_receiver_id
                assert after.owner_since == customer.owner_since
                if customer.state == ap.PROTECTED:
                    # within protection, and a contact never shortens it (E1)
                    assert customer.protected_until > at
                    assert after.protected_until >= customer.protected_until
                    assert after.protected_until > at
            if decision.outcome == ap.EXPIRED:
                assert customer.protected_until <= at  # E3 only after the deadline
            customer = after
        elif action == "follow_up":
            try:
                result = ap.decide_follow_up(customer, user, at, fu_kind, policy)
            except ap.Refusal:
                assert customer.owner_id is None
                continue
            after = result.customer
            assert after.owner_id == customer.owner_id  # a follow-up never moves ownership
            if customer.state == ap.PROTECTED and after.protected_until != customer.protected_until:
                # E1: only the owner extends, never shortens, only while protected
                assert user == customer.owner_id
                assert after.protected_until > customer.protected_until
                assert customer.protected_until > at
            customer = after
        else:
            customer, reason = ap.decide_close(customer, at)
            assert reason.rule == "E7"
        if customer.state == ap.LOCKED:
            assert customer.protected_until is None


@settings(max_examples=200, deadline=None)
@given(policy=policies, kind=st.sampled_from(ap.REGISTRATION_KINDS), gap=st.integers(0, 24 * 60))
def test_register_twice_second_is_returning_unless_expired(policy, kind, gap):
    """A2/B3/E3: the same phone registered twice is one customer, returning while protected."""
    first = ap.decide_registration(
        ap.Registration(kind, "+8613800138000", "Zhao", 1, T0), None, policy
    )
    at = T0 + timedelta(hours=gap)
    second = ap.decide_registration(
        ap.Registration(ap.VISIT, "+8613800138000", "Zhao", 2, at), first.customer, policy
    )
    if at < first.customer.protected_until:
        assert second.outcome == ap.RETURNING and second.customer.owner_id == 1
    else:
        assert second.outcome == ap.EXPIRED and second.customer.owner_id == 2


@given(
    until=st.datetimes(min_value=T0, max_value=T0 + timedelta(days=60)),
    at=st.datetimes(min_value=T0, max_value=T0 + timedelta(days=60)),
)
def test_days_left_is_never_negative_and_zero_only_when_ended(until, at):
    left = ap.days_left(until, at)
    assert left >= 0
    assert (left == 0) == (until <= at)

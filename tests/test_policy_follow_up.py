"""Follow-ups: rules E1, E2, C2, E3, E7, F1."""

from datetime import datetime, timedelta

import pytest

from cla_tools import registration_policy as rp
from cla_tools import vocabulary as v

T0 = datetime(2026, 3, 2, 10, 0)
POLICY = v.Policy()
ALICE, BOB = 21, 22


def owned(kind=v.VISIT, at=T0):
    reg = v.Registration(kind, "+8613800138000", "Li Si", ALICE, at)
    return rp.decide_registration(reg, None, POLICY).customer


@pytest.mark.parametrize("kind", ["call", "message", "meeting", "activity", "visit"])
def test_e1_owner_follow_up_extends_protection(kind):
    """E1: the owner's call, message, meeting, done activity or visit extends protection."""
    at = T0 + timedelta(days=6)
    result = rp.decide_follow_up(owned(), ALICE, at, kind, POLICY)
    assert result.rule == "E1"
    assert result.extended
    assert result.customer.protected_until == at + timedelta(days=10)
    assert result.customer.last_follow_up_at == at
    assert result.customer.owner_id == ALICE


def test_e1_follow_up_never_shortens_protection():
    """E1: a first visit switches to the shorter visit period without cutting protection."""
    customer = owned(kind=v.CHANNEL)  # protected until T0 + 15 days
    result = rp.decide_follow_up(customer, ALICE, T0 + timedelta(hours=1), "visit", POLICY)
    assert result.customer.visited
    assert result.customer.protected_until == T0 + timedelta(days=15)  # not T0 + 10 days + 1 h
    assert not result.extended


def test_e1_follow_up_by_someone_else_is_recorded_without_extension():
    """E1: only the owner's follow-ups protect the owner's claim."""
    customer = owned()
    result = rp.decide_follow_up(customer, BOB, T0 + timedelta(days=5), "call", POLICY)
    assert result.rule == "E1"
    assert not result.extended
    assert result.customer == customer


def test_e2_first_visit_follow_up_switches_period_and_schedules_follow_up():
    """E2: the first visit (logged by the owner of a caller) makes a follow-up due in 2 days."""
    customer = owned(kind=v.CALL)
    at = T0 + timedelta(days=8)
    result = rp.decide_follow_up(customer, ALICE, at, "visit", POLICY)
    assert result.rule == "E2"
    assert result.customer.visited
    assert result.customer.protected_until == at + timedelta(days=10)
    assert result.first_follow_up_due == at + timedelta(days=2)


def test_c2_calls_do_not_extend_a_caller_past_the_call_period():
    """C2: a caller not brought to a visit is protected only for the call period."""
    customer = owned(kind=v.CALL)
    result = rp.decide_follow_up(customer, ALICE, T0 + timedelta(days=12), "call", POLICY)
    assert result.rule == "C2"
    assert result.customer.protected_until == T0 + timedelta(days=15)
    assert result.customer.last_follow_up_at == T0 + timedelta(days=12)


def test_e3_late_follow_up_does_not_restore_ownership():
    """E3: once protection has ended, a follow-up cannot revive it."""
    customer = owned()
    result = rp.decide_follow_up(customer, ALICE, T0 + timedelta(days=11), "call", POLICY)
    assert result.rule == "E3"
    assert not result.extended
    assert result.customer.protected_until == T0 + timedelta(days=10)


def test_e7_locked_customer_follow_up_changes_nothing_but_the_date():
    locked, _reason = rp.decide_close(owned(), ALICE, T0, POLICY)
    result = rp.decide_follow_up(locked, ALICE, T0 + timedelta(days=90), "call", POLICY)
    assert result.rule == "E7"
    assert result.customer.state == v.LOCKED
    assert result.customer.last_follow_up_at == T0 + timedelta(days=90)


def test_f1_pool_customer_refuses_follow_up():
    pool = v.Customer(None, v.POOL, None, ALICE, T0, T0, v.VISIT, True)
    with pytest.raises(v.Refusal) as refusal:
        rp.decide_follow_up(pool, ALICE, T0, "call", POLICY)
    assert refusal.value.reason.rule == "F1"


def test_unknown_follow_up_kind():
    with pytest.raises(ValueError):
        rp.decide_follow_up(owned(), ALICE, T0, "telepathy", POLICY)

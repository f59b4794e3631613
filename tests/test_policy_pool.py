"""Protection lifecycle and the public pool: E3-E8, C2, F1-F4, H1, H5."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from cla_tools import pool_policy as pp
from cla_tools import registration_policy as rp
from cla_tools import vocabulary as v

T0 = datetime(2026, 3, 2, 2, 0)
POLICY = v.Policy()  # reminder 3, conversion 30, holding 50, 5 claims a day, cool-down 7
ALICE, BOB, CAROL = 31, 32, 33


def owned(kind=v.VISIT, owner=ALICE, at=T0, policy=POLICY):
    reg = v.Registration(kind, "+8613800138000", "Zhou", owner, at)
    return rp.decide_registration(reg, None, policy).customer


def pooled(at=T0 + timedelta(days=10), owner=ALICE):
    customer, _reason = pp.decide_release(owned(owner=owner), at, POLICY)
    return customer


# -- E6 reminders --------------------------------------------------------------


def test_e6_reminder_is_due_three_days_before_and_only_once_per_deadline():
    """E6: reminded N days before the end, once per protection period."""
    customer = owned()  # protected until T0 + 10 days
    assert not pp.reminder_due(customer, T0 + timedelta(days=6, hours=23), POLICY)
    at = T0 + timedelta(days=7)
    reminded, reason = pp.decide_reminder(customer, at, POLICY)
    assert reason.rule == "E6"
    assert reason.args["until"] == T0 + timedelta(days=10)
    assert reminded.reminded_until == customer.protected_until
    assert pp.decide_reminder(reminded, at + timedelta(days=1), POLICY) is None  # never twice
    # a follow-up opens a new protection period, which is reminded again
    extended = rp.decide_follow_up(reminded, ALICE, at, "call", POLICY).customer
    assert pp.decide_reminder(extended, extended.protected_until - timedelta(days=2), POLICY)


def test_e6_no_reminder_when_off_ended_or_locked():
    customer = owned()
    assert (
        pp.decide_reminder(customer, T0 + timedelta(days=8), replace(POLICY, reminder_days=0))
        is None
    )
    assert pp.decide_reminder(customer, T0 + timedelta(days=10), POLICY) is None
    locked, _r = rp.decide_close(customer, ALICE, T0, POLICY)
    assert pp.decide_reminder(locked, T0 + timedelta(days=8), POLICY) is None


# -- E3 / C2 / E7 / E8 release -------------------------------------------------


def test_e3_release_after_the_protection_period():
    """E3: no follow-up for the protection period releases the customer to the pool."""
    customer = owned()
    assert pp.decide_release(customer, T0 + timedelta(days=9, hours=23), POLICY) is None
    at = T0 + timedelta(days=10)
    released, reason = pp.decide_release(customer, at, POLICY)
    assert reason.rule == "E3"
    assert (released.owner_id, released.state, released.previous_owner_id) == (None, v.POOL, ALICE)
    assert released.pool_since == at and released.protected_until is None


def test_c2_caller_never_brought_to_a_visit_is_released_after_the_call_period():
    """C2: a caller not brought to a visit goes to the pool after the call period."""
    caller = owned(kind=v.CALL)
    assert pp.decide_release(caller, T0 + timedelta(days=14), POLICY) is None
    _released, reason = pp.decide_release(caller, T0 + timedelta(days=15), POLICY)
    assert reason.rule == "C2"
    visited = rp.decide_follow_up(caller, ALICE, T0 + timedelta(days=2), "visit", POLICY).customer
    _released, reason = pp.decide_release(visited, visited.protected_until, POLICY)
    assert reason.rule == "E3"


def test_e7_closed_customers_are_never_released():
    """E7: a locked customer stays with the owner whatever the date."""
    locked, _reason = rp.decide_close(owned(), ALICE, T0, POLICY)
    assert pp.decide_release(locked, T0 + timedelta(days=3650), POLICY) is None


def test_release_switched_off_keeps_the_owner():
    assert (
        pp.decide_release(owned(), T0 + timedelta(days=30), replace(POLICY, release=False)) is None
    )


def test_e8_first_deal_owns_and_a_month_without_contact_or_reorder_releases():
    """E8: the first deal's owner keeps it while reorders or contacts come; idle a month: pool."""
    policy = replace(POLICY, first_deal=True, first_deal_days=30)
    customer = owned(owner=ALICE, policy=policy)
    closed, reason = rp.decide_close(customer, BOB, T0 + timedelta(days=2), policy)
    assert reason.rule == "E8"
    assert (closed.owner_id, closed.state, closed.ownership_kind) == (BOB, v.PROTECTED, v.DEAL)
    assert closed.protected_until == T0 + timedelta(days=32)
    reorder, reason = rp.decide_close(closed, CAROL, T0 + timedelta(days=20), policy)
    assert reason.rule == "E8" and reorder.owner_id == BOB  # the first deal still owns
    assert reorder.protected_until == T0 + timedelta(days=50)
    contact = rp.decide_follow_up(reorder, BOB, T0 + timedelta(days=40), "message", policy).customer
    assert contact.protected_until == T0 + timedelta(days=70)  # a month from the contact
    released, reason = pp.decide_release(contact, T0 + timedelta(days=70), policy)
    assert reason.rule == "E8" and released.state == v.POOL


# -- E5 giving up --------------------------------------------------------------


def test_e5_owner_gives_up_to_the_pool_at_once():
    """E5: given up by the owner, the customer is in the pool at once."""
    released, reason = pp.decide_give_up(owned(), ALICE, T0 + timedelta(days=1))
    assert reason.rule == "E5"
    assert released.state == v.POOL and released.previous_owner_id == ALICE
    assert pp.decide_give_up(owned(), BOB, T0, is_manager=True)[0].state == v.POOL


@pytest.mark.parametrize(
    "customer, actor, rule",
    [
        (lambda: owned(), BOB, "E5"),  # not the owner
        (lambda: rp.decide_close(owned(), ALICE, T0, POLICY)[0], ALICE, "E7"),  # signed
        (lambda: pooled(), ALICE, "E5"),  # nothing to give up
    ],
)
def test_e5_give_up_refusals(customer, actor, rule):
    with pytest.raises(v.Refusal) as refusal:
        pp.decide_give_up(customer(), actor, T0)
    assert refusal.value.reason.rule == rule


# -- E4 not converted ------------------------------------------------------------


def test_e4_not_converted_after_thirty_days_and_reassigned():
    """E4: a customer not converted within 30 days may be given to someone else."""
    customer = owned()
    assert not pp.conversion_overdue(customer, T0 + timedelta(days=29), POLICY)
    assert pp.conversion_overdue(customer, T0 + timedelta(days=30), POLICY)
    assert not pp.conversion_overdue(
        customer, T0 + timedelta(days=99), replace(POLICY, conversion_days=0)
    )
    at = T0 + timedelta(days=31)
    moved, reason = pp.decide_assign(customer, BOB, at, POLICY)
    assert reason.rule == "E4" and reason.args["days"] == 30
    assert (moved.owner_id, moved.owner_since, moved.protected_until) == (
        BOB,
        at,
        at + timedelta(days=10),
    )


# -- F1 / F2 claims --------------------------------------------------------------


def test_f1_claim_from_the_pool_gives_a_fresh_protection():
    """F1: a pool customer claimed belongs to the claimer, freshly protected."""
    customer = pooled()
    at = T0 + timedelta(days=12)
    claimed, reason = pp.decide_claim(customer, BOB, at, POLICY, pp.ClaimContext())
    assert reason.rule == "F1"
    assert (claimed.owner_id, claimed.state, claimed.owner_since) == (BOB, v.PROTECTED, at)
    assert claimed.protected_until == at + timedelta(days=10)
    with pytest.raises(v.Refusal) as refusal:
        pp.decide_claim(claimed, CAROL, at, POLICY, pp.ClaimContext(), taken_from_pool=True)
    assert refusal.value.reason.rule == "F1"
    assert refusal.value.reason.args["owner"] == v.UserRef(BOB)  # public in the pool before
    with pytest.raises(v.Refusal) as refusal:
        pp.decide_claim(owned(), CAROL, at, POLICY, pp.ClaimContext())
    assert "owner" not in refusal.value.reason.args  # never in the pool: no name given


def test_f2_holding_limit_says_when_it_lifts():
    """F2: at most N protected customers per salesperson."""
    context = pp.ClaimContext(holding=50, holding_frees_at=T0 + timedelta(days=3))
    with pytest.raises(v.Refusal) as refusal:
        pp.decide_claim(pooled(), BOB, T0 + timedelta(days=11), POLICY, context)
    reason = refusal.value.reason
    assert reason.rule == "F2" and "Holding limit" in reason.message
    assert reason.args["lifts_at"] == T0 + timedelta(days=3)
    unlimited = replace(POLICY, holding_limit=0)
    assert pp.decide_claim(pooled(), BOB, T0 + timedelta(days=11), unlimited, context)


def test_f2_daily_claim_limit_lifts_next_day():
    """F2: at most N claims a day."""
    tomorrow = T0 + timedelta(days=12)
    context = pp.ClaimContext(claims_today=5, next_day_at=tomorrow)
    with pytest.raises(v.Refusal) as refusal:
        pp.decide_claim(pooled(), BOB, T0 + timedelta(days=11), POLICY, context)
    assert "Daily claim limit" in refusal.value.reason.message
    assert refusal.value.reason.args["lifts_at"] == tomorrow


def test_f2_cool_down_before_a_former_owner_reclaims():
    """F2: the former owner waits the cool-down before claiming back."""
    lost_at = T0 + timedelta(days=10)
    customer = pooled(at=lost_at)
    context = pp.ClaimContext(lost_at=lost_at)
    with pytest.raises(v.Refusal) as refusal:
        pp.decide_claim(customer, ALICE, lost_at + timedelta(days=6), POLICY, context)
    assert "Cool-down" in refusal.value.reason.message
    assert refusal.value.reason.args["lifts_at"] == lost_at + timedelta(days=7)
    claimed, _reason = pp.decide_claim(
        customer, ALICE, lost_at + timedelta(days=7), POLICY, context
    )
    assert claimed.owner_id == ALICE


def test_f1_manager_assigns_from_the_pool_without_limits():
    """F1: the manager assigns pool customers to anyone."""
    moved, reason = pp.decide_assign(pooled(), CAROL, T0 + timedelta(days=11), POLICY)
    assert reason.rule == "F1" and moved.owner_id == CAROL


# -- F4 departures ---------------------------------------------------------------


def test_f4_departure_without_order_goes_to_handover_and_is_new_for_the_next_receiver():
    """F4: the customers of a leaver without an order are treated as new."""
    handed, reason = pp.decide_departure(owned(), T0 + timedelta(days=2))
    assert reason.rule == "F4"
    assert (handed.state, handed.owner_id, handed.previous_owner_id) == (v.HANDOVER, None, ALICE)
    with pytest.raises(v.Refusal) as refusal:
        pp.decide_claim(handed, BOB, T0 + timedelta(days=3), POLICY, pp.ClaimContext())
    assert refusal.value.reason.rule == "F4"  # not for salespeople to take
    at = T0 + timedelta(days=4)
    reg = v.Registration(v.VISIT, "+8613800138000", "Zhou", CAROL, at)
    decision = rp.decide_registration(reg, handed, POLICY)
    assert (decision.outcome, decision.rule, decision.owner_id) == (v.HANDED_OVER, "F4", CAROL)
    moved, reason = pp.decide_assign(handed, BOB, at, POLICY)
    assert reason.rule == "F4" and moved.owner_id == BOB


def test_f4_departure_with_order_stays_locked_until_reassigned():
    """F4: a closed customer of a leaver stays locked, on the handover list."""
    locked, _reason = rp.decide_close(owned(), ALICE, T0, POLICY)
    handed, reason = pp.decide_departure(locked, T0 + timedelta(days=2))
    assert (handed.state, handed.owner_id, handed.handover, reason.rule) == (
        v.LOCKED,
        ALICE,
        True,
        "F4",
    )
    assert pp.decide_departure(handed, T0 + timedelta(days=3)) is None  # once
    reg = v.Registration(v.VISIT, "+8613800138000", "Zhou", CAROL, T0 + timedelta(days=3))
    assert rp.decide_registration(reg, handed, POLICY).rule == "F4"
    moved, reason = pp.decide_assign(handed, BOB, T0 + timedelta(days=4), POLICY)
    assert (moved.owner_id, moved.state, moved.handover, reason.rule) == (
        BOB,
        v.LOCKED,
        False,
        "F4",
    )


# -- H1 / H5 change of salesperson -------------------------------------------------


def test_h1_change_request_needs_the_owner_or_the_manager():
    """H1: before signing, the owner consents (H1) or the manager decides (H5)."""
    customer = owned()
    reason = pp.check_change_request(customer, BOB)
    assert reason.rule == "H1" and reason.args["requested"] == v.UserRef(BOB)
    at = T0 + timedelta(days=3)
    moved, reason = pp.decide_change(customer, BOB, at, POLICY, by_manager=False)
    assert (moved.owner_id, reason.rule) == (BOB, "H1")
    moved, reason = pp.decide_change(customer, BOB, at, POLICY, by_manager=True)
    assert (moved.owner_id, reason.rule) == (BOB, "H5")
    assert pp.decline_change(customer, BOB).rule == "H1"


def test_h1_no_change_after_signing_or_to_the_owner():
    locked, _reason = rp.decide_close(owned(), ALICE, T0, POLICY)
    for customer, requested in ((locked, BOB), (owned(), ALICE), (pooled(), BOB)):
        with pytest.raises(v.Refusal) as refusal:
            pp.check_change_request(customer, requested)
        assert refusal.value.reason.rule == "H1"


def test_h5_manager_reassignment_of_a_protected_customer():
    """H5: the manager's decision moves ownership with a fresh protection."""
    at = T0 + timedelta(days=5)
    moved, reason = pp.decide_assign(owned(), BOB, at, POLICY)
    assert (moved.owner_id, reason.rule, moved.protected_until) == (
        BOB,
        "H5",
        at + timedelta(days=10),
    )
    with pytest.raises(v.Refusal):
        pp.decide_assign(moved, BOB, at, POLICY)


def test_policy_limits_accept_zero_and_refuse_negatives():
    assert (
        v.Policy(reminder_days=0, holding_limit=0, daily_claim_limit=0, cooldown_days=0).problems()
        == []
    )
    problems = v.Policy(reminder_days=-1, first_deal_days=0, holding_limit=-2).problems()
    assert problems == ["first_deal_days", "reminder_days", "holding_limit"]


def test_f2_self_registration_of_a_pool_or_expired_customer_is_a_claim():
    """F2 / E3: registering an ownerless or expired customer to oneself obeys the claim limits."""
    known = owned()  # Alice's, protected until T0 + 10 days
    at = T0 + timedelta(days=11)
    reg = v.Registration(v.CALL, "+8613800138000", "Zhou", ALICE, at)
    decision = rp.decide_registration(reg, known, POLICY)
    assert decision.outcome == v.EXPIRED
    assert pp.registration_claimant(decision, ALICE) == ALICE
    with pytest.raises(v.Refusal) as refusal:  # Alice lost it a day ago: cool-down
        pp.check_registration_claim(known, decision, ALICE, at, POLICY, pp.ClaimContext())
    assert refusal.value.reason.args["lifts_at"] == T0 + timedelta(days=17)
    bob = rp.decide_registration(
        v.Registration(v.CALL, "+8613800138000", "Zhou", BOB, at), known, POLICY
    )
    assert pp.registration_claimant(bob, BOB) == BOB
    with pytest.raises(v.Refusal):
        pp.check_registration_claim(known, bob, BOB, at, POLICY, pp.ClaimContext(claims_today=5))
    pp.check_registration_claim(known, bob, BOB, at, POLICY, pp.ClaimContext())


def test_f2_registration_for_a_colleague_is_the_colleagues_claim():
    """F2: a salesperson registering a pool, expired or handover customer for a
    colleague makes the colleague take it: the colleague's claim; only the
    reception desk and managers (for_others) register for someone else freely."""
    known = owned()
    at = T0 + timedelta(days=11)
    for_bob = rp.decide_registration(
        v.Registration(v.VISIT, "+8613800138000", "Zhou", BOB, at), known, POLICY
    )
    assert pp.registration_claimant(for_bob, CAROL) == BOB  # Carol registers for Bob
    assert pp.registration_claimant(for_bob, CAROL, for_others=True) is None  # the desk
    assert pp.registration_claimant(for_bob, BOB, for_others=True) == BOB  # for oneself
    with pytest.raises(v.Refusal) as refusal:
        pp.check_registration_claim(
            known, for_bob, BOB, at, POLICY, pp.ClaimContext(claims_today=5)
        )
    assert refusal.value.reason.rule == "F2"
    returning = rp.decide_registration(
        v.Registration(v.VISIT, "+8613800138000", "Zhou", BOB, T0 + timedelta(days=1)),
        known,
        POLICY,
    )
    assert pp.registration_claimant(returning, CAROL) is None  # a returning visit: no claim


def test_f4_a_departed_colleagues_customer_is_the_managers_to_arrange():
    """F4: salespeople may not take a departed colleague's customer for
    themselves; the desk registers it, as new, for the receiver on duty."""
    handed = pp.decide_departure(owned(), T0 + timedelta(days=1))[0]
    at = T0 + timedelta(days=2)
    decision = rp.decide_registration(
        v.Registration(v.VISIT, "+8613800138000", "Zhou", BOB, at), handed, POLICY
    )
    assert decision.outcome == v.HANDED_OVER
    with pytest.raises(v.Refusal) as refusal:
        pp.check_registration_claim(handed, decision, BOB, at, POLICY, pp.ClaimContext())
    assert refusal.value.reason.rule == "F4"
    assert pp.registration_claimant(decision, CAROL, for_others=True) is None


def test_f2_local_day_for_the_daily_limit():
    """F2: the day of the daily claim limit is the salesperson's local day."""
    start, following = pp.local_day(
        datetime(2026, 3, 14, 17, 0), "Asia/Shanghai"
    )  # 01:00 on the 15th
    assert (start, following) == (datetime(2026, 3, 14, 16, 0), datetime(2026, 3, 15, 16, 0))
    assert pp.local_day(datetime(2026, 3, 14, 17, 0), None) == (
        datetime(2026, 3, 14),
        datetime(2026, 3, 15),
    )
    assert pp.local_day(datetime(2026, 3, 14, 17, 0), "No/Such_Zone")[0] == datetime(2026, 3, 14)


def test_e4_e8_a_first_deal_customer_is_converted():
    """E4 / E8: a customer with a first deal is not listed as not converted."""
    policy = replace(POLICY, first_deal=True)
    closed, _reason = rp.decide_close(owned(policy=policy), ALICE, T0, policy)
    assert not pp.conversion_overdue(closed, T0 + timedelta(days=29), policy)


def test_f4_e8_departure_keeps_a_first_deal_customer_for_the_manager():
    """F4 / E8: a leaver's customer with an order waits for the manager, owner kept."""
    policy = replace(POLICY, first_deal=True)
    closed, _reason = rp.decide_close(owned(policy=policy), ALICE, T0, policy)
    handed, reason = pp.decide_departure(closed, T0 + timedelta(days=1))
    assert (handed.state, handed.owner_id, handed.handover, reason.rule) == (
        v.PROTECTED,
        ALICE,
        True,
        "F4",
    )
    assert pp.decide_release(handed, T0 + timedelta(days=99), policy) is None
    assert pp.decide_reminder(handed, handed.protected_until - timedelta(days=1), policy) is None


def test_e6_no_reminder_when_release_is_off():
    assert (
        pp.decide_reminder(owned(), T0 + timedelta(days=8), replace(POLICY, release=False)) is None
    )


def test_f3_a_salespersons_preview_is_no_oracle_of_the_pool():
    """F3: the preview shows the same for a new phone and for a customer nobody
    holds (pool, ended protection, departed colleague); a held customer shows
    its owner (A2)."""
    at = T0 + timedelta(days=11)
    reg = v.Registration(v.VISIT, "+8613800138000", "Zhou", BOB, at)
    new = pp.blind_preview(rp.decide_registration(reg, None, POLICY))
    expired = pp.blind_preview(rp.decide_registration(reg, owned(), POLICY))
    pooled = pp.decide_release(owned(), at, POLICY)[0]
    from_pool = pp.blind_preview(rp.decide_registration(reg, pooled, POLICY))
    assert (new.outcome, new.reason.rule) == (v.NEW, "F3")
    for preview in (expired, from_pool):
        assert (preview.outcome, preview.reason, preview.previous_owner_id) == (
            new.outcome,
            new.reason,
            None,
        )
    held = rp.decide_registration(
        v.Registration(v.VISIT, "+8613800138000", "Zhou", BOB, T0 + timedelta(days=1)),
        owned(),
        POLICY,
    )
    assert pp.blind_preview(held) == held

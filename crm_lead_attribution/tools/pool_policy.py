"""The protection lifecycle and the public pool (公海), pure Python.

Reminders (E6), release (E3, C2, E8), giving up (E5), not converted (E4),
claims and their limits (F1, F2), the manager's assignments (F1, F4, H5),
departures (F4) and a customer's request for another salesperson (H1).

Like ``attribution_policy``, nothing here imports Odoo or reads the clock.
"""

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .registration_policy import extended_deadline, start_ownership
from .vocabulary import (
    CALL,
    DEAL,
    EXPIRED,
    HANDED_OVER,
    HANDOVER,
    LOCKED,
    NEW,
    OWNERLESS,
    POOL,
    PROTECTED,
    TAKEN_AS_NEW,
    Reason,
    Refusal,
    UserRef,
    _lt,
)

# ---------------------------------------------------------------------------
# Reminders (E6)
# ---------------------------------------------------------------------------

_REMINDER_REASON = _lt(
    "Protection ends on %(until)s: follow the customer up before then or the customer "
    "goes to the public pool."
)


def reminder_due(customer, at, policy):
    """E6: protection ends within the reminder days and this deadline was not reminded yet."""
    return bool(
        policy.reminder_days > 0
        and policy.release  # the reminder warns of a release
        and customer.state == PROTECTED
        and not customer.handover
        and customer.owner_id
        and customer.protected_until
        and customer.protected_until - timedelta(days=policy.reminder_days) <= at
        and at < customer.protected_until
        and customer.reminded_until != customer.protected_until
    )


def decide_reminder(customer, at, policy):
    """E6: remind the owner once per protection period (per deadline)."""
    if not reminder_due(customer, at, policy):
        return None
    reason = Reason("E6", _REMINDER_REASON, {"until": customer.protected_until})
    return replace(customer, reminded_until=customer.protected_until), reason


# ---------------------------------------------------------------------------
# Release to the public pool (E3, C2, E8) and giving up (E5)
# ---------------------------------------------------------------------------

_RELEASE_REASONS = {
    "E3": _lt(
        "No follow-up by the owner before %(until)s: protection ended, the customer goes to "
        "the public pool and the former owner has no claim on a later deal."
    ),
    "C2": _lt(
        "The caller was not brought to a visit before %(until)s, the end of the call period: "
        "the customer goes to the public pool."
    ),
    "E8": _lt(
        "No contact or reorder before %(until)s since the first deal: the customer goes to "
        "the public pool."
    ),
}
_GIVE_UP_REASON = _lt(
    "The owner gave the customer up: the customer is in the public pool, and whoever "
    "closes a deal with them later gets the full performance."
)
_GIVE_UP_LOCKED = _lt("A closed customer cannot be given up: ownership is locked (E7).")
_GIVE_UP_NOT_OWNER = _lt("Only the owner or a sales manager can give a customer up (E5).")
_NO_OWNER = _lt("This customer has no owner: it is already in the public pool or handover list.")


def release_rule(customer):
    """The rule by which an ended protection releases the customer."""
    if customer.ownership_kind == DEAL:
        return "E8"
    if customer.ownership_kind == CALL and not customer.visited:
        return "C2"
    return "E3"


def release_due(customer, at, policy):
    """E3 / C2 / E8: protection ended and the policy releases; never a locked customer (E7)."""
    return bool(
        policy.release
        and customer.state == PROTECTED
        and not customer.handover  # waits for the manager (F4)
        and customer.protected_until
        and customer.protected_until <= at
    )


def _to_pool(customer, at):
    return replace(
        customer,
        owner_id=None,
        state=POOL,
        protected_until=None,
        previous_owner_id=customer.owner_id,
        pool_since=at,
        handover=False,
        reminded_until=None,
    )


def decide_release(customer, at, policy):
    """Release an ended protection to the pool; None when not due."""
    if not release_due(customer, at, policy):
        return None
    rule = release_rule(customer)
    reason = Reason(rule, _RELEASE_REASONS[rule], {"until": customer.protected_until})
    return _to_pool(customer, at), reason


def decide_give_up(customer, actor_id, at, is_manager=False):
    """E5: the owner (or the manager) gives the customer up to the pool at once."""
    if customer.state in OWNERLESS or customer.owner_id is None:
        raise Refusal(Reason("E5", _NO_OWNER))
    if customer.state == LOCKED:
        raise Refusal(Reason("E7", _GIVE_UP_LOCKED))
    if actor_id != customer.owner_id and not is_manager:
        raise Refusal(Reason("E5", _GIVE_UP_NOT_OWNER))
    return _to_pool(customer, at), Reason("E5", _GIVE_UP_REASON)


# ---------------------------------------------------------------------------
# Not converted (E4)
# ---------------------------------------------------------------------------


def conversion_overdue(customer, at, policy):
    """E4: owned and protected for the conversion days without a closed deal."""
    return bool(
        policy.conversion_days > 0
        and customer.state == PROTECTED
        and customer.ownership_kind != DEAL  # bought already (E8)
        and customer.owner_since
        and customer.owner_since + timedelta(days=policy.conversion_days) <= at
    )


# ---------------------------------------------------------------------------
# Claims (F1, F2)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimContext:
    """What the claim limits need to know about the claimer (F2).

    ``holding``: protected customers the claimer owns now;
    ``holding_frees_at``: the earliest deadline among them (when one may lift);
    ``claims_today``: the claimer's claims since the start of the local day;
    ``next_day_at``: the start of the next local day;
    ``lost_at``: when the claimer last lost this customer, if ever.
    """

    holding: int = 0
    holding_frees_at: object = None
    claims_today: int = 0
    next_day_at: object = None
    lost_at: object = None


_CLAIM_REASON = _lt(
    "Claimed from the public pool: the salesperson owns the customer, protected until %(until)s."
)
_CLAIM_TAKEN = _lt(
    "This customer is no longer in the public pool: %(owner)s owns them since %(since)s."
)
_CLAIM_HANDOVER = _lt(
    "This customer is on the sales manager's handover list and cannot be claimed (F4)."
)
_CLAIM_NOT_POOL = _lt("This customer is not in the public pool.")
_CLAIM_HOLDING = _lt(
    "Holding limit reached: you hold %(count)s protected customers and the limit is "
    "%(limit)s. It lifts when one of them is closed or released, at the latest on %(lifts_at)s."
)
_CLAIM_HOLDING_NO_DATE = _lt(
    "Holding limit reached: you hold %(count)s protected customers and the limit is "
    "%(limit)s. It lifts when one of them is closed or released."
)
_CLAIM_DAILY = _lt(
    "Daily claim limit reached: you claimed %(count)s customers today and the limit is "
    "%(limit)s. You can claim again from %(lifts_at)s."
)
_CLAIM_COOLDOWN = _lt(
    "Cool-down: you lost this customer on %(lost_at)s and a former owner may claim it back "
    "only after %(days)s days, from %(lifts_at)s."
)


def taken_from_pool(last_ownership_change):
    """F1: whether the current ownership began in the public pool, by a claim
    or by the sales manager's assignment from the pool (then the customer was
    public, and a later claimer may be told who took it).

    :param last_ownership_change: ``(event, rule)`` of the latest ledger entry
        that changed the owner, or None
    """
    if not last_ownership_change:
        return False
    event, rule = last_ownership_change
    return event == "claim" or (event, rule) == ("ownership", "F1")


def registration_claimant(decision, actor_id, for_others=False):
    """F2: whose claim a registration is, if it is one.

    A registration that takes a customer nobody holds any more (pool,
    handover, protection ended) is a claim by its receiver when a salesperson
    made it: for themselves, or for a colleague (the colleague takes the
    customer, so the colleague's limits apply). Only the reception desk and
    the sales managers (``for_others``) register for someone else without it
    counting: that is the rotation, not a claim.

    :return: the user id of the claimant, or None
    """
    if decision.outcome not in TAKEN_AS_NEW:
        return None
    receiver_id = decision.customer.owner_id
    if receiver_id == actor_id or not for_others:
        return receiver_id
    return None


def decide_claim(customer, claimer_id, at, policy, context, taken_from_pool=False):
    """F1 / F2: a salesperson claims a pool customer, within the limits.

    :param context: a :class:`ClaimContext`
    :param taken_from_pool: the current owner took the customer from the pool
        (then the refusal may name them: the customer was public in the pool)
    :raise Refusal: with the limit that refuses and when it lifts
    """
    check_in_pool(customer, taken_from_pool)
    check_claim_limits(claimer_id, at, policy, context)
    return _take(customer, claimer_id, at, policy, "F1", _CLAIM_REASON)


def check_in_pool(customer, taken_from_pool=False):
    """F1 / F4: the customer is (still) in the public pool; the refusal names
    the new owner only if they took the customer from the pool."""
    if customer.state == POOL:
        return
    if customer.state == HANDOVER:
        raise Refusal(Reason("F4", _CLAIM_HANDOVER))
    if customer.owner_id and taken_from_pool:
        args = {"owner": UserRef(customer.owner_id), "since": customer.owner_since}
        raise Refusal(Reason("F1", _CLAIM_TAKEN, args))
    raise Refusal(Reason("F1", _CLAIM_NOT_POOL))


def check_claim_limits(claimer_id, at, policy, context):
    """F2: the holding, daily and cool-down limits of a salesperson taking a
    customer without an owner; raises :class:`Refusal` saying when it lifts."""
    if policy.holding_limit and context.holding >= policy.holding_limit:
        args = {"count": context.holding, "limit": policy.holding_limit}
        if context.holding_frees_at:
            args["lifts_at"] = context.holding_frees_at
            raise Refusal(Reason("F2", _CLAIM_HOLDING, args))
        raise Refusal(Reason("F2", _CLAIM_HOLDING_NO_DATE, args))
    if policy.daily_claim_limit and context.claims_today >= policy.daily_claim_limit:
        args = {
            "count": context.claims_today,
            "limit": policy.daily_claim_limit,
            "lifts_at": context.next_day_at,
        }
        raise Refusal(Reason("F2", _CLAIM_DAILY, args))
    if policy.cooldown_days and context.lost_at:
        lifts_at = context.lost_at + timedelta(days=policy.cooldown_days)
        if at < lifts_at:
            args = {"lost_at": context.lost_at, "days": policy.cooldown_days, "lifts_at": lifts_at}
            raise Refusal(Reason("F2", _CLAIM_COOLDOWN, args))


_BLIND_PREVIEW = _lt(
    "Nobody holds this customer now: registered, the customer is yours, protected until "
    "%(until)s. If the phone was registered before (public pool, protection ended), it is "
    "a claim and the claim limits apply (F2)."
)


def blind_preview(decision):
    """F3: what a salesperson's preview shows for a phone nobody holds: the
    same for a new phone, a pool customer, an ended protection and a departed
    colleague's customer, so that the preview is no oracle of the masked
    numbers of the pool (the registration itself, a claim, tells)."""
    if decision.outcome != NEW and decision.outcome not in TAKEN_AS_NEW:
        return decision
    reason = Reason("F3", _BLIND_PREVIEW, {"until": decision.customer.protected_until})
    return replace(decision, outcome=NEW, previous_owner_id=None, reason=reason)


_HANDOVER_NOT_YOURS = _lt(
    "This customer's salesperson left the company: the sales manager arranges such "
    "customers, and salespeople may not take them for themselves (F4). Ask the reception "
    "desk or the sales manager."
)


def check_registration_claim(known, decision, claimant_id, at, policy, context, for_others=False):
    """F2 / E3 / F4: a registration that is a claim by ``claimant_id``
    (``registration_claimant``) is held to the claim limits of the claimant,
    and the former owner of an ended protection waits the cool-down from its
    end. A departed colleague's customer is the manager's to arrange: only
    the reception desk and the sales managers (``for_others``) register it,
    for the receiver whose turn it is (F4)."""
    if decision.outcome == HANDED_OVER and not for_others:
        raise Refusal(Reason("F4", _HANDOVER_NOT_YOURS))
    lost_at = context.lost_at
    if decision.outcome == EXPIRED and known.owner_id == claimant_id:
        lost_at = max(filter(None, (lost_at, known.protected_until)))
    check_claim_limits(claimant_id, at, policy, replace(context, lost_at=lost_at))


def local_day(at, tz_name):
    """The local calendar day around ``at`` (naive UTC): its start and the
    start of the next one, as naive UTC datetimes (F2: claims per day)."""
    try:
        zone = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = at.replace(tzinfo=timezone.utc).astimezone(zone)
    start = datetime.combine(local.date(), time.min, tzinfo=zone)
    following = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=zone)
    return (
        start.astimezone(timezone.utc).replace(tzinfo=None),
        following.astimezone(timezone.utc).replace(tzinfo=None),
    )


def _take(customer, owner_id, at, policy, rule, message):
    """A fresh ownership for ``owner_id`` from ``at`` (claim or assignment)."""
    moved = start_ownership(customer, owner_id, at, None)
    until = extended_deadline(policy, moved, at)
    return replace(moved, protected_until=until), Reason(rule, message, {"until": until})


# ---------------------------------------------------------------------------
# The manager's assignments (F1, F4, E4, H5) and the owner's consent (H1)
# ---------------------------------------------------------------------------

_ASSIGN_REASONS = {
    "F1": _lt(
        "The sales manager assigned the customer from the public pool; the new owner is "
        "protected until %(until)s."
    ),
    "F4": _lt(
        "The sales manager gave the customer of a salesperson who left to a new owner, "
        "protected until %(until)s."
    ),
    "E4": _lt(
        "Not converted within %(days)s days: the sales manager gave the customer to a new "
        "owner, protected until %(until)s."
    ),
    "H5": _lt("The sales manager gave the customer to a new owner, protected until %(until)s."),
    "H1": _lt(
        "At the customer's request and with the owner's consent, the customer has a new "
        "owner, protected until %(until)s."
    ),
}
_ASSIGN_LOCKED = {
    "F4": _lt(
        "The sales manager gave the closed customer of a salesperson who left to a new "
        "owner; ownership stays locked."
    ),
    "H5": _lt("The sales manager gave the closed customer to a new owner; ownership stays locked."),
}
_ASSIGN_SAME = _lt("%(owner)s already owns this customer.")


def assignment_rule(customer, at, policy):
    """Which rule a manager's assignment of this customer applies."""
    if customer.state == POOL:
        return "F1"
    if customer.state == HANDOVER or customer.handover:
        return "F4"
    if conversion_overdue(customer, at, policy):
        return "E4"
    return "H5"


def decide_assign(customer, new_owner_id, at, policy):
    """The sales manager gives the customer to ``new_owner_id`` (F1, F4, E4, H5)."""
    if customer.owner_id == new_owner_id and customer.state not in OWNERLESS:
        raise Refusal(Reason("H5", _ASSIGN_SAME, {"owner": UserRef(new_owner_id)}))
    rule = assignment_rule(customer, at, policy)
    if customer.state == LOCKED:
        locked_rule = "F4" if rule == "F4" else "H5"
        moved = replace(customer, owner_id=new_owner_id, owner_since=at, handover=False)
        return moved, Reason(locked_rule, _ASSIGN_LOCKED[locked_rule])
    customer, reason = _take(customer, new_owner_id, at, policy, rule, _ASSIGN_REASONS[rule])
    if rule == "E4":
        reason = Reason(rule, reason.message, dict(reason.args, days=policy.conversion_days))
    return customer, reason


# ---------------------------------------------------------------------------
# Reorders under the first-deal policy (E8)
# ---------------------------------------------------------------------------


def reorder_moves_customer(policy, deal_user_id, owner_id):
    """E8: another deal of a registered customer is won by ``deal_user_id``.
    The owner's reorder keeps the customer (and extends it). A deal closed by
    someone else moves nothing, nor does a deal on a customer without an
    owner (public pool, handover list): that customer is claimed or given by
    the sales manager first (F1, F2, F4), not taken by a side deal."""
    return bool(policy.first_deal and deal_user_id and owner_id and deal_user_id == owner_id)


# ---------------------------------------------------------------------------
# Departures (F4)
# ---------------------------------------------------------------------------

_DEPARTURE_REASON = _lt(
    "The salesperson left before any order: the customer is on the sales manager's "
    "handover list and will be treated as new."
)
_DEPARTURE_LOCKED_REASON = _lt(
    "The salesperson left: the customer, who has an order, stays as it is and waits on "
    "the sales manager's handover list."
)


def decide_departure(customer, at):
    """F4: the owner left (archived or removed from the team); None if nothing to do."""
    if customer.state == PROTECTED and customer.ownership_kind == DEAL and not customer.handover:
        # E8: a customer with an order keeps its owner until the manager decides
        return replace(customer, handover=True), Reason("F4", _DEPARTURE_LOCKED_REASON)
    if customer.state == PROTECTED and customer.owner_id and not customer.handover:
        handed = replace(
            customer,
            owner_id=None,
            state=HANDOVER,
            protected_until=None,
            previous_owner_id=customer.owner_id,
            pool_since=at,
            reminded_until=None,
        )
        return handed, Reason("F4", _DEPARTURE_REASON)
    if customer.state == LOCKED and not customer.handover:
        return replace(customer, handover=True), Reason("F4", _DEPARTURE_LOCKED_REASON)
    return None


# ---------------------------------------------------------------------------
# A customer's request for another salesperson (H1)
# ---------------------------------------------------------------------------

_REQUEST_REASON = _lt(
    "The customer asked for %(requested)s instead of the owner: the change waits for the "
    "owner's consent or the sales manager's decision."
)
_REQUEST_SIGNED = _lt(
    "The customer has signed (closed deal): the salesperson can no longer be changed on "
    "request (H1)."
)
_REQUEST_NO_OWNER = _lt("The customer has no owner to change: assign or claim the customer.")
_REQUEST_SAME = _lt("%(requested)s already owns this customer.")
_REQUEST_REFUSED = _lt("The request for %(requested)s was declined; %(owner)s keeps the customer.")


def check_change_request(customer, requested_id):
    """H1: a customer may ask for another salesperson before signing."""
    if customer.state == LOCKED:
        raise Refusal(Reason("H1", _REQUEST_SIGNED))
    if customer.state in OWNERLESS or not customer.owner_id:
        raise Refusal(Reason("H1", _REQUEST_NO_OWNER))
    if customer.owner_id == requested_id:
        raise Refusal(Reason("H1", _REQUEST_SAME, {"requested": UserRef(requested_id)}))
    return Reason("H1", _REQUEST_REASON, {"requested": UserRef(requested_id)})


def decide_change(customer, requested_id, at, policy, by_manager):
    """H1 (the owner consents) or H5 (the manager decides): ownership moves."""
    check_change_request(customer, requested_id)
    rule = "H5" if by_manager else "H1"
    return _take(customer, requested_id, at, policy, rule, _ASSIGN_REASONS[rule])


def decline_change(customer, requested_id):
    """H1 / H5: the request is declined; the owner keeps the customer."""
    args = {"requested": UserRef(requested_id), "owner": UserRef(customer.owner_id)}
    return Reason("H1", _REQUEST_REFUSED, args)


def local_date(at, tz_name):
    """The local calendar date of ``at`` (naive UTC) in ``tz_name``: the
    sales office's day (B1: the day's rotation and counts; F2: claims)."""
    try:
        zone = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.replace(tzinfo=timezone.utc).astimezone(zone).date()

"""Registration, follow-ups and closing (A1-A4, B2, B3, C1, C2, E1-E3, E7, E8),
pure Python.

This module decides who owns a customer following ``RULEBOOK.md``. It imports
nothing from Odoo and never reads the clock: every function takes the moment
it decides for (``at``) and plain values (``vocabulary``), and returns plain
values. The ORM layer (``models/``) reads records into these dataclasses,
calls the functions below and writes the decisions back.
"""

import math
import re
import unicodedata
from dataclasses import replace
from datetime import timedelta

from .vocabulary import (
    CALL,
    CHANNEL,
    DEAL,
    EXPIRED,
    FOLLOW_UP_KINDS,
    FROM_POOL,
    HANDED_OVER,
    HANDOVER,
    LOCKED,
    NEW,
    OWNERLESS,
    POOL,
    PROTECTED,
    REGISTRATION_KINDS,
    RETURNING,
    SOURCE_CHANNELS,
    VISIT,
    Customer,
    Decision,
    FollowUp,
    Label,
    Reason,
    Refusal,
    UserRef,
    _lt,
)

# E1: a done activity counts as this kind of follow-up, by activity category.
FOLLOW_UP_BY_ACTIVITY_CATEGORY = {"phonecall": "call", "meeting": "meeting"}


def follow_up_kind_for_activity(category):
    """E1: marking an activity done is a follow-up of this kind."""
    return FOLLOW_UP_BY_ACTIVITY_CATEGORY.get(category, "activity")


# ---------------------------------------------------------------------------
# A1: what a valid registration needs
# ---------------------------------------------------------------------------

NAME_MAX_LENGTH = 64  # A1: a person's full name, with room to spare
PHONE_MAX_DIGITS = 20  # A2: E.164 numbers have at most 15 digits, extensions aside
ECHO_MAX_LENGTH = 40  # what a refusal repeats of the input

PROBLEM_MESSAGES = {
    "name_missing": _lt("The customer's name is missing: register at least a surname (A1)."),
    "name_invalid": _lt(
        "“%(name)s” is not a name: register the customer's full name or at least a surname (A1)."
    ),
    "name_too_long": _lt(
        "The customer's name has %(length)s characters: register at most %(max)s, the full "
        "name or at least a surname (A1)."
    ),
    "phone_missing": _lt("The customer's phone number is missing (A1)."),
    "phone_not_number": _lt("“%(phone)s” is not a phone number (A1)."),
    "receiver_missing": _lt("Choose the salesperson who receives the customer (A3)."),
    "kind_unknown": _lt(
        "“%(kind)s” is not a kind of registration: register a visit, a phone call or a "
        "channel registration (A3)."
    ),
    "channel_unknown": _lt("“%(channel)s” is not a source channel (A4)."),
}

_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s\-().]+$")
# "(+86) 138-0013-8000": a country code written in brackets
_BRACKETED_COUNTRY_CODE = re.compile(r"^\(\s*(\+\s*\d{1,4})\s*\)\s*")


def printable(text):
    """``text`` without control characters (NUL and the like cannot be saved)."""
    return "".join(char for char in text if unicodedata.category(char) != "Cc" or char in "\t\n")


def clean_name(name):
    """Collapse spaces, drop control characters; return '' for a missing name."""
    return " ".join(printable(name or "").split())


def clean_phone(phone):
    """The phone as typed, trimmed, with a bracketed country code unwrapped
    (``(+86) 138-0013-8000`` → ``+86 138-0013-8000``)."""
    phone = printable(phone or "").strip()
    return _BRACKETED_COUNTRY_CODE.sub(lambda match: match.group(1) + " ", phone)


def shorten(text, limit=ECHO_MAX_LENGTH):
    """``text`` as a refusal may repeat it: cut to ``limit`` characters."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def registration_problems(name, phone, receiver_id, kind=VISIT, source_channel=""):
    """A1 / A3 / A4 checks that need no phone library.

    Returns a list of ``(code, args)``: empty when the registration may go on.
    Whether the phone is a real number of the right country is checked by the
    ORM layer with Odoo's phone library. What a problem repeats of the input
    is cut to a readable length.
    """
    problems = []
    name = clean_name(name)
    if not name:
        problems.append(("name_missing", {}))
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(("name_too_long", {"length": len(name), "max": NAME_MAX_LENGTH}))
    elif not any(unicodedata.category(char).startswith("L") for char in name):
        problems.append(("name_invalid", {"name": shorten(name)}))
    phone = clean_phone(phone)
    digits = sum(char.isdigit() for char in phone)
    if not phone:
        problems.append(("phone_missing", {}))
    elif not _PHONE_CHARACTERS.match(phone) or not 3 <= digits <= PHONE_MAX_DIGITS:
        problems.append(("phone_not_number", {"phone": shorten(phone)}))
    if not receiver_id:
        problems.append(("receiver_missing", {}))
    if kind not in REGISTRATION_KINDS:
        problems.append(("kind_unknown", {"kind": shorten(kind)}))
    if source_channel and source_channel not in SOURCE_CHANNELS:
        problems.append(("channel_unknown", {"channel": shorten(source_channel)}))
    return problems


# ---------------------------------------------------------------------------
# Protection periods (E1, E3, C2)
# ---------------------------------------------------------------------------


def protection_days(policy, customer):
    """Days of protection a contact gives: the first-deal period for a
    customer owned through a deal (E8), else the visit period once the
    customer visited, else the period of the registration that started
    the ownership."""
    if customer.ownership_kind == DEAL:
        return policy.first_deal_days
    if customer.visited:
        return policy.visit_days
    return policy.days_for(customer.ownership_kind)


def call_deadline(policy, customer):
    """C2: a caller must be brought to a visit within the call period."""
    if customer.ownership_kind == CALL and not customer.visited and customer.owner_since:
        return customer.owner_since + timedelta(days=policy.call_days)
    return None


def extended_deadline(policy, customer, at):
    """The deadline after a contact at ``at``: never earlier than the current one."""
    cap = call_deadline(policy, customer)
    if cap is not None:
        candidate = cap
    else:
        candidate = at + timedelta(days=protection_days(policy, customer))
    if customer.protected_until and customer.protected_until > candidate:
        return customer.protected_until
    return candidate


def days_left(protected_until, at):
    """Whole days of protection left (rounded up), 0 once it has ended."""
    if not protected_until or protected_until <= at:
        return 0
    return math.ceil((protected_until - at).total_seconds() / 86400)


# ---------------------------------------------------------------------------
# Registration (登记 / 判客): A2, A3, B2, B3, C1, E3, E7, F1
# ---------------------------------------------------------------------------

_NEW_REASONS = {
    VISIT: (
        "B2",
        _lt(
            "New customer: no earlier registration of this phone, so the receiver "
            "of this first visit is first receiver and owner, protected for "
            "%(days)s days without follow-up."
        ),
    ),
    CALL: (
        "C1",
        _lt(
            "New caller: no earlier registration of this phone, so the receiver of "
            "the first call owns the customer, who must be brought to a visit within "
            "%(days)s days."
        ),
    ),
    CHANNEL: (
        "A3",
        _lt(
            "New customer reported through a channel: ownership starts at this "
            "earliest registration and is protected for %(days)s days without "
            "follow-up."
        ),
    ),
}

_RETURNING_REASON = _lt(
    "Returning customer: the owner's protection runs until %(until)s, so this "
    "%(kind)s goes to the owner."
)
_RETURNING_FIRST_VISIT_REASON = _lt(
    "Returning customer on a first visit: the owner keeps the customer and the "
    "first follow-up is due by %(due)s."
)
_LOCKED_REASON = _lt(
    "Closed customer: ownership is locked with the owner after the deal and is never released."
)
_EXPIRED_REASON = _lt(
    "Protection ended on %(expired_at)s without follow-up: the former owner has "
    "no claim, and the receiver owns the customer as new."
)
_POOL_REASON = _lt("The customer was in the public pool: the receiver owns the customer as new.")
_HANDOVER_REASON = _lt(
    "The customer's salesperson left before any order: the customer is treated as new "
    "and the receiver owns them."
)
_HANDOVER_LOCKED_REASON = _lt(
    "Closed customer of a salesperson who left: ownership stays locked until the sales "
    "manager gives the customer to someone."
)

_KIND_WORDS = {
    VISIT: _lt("visit"),
    CALL: _lt("call"),
    CHANNEL: _lt("channel registration"),
}


def _new_ownership(registration, policy, source_channel):
    kind = registration.kind
    at = registration.at
    visited = kind == VISIT
    customer = Customer(
        owner_id=registration.receiver_id,
        state=PROTECTED,
        protected_until=at + timedelta(days=policy.days_for(kind)),
        first_receiver_id=registration.receiver_id,
        first_contact_at=at,
        owner_since=at,
        ownership_kind=kind,
        visited=visited,
        last_follow_up_at=None,
        source_channel=source_channel,
    )
    due = at + timedelta(days=policy.first_follow_up_days) if visited else None
    return customer, due


def start_ownership(customer, owner_id, at, until, **changes):
    """A fresh ownership of a known customer by ``owner_id`` from ``at``,
    protected until ``until``: a claim or an assignment (F1, F4, E4, H1, H5)
    or a first deal (E8)."""
    return replace(
        customer,
        owner_id=owner_id,
        owner_since=at,
        state=PROTECTED,
        protected_until=until,
        handover=False,
        reminded_until=None,
        pool_since=None,
        **changes,
    )


# The source channel whose new customers the manager assigns (D4, 公司关系).
COMPANY_RELATIONS = "company"
_COMPANY_REASON = _lt(
    "D4: a customer of the company's relations (公司关系) is assigned by the sales manager: "
    "registered to the manager's list, not to the rotation or the receiver."
)


def _company_relations(registration):
    """D4: a new company-relations customer, on the manager's list (no owner)."""
    at = registration.at
    customer = Customer(
        owner_id=None,
        state=HANDOVER,
        protected_until=None,
        first_receiver_id=None,
        first_contact_at=at,
        owner_since=None,
        ownership_kind=registration.kind,
        visited=registration.kind == VISIT,
        source_channel=COMPANY_RELATIONS,
        pool_since=at,
    )
    return Decision(NEW, customer, None, Reason("D4", _COMPANY_REASON))


def decide_registration(registration, known, policy):
    """Decide a registration of ``registration.phone`` (A2).

    :param registration: the :class:`Registration` being made
    :param known: the :class:`Customer` registered under that phone, or None
    :param policy: the :class:`Policy` in force
    :return: a :class:`Decision`
    """
    at = registration.at
    if known is None and registration.source_channel == COMPANY_RELATIONS:
        return _company_relations(registration)
    if known is None:
        customer, due = _new_ownership(registration, policy, registration.source_channel)
        rule, message = _NEW_REASONS[registration.kind]
        reason = Reason(rule, message, {"days": policy.days_for(registration.kind)})
        return Decision(NEW, customer, None, reason, due)

    if known.state == LOCKED:
        if known.handover:
            reason = Reason("F4", _HANDOVER_LOCKED_REASON)
        else:
            reason = Reason("E7", _LOCKED_REASON)
        return Decision(RETURNING, known, known.owner_id, reason)

    expired_at = known.expired_at(at)
    if known.state in OWNERLESS or known.owner_id is None or expired_at:
        customer, due = _new_ownership(
            registration, policy, known.source_channel or registration.source_channel
        )
        if known.state == HANDOVER:
            outcome, reason = HANDED_OVER, Reason("F4", _HANDOVER_REASON)
        elif known.state == POOL or known.owner_id is None:
            outcome, reason = FROM_POOL, Reason("F1", _POOL_REASON)
        else:
            outcome = EXPIRED
            reason = Reason("E3", _EXPIRED_REASON, {"expired_at": expired_at})
        return Decision(outcome, customer, known.owner_id, reason, due)

    # B3: a returning customer within protection stays with the owner; the
    # contact counts as a follow-up of the customer (E1).
    first_visit = registration.kind == VISIT and not known.visited
    after_visit = replace(
        known, visited=known.visited or registration.kind == VISIT, last_follow_up_at=at
    )
    until = extended_deadline(policy, after_visit, at)
    customer = replace(after_visit, protected_until=until)
    if first_visit:
        due = at + timedelta(days=policy.first_follow_up_days)
        reason = Reason("B3", _RETURNING_FIRST_VISIT_REASON, {"due": due})
        return Decision(RETURNING, customer, known.owner_id, reason, due)
    reason = Reason(
        "B3", _RETURNING_REASON, {"until": until, "kind": Label(_KIND_WORDS[registration.kind])}
    )
    return Decision(RETURNING, customer, known.owner_id, reason)


# ---------------------------------------------------------------------------
# Follow-ups (E1, E2)
# ---------------------------------------------------------------------------

_FOLLOW_UP_EXTENDED = _lt("Follow-up by the owner: protection extended until %(until)s.")
_FOLLOW_UP_FIRST_VISIT = _lt(
    "First visit logged by the owner: protection now follows the visit period, "
    "until %(until)s; the first follow-up is due by %(due)s."
)
_FOLLOW_UP_CALL_CAP = _lt(
    "Follow-up recorded; a caller not yet brought to a visit stays protected only "
    "until %(until)s, the end of the call period."
)
_FOLLOW_UP_NOT_OWNER = _lt(
    "Follow-up recorded; only the owner's follow-ups extend protection, which "
    "stays until %(until)s."
)
_FOLLOW_UP_LOCKED = _lt("Follow-up recorded; a closed customer stays locked with the owner.")
_FOLLOW_UP_EXPIRED = _lt(
    "Follow-up recorded too late: protection had ended on %(expired_at)s, so it "
    "does not restore ownership."
)
_FOLLOW_UP_NO_OWNER = _lt(
    "This customer has no owner (public pool or handover list): the customer must be "
    "claimed, assigned or registered before follow-ups are logged."
)


def decide_follow_up(known, actor_id, at, kind, policy):
    """Decide what a follow-up logged by ``actor_id`` at ``at`` does (E1, E2).

    Raises :class:`Refusal` when the customer has no owner.
    """
    if kind not in FOLLOW_UP_KINDS:
        raise ValueError(f"unknown follow-up kind {kind!r}")
    if known.state in OWNERLESS or known.owner_id is None:
        raise Refusal(Reason("F1", _FOLLOW_UP_NO_OWNER))
    if known.state == LOCKED:
        customer = replace(known, last_follow_up_at=at)
        return FollowUp(customer, False, Reason("E7", _FOLLOW_UP_LOCKED))
    expired_at = known.expired_at(at)
    if expired_at:
        return FollowUp(known, False, Reason("E3", _FOLLOW_UP_EXPIRED, {"expired_at": expired_at}))
    if actor_id != known.owner_id:
        return FollowUp(
            known, False, Reason("E1", _FOLLOW_UP_NOT_OWNER, {"until": known.protected_until})
        )
    first_visit = kind == "visit" and not known.visited
    after = replace(known, visited=known.visited or kind == "visit", last_follow_up_at=at)
    until = extended_deadline(policy, after, at)
    customer = replace(after, protected_until=until)
    extended = until != known.protected_until
    if first_visit:
        due = at + timedelta(days=policy.first_follow_up_days)
        reason = Reason("E2", _FOLLOW_UP_FIRST_VISIT, {"until": until, "due": due})
        return FollowUp(customer, extended, reason, due, by_owner=True)
    if call_deadline(policy, after) is not None:
        reason = Reason("C2", _FOLLOW_UP_CALL_CAP, {"until": until})
    else:
        reason = Reason("E1", _FOLLOW_UP_EXTENDED, {"until": until})
    return FollowUp(customer, extended, reason, by_owner=True)


# ---------------------------------------------------------------------------
# Closing a deal (E7, E8)
# ---------------------------------------------------------------------------

_LOCK_REASON = _lt("Deal closed: ownership is locked with the owner and never released.")
_UNLOCK_REASON = _lt(
    "Deal reopened: the customer is protected again for the owner until %(until)s."
)
_LOST_REASON = _lt(
    "Closed deal marked lost (cancelled): the customer is protected again for the owner "
    "until %(until)s."
)
_FIRST_DEAL_REASON = _lt(
    "First deal closed: its salesperson owns the customer, protected until %(until)s "
    "without contact or reorder."
)
_REORDER_REASON = _lt(
    "Reorder closed: the owner of the first deal keeps the customer, protected until %(until)s."
)


_CLOSE_EXPIRED = _lt(
    "Protection ended on %(expired_at)s without follow-up: the customer is no longer "
    "yours to close. Register the customer again or ask the sales manager (E3)."
)


def check_close(known, at):
    """E3: a deal closed after the owner's protection ended is not the former
    owner's: the customer must be registered or given again first (the sales
    manager may still close it)."""
    expired_at = known.expired_at(at)
    if expired_at:
        raise Refusal(Reason("E3", _CLOSE_EXPIRED, {"expired_at": expired_at}))


def decide_close(known, closer_id, at, policy):
    """A deal of the customer is won by ``closer_id``.

    E7 (default): ownership is locked with the owner for good.
    E8 (first-deal policy, repeat purchases): the salesperson of the first
    closed deal owns the customer, protected for the first-deal period and
    extended by every contact or reorder.
    """
    if not policy.first_deal:
        customer = replace(known, state=LOCKED, protected_until=None, handover=False)
        return customer, Reason("E7", _LOCK_REASON)
    if known.ownership_kind == DEAL and known.state == PROTECTED and not known.expired_at(at):
        until = max(known.protected_until, at + timedelta(days=policy.first_deal_days))
        customer = replace(known, protected_until=until, last_follow_up_at=at)
        return customer, Reason("E8", _REORDER_REASON, {"until": until})
    until = at + timedelta(days=policy.first_deal_days)
    customer = start_ownership(
        known, closer_id, at, until, ownership_kind=DEAL, last_follow_up_at=at
    )
    return customer, Reason("E8", _FIRST_DEAL_REASON, {"until": until})


def decide_reopen(known, at, policy, lost=False):
    """A deal taken back out of the won stage, or marked lost (cancelled):
    protection restarts from ``at`` (a caller never brought to a visit keeps
    the end of the call period, C2)."""
    until = extended_deadline(policy, replace(known, protected_until=None), at)
    customer = replace(known, state=PROTECTED, protected_until=until)
    return customer, Reason("E7", _LOST_REASON if lost else _UNLOCK_REASON, {"until": until})


# ---------------------------------------------------------------------------
# A language barrier at the door (B9)
# ---------------------------------------------------------------------------

_HAND_OFF_REASON = _lt(
    "Language barrier: %(from)s handed the visitor to %(user)s, next in rotation, who owns "
    "the customer from now on, protected until %(until)s (B9)."
)
_HAND_OFF_REFUSED = _lt(
    "Only a new visitor just received can be handed to the next in rotation: this customer "
    "is not a new walk-in held by %(from)s (B9)."
)


def decide_hand_off(known, from_id, to_id, at):
    """B9: the receiver of a new walk-in cannot serve the visitor (language)
    and hands them to the next in rotation, who becomes the owner as if they
    had received them first: the same protection period, from the same visit,
    with its first follow-up due; the first receiver keeps only the count.

    :return: ``(Customer, Reason)``; raises ``Refusal`` for anything but a new
        visitor received by ``from_id``.
    """
    if (
        known.state != PROTECTED
        or known.owner_id != from_id
        or known.first_receiver_id != from_id
        or known.ownership_kind != VISIT
        or from_id == to_id
    ):
        raise Refusal(Reason("B9", _HAND_OFF_REFUSED, {"from": UserRef(from_id)}))
    customer = replace(known, owner_id=to_id, first_receiver_id=to_id, owner_since=at)
    args = {"from": UserRef(from_id), "user": UserRef(to_id), "until": known.protected_until}
    return customer, Reason("B9", _HAND_OFF_REASON, args)


# ---------------------------------------------------------------------------
# A customer's new phone number (A2)
# ---------------------------------------------------------------------------

_PHONE_CHANGE_UNTIL = _lt(
    "The customer's phone changed from %(old)s to %(new)s: a customer who changes phone is "
    "not a new customer, and the old number still leads to them until %(until)s, the end "
    "of the protection period."
)
_PHONE_CHANGE_KEPT = _lt(
    "The customer's phone changed from %(old)s to %(new)s: a customer who changes phone is "
    "not a new customer, and the old number still leads to them."
)


def decide_phone_change(customer, old, new, at):
    """A2: how long a customer's former number keeps identifying them: for
    the rest of the protection period of a protected customer; for good for
    a closed customer (E7), one in the pool or on the handover list.

    :return: ``(valid_until or None, Reason)``
    """
    args = {"old": old, "new": new}
    if customer.state == PROTECTED and customer.protected_until and customer.protected_until > at:
        return customer.protected_until, Reason(
            "A2", _PHONE_CHANGE_UNTIL, dict(args, until=customer.protected_until)
        )
    return None, Reason("A2", _PHONE_CHANGE_KEPT, args)

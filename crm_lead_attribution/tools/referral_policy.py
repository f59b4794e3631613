"""Referrals (老带新, 群带性) and personal reports (亲友报备): rules D1-D4.

Who owns a new customer that someone brought: the referrer's owner, along
the chain of referrals (D1), if the referral counts (D2: the referrer came
in person, or the referral was reported to the manager beforehand and
confirmed); the on-duty salesperson if that owner has left (D3); a
salesperson's relative or friend reported beforehand belongs to that
salesperson (D4).

Pure Python: the ORM reads the chain (one recursive query from the
referrer up to the chain's first customer) and the report into the plain
inputs below and applies the decision. Datetimes are naive UTC.
"""

from dataclasses import dataclass
from datetime import timedelta

from .vocabulary import HANDOVER, LOCKED, PROTECTED, Label, Reason, UserRef, _lt

# Kinds of report (报备) made before the person comes.
REFERRAL = "referral"  # an existing customer will bring this person (D2)
RELATION = "relation"  # a relative or friend of the reporting salesperson (D4)
REPORT_KIND_LABELS = {
    REFERRAL: _lt("Referral by a Customer"),
    RELATION: _lt("Relative or Friend"),
}
REPORT_KINDS = tuple(REPORT_KIND_LABELS)

# Report states: drafted by a salesperson, confirmed (or refused) by the
# manager, used by the registration it decided.
REPORT_STATE_LABELS = {
    "draft": _lt("To Confirm"),
    "confirmed": _lt("Confirmed"),
    "refused": _lt("Refused"),
    "used": _lt("Used"),
}
REPORT_STATES = tuple(REPORT_STATE_LABELS)

# The states in which a customer has an owner whose referrals it brings.
HELD = (PROTECTED, LOCKED)

# A chain never walks further than this (a guard: cycles are refused on write).
MAX_DEPTH = 1000


@dataclass(frozen=True)
class Link:
    """A customer of the referral chain, read from the referrer upward."""

    partner_id: int
    name: str
    owner_id: int | None = None  # the owner of the customer's lead (handover: the former one)
    state: str = ""  # the lead's attribution state; "" if never registered
    owner_can_own: bool = True  # the owner is still an active salesperson (D3)


@dataclass(frozen=True)
class Report:
    """A report (报备) made before the person came: by whom, when, confirmed."""

    kind: str
    reported_by_id: int
    reported_at: object  # datetime
    confirmed: bool
    reporter_can_own: bool = True


@dataclass(frozen=True)
class ReferralDecision:
    """Who owns the customer brought: ``owner_id`` None means the on-duty
    salesperson (the rotation) receives and owns as for any new customer."""

    counted: bool  # a referral or report decided the owner's side (D1, D3, D4)
    owner_id: int | None
    through_id: int | None  # the customer of the chain whose owner owns (D1)
    reason: Reason


# ---------------------------------------------------------------------------
# The chain (D1)
# ---------------------------------------------------------------------------


def chain_of(referrer_of, partner_id):
    """The chain above ``partner_id``: its referrer, the referrer's referrer,
    ... up to the chain's first customer (``referrer_of``: id -> id or None).
    Stops at a cycle instead of looping (the ORM refuses cycles on write)."""
    chain, seen = [], {partner_id}
    current = referrer_of.get(partner_id)
    while current and current not in seen and len(chain) < MAX_DEPTH:
        chain.append(current)
        seen.add(current)
        current = referrer_of.get(current)
    return chain


def would_cycle(referrer_of, partner_id, referrer_id):
    """D1: naming ``referrer_id`` as the referrer of ``partner_id`` would make
    the chain a cycle (乙 named as 甲's referrer after 甲 referred 乙)."""
    if not referrer_id:
        return False
    return referrer_id == partner_id or partner_id in chain_of(referrer_of, referrer_id)


def root_and_depth(referrer_of, partner_id):
    """The chain's first customer (None for a customer nobody brought) and the
    number of referrals between it and ``partner_id``."""
    chain = chain_of(referrer_of, partner_id)
    return (chain[-1] if chain else None), len(chain)


def holder(chain):
    """D1: the customer of the chain whose owner owns the referral: the
    referrer if someone holds it, else the nearest customer above it who is
    held (A's customer 甲 brings 乙, 乙 brings 丙: all are A's); a customer on
    the handover list stops the walk: its owner left (D3)."""
    for link in chain:
        if (link.state in HELD and link.owner_id) or link.state == HANDOVER:
            return link
    return None


# ---------------------------------------------------------------------------
# Reports (D2, D4)
# ---------------------------------------------------------------------------


def report_expires_at(reported_at, policy):
    """A report expires after the policy's days if the person never comes."""
    return reported_at + timedelta(days=policy.referral_report_days)


def report_valid(report, at, policy):
    """A report counts once the manager confirmed it, from when it was made
    until it expires."""
    return bool(
        report
        and report.confirmed
        and report.reported_at <= at < report_expires_at(report.reported_at, policy)
    )


# ---------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------

_NOT_COUNTED = _lt(
    "D2: the referrer did not come in person and no confirmed report (报备) was made "
    "beforehand: a chance meeting does not count, the visitor is a new customer for "
    "the rotation."
)
_REPORT_NOT_VALID = _lt(
    "D2: the report (报备) of this visitor is %(state)s and the referrer did not come in "
    "person: the visitor is a new customer for the rotation."
)
_NOBODY_HOLDS = _lt(
    "D1: neither the referrer nor any customer above it in the chain of referrals is held by "
    "a salesperson: the visitor is a new customer for the rotation."
)
_OWNED = _lt(
    "D1: brought by a customer of %(owner)s (%(how)s; %(steps)s step(s) up the chain of "
    "referrals): %(owner)s owns this customer."
)
_OWNER_GONE = _lt(
    "D3: brought by a customer of %(owner)s (%(how)s), who has left: the on-duty salesperson "
    "receives and owns this customer."
)
_BLIND = _lt(
    "%(rule)s: this visitor was brought by a customer or reported beforehand (报备): the "
    "customer belongs to %(owner)s."
)
_RELATION = _lt(
    "D4: a relative or friend of %(owner)s, reported beforehand: the customer belongs to them."
)
_RELATION_GONE = _lt(
    "D4: a relative or friend of %(owner)s, who has left: the on-duty salesperson "
    "receives and owns this customer."
)
_HOW_PRESENT = _lt("the referrer came in person")
_HOW_REPORTED = _lt("reported beforehand and confirmed")
_STATE_WORDS = {
    "draft": _lt("not confirmed by the manager"),
    "refused": _lt("refused by the manager"),
    "used": _lt("already used"),
    "expired": _lt("expired"),
}


def blind_reason(reason, owner_id):
    """What a salesperson registering the visitor is told of a referral: the
    rule and the owner, not who brought whom (F3)."""
    return Reason(reason.rule, _BLIND, {"rule": reason.rule, "owner": UserRef(owner_id or 0)})


def report_state(report, stored_state, at, policy):
    """The state a report has at ``at``: its stored one, or expired."""
    if stored_state == "confirmed" and not report_valid(report, at, policy):
        return "expired"
    return stored_state


def decide_referral(chain, present, report, at, policy, report_status=""):
    """Who owns a new customer brought by a referrer (D1-D3) or reported as a
    salesperson's relative or friend (D4).

    :param chain: the ``Link`` of the referrer first, then the customers above
        it up to the chain's first customer; empty for a relation report
    :param present: the referrer came along in person (recorded at the desk)
    :param report: the ``Report`` of this visitor, or None
    :param report_status: the report's stored state (draft, confirmed, ...)
    :return: a ``ReferralDecision``; ``owner_id`` None: the rotation decides
    """
    if report and report.kind == RELATION and report_valid(report, at, policy):
        args = {"owner": UserRef(report.reported_by_id)}
        if report.reporter_can_own:
            return ReferralDecision(
                True, report.reported_by_id, None, Reason("D4", _RELATION, args)
            )
        return ReferralDecision(True, None, None, Reason("D4", _RELATION_GONE, args))
    reported = bool(report and report.kind == REFERRAL and report_valid(report, at, policy))
    if not chain:
        return ReferralDecision(False, None, None, Reason("D2", _NOT_COUNTED))
    if not (present or reported):
        if report and report_status:
            state = report_state(report, report_status, at, policy)
            word = Label(_STATE_WORDS.get(state, _STATE_WORDS["expired"]))
            return ReferralDecision(
                False, None, None, Reason("D2", _REPORT_NOT_VALID, {"state": word})
            )
        return ReferralDecision(False, None, None, Reason("D2", _NOT_COUNTED))
    link = holder(chain)
    if link is None:
        return ReferralDecision(False, None, None, Reason("D1", _NOBODY_HOLDS))
    # no customer's name in the sentence: the desk and the ledger show it to
    # users who may not read those customers (F3)
    args = {
        "how": Label(_HOW_PRESENT if present else _HOW_REPORTED),
        "owner": UserRef(link.owner_id or 0),
        "steps": chain.index(link),
    }
    if link.state == HANDOVER or not link.owner_can_own:
        return ReferralDecision(True, None, link.partner_id, Reason("D3", _OWNER_GONE, args))
    return ReferralDecision(True, link.owner_id, link.partner_id, Reason("D1", _OWNED, args))


# ---------------------------------------------------------------------------
# The report's own entries in the ledger (I1)
# ---------------------------------------------------------------------------

_REPORTED = {
    REFERRAL: _lt(
        "D2: %(user)s reported that %(referrer)s will bring %(name)s (%(phone)s); the report "
        "counts once a sales manager confirms it, until %(expires)s."
    ),
    RELATION: _lt(
        "D4: %(user)s reported %(name)s (%(phone)s) as a relative or friend; the report counts "
        "once a sales manager confirms it, until %(expires)s."
    ),
}
_CONFIRMED = _lt("%(rule)s: the report of %(name)s was confirmed; it counts until %(expires)s.")
_REFUSED = _lt("%(rule)s: the report of %(name)s was refused; it does not count.")


def report_rule(kind):
    return "D4" if kind == RELATION else "D2"


def report_reason(event, kind, name, phone, user_id, referrer, expires):
    """The sentence of a report made, confirmed or refused (``event``)."""
    rule = report_rule(kind)
    args = {"name": name, "expires": expires}
    if event == "reported":
        args.update(user=UserRef(user_id), phone=phone, referrer=referrer or "")
        return Reason(rule, _REPORTED[kind], args)
    args["rule"] = rule
    return Reason(rule, _CONFIRMED if event == "confirmed" else _REFUSED, args)

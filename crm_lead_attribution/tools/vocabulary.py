"""The vocabulary of customer attribution (客户归属), defined once.

States, kinds, outcomes, ledger events; the sentence types (``Reason``,
``Refusal``); the plain inputs and outputs of the policy (``Policy``,
``Registration``, ``Customer``, ``Decision``, ``FollowUp``). Pure Python: it
imports nothing from Odoo. The ORM layer builds its labelled selections from
the codes and labels below (``crm_lead_attribution/const.py``).

Datetimes are naive UTC, as Odoo stores them. User ids are plain integers.
Sentences shown to users are English source strings marked with ``_lt`` so
that Odoo's translation export picks them up; the ORM layer translates them
with ``env._`` when it renders them.
"""

from dataclasses import dataclass, field
from datetime import datetime


def _lt(source):
    """Mark ``source`` for translation export; translation happens in the ORM."""
    return source


# ---------------------------------------------------------------------------
# Codes and their labels
# ---------------------------------------------------------------------------

# What happened at the desk (登记类型): a walk-in visit, a phone call, or a
# registration reported by a channel / partner (渠道报备).
VISIT = "visit"
CALL = "call"
CHANNEL = "channel"
REGISTRATION_KINDS = (VISIT, CALL, CHANNEL)
# Ownership started by a first closed deal, under the first-deal policy (E8).
DEAL = "deal"
OWNERSHIP_KINDS = (*REGISTRATION_KINDS, DEAL)
KIND_LABELS = {
    VISIT: _lt("Visit"),
    CALL: _lt("Phone Call"),
    CHANNEL: _lt("Channel Registration"),
    DEAL: _lt("First Deal"),
}

# Source channel of a customer (A4).
SOURCE_CHANNEL_LABELS = {
    "visit": _lt("Walk-in Visit"),  # 来访
    "call": _lt("Phone Call"),  # 来电
    "referral": _lt("Referral"),  # 老带新 / 转介绍
    "channel": _lt("Channel / Partner"),  # 渠道 / 合作单位 (flyers, roadshows)
    "company": _lt("Company Relations"),  # 公司关系
    "relation": _lt("Salesperson's Relation"),  # 亲友
    "other": _lt("Other"),
}
SOURCE_CHANNELS = tuple(SOURCE_CHANNEL_LABELS)
DEFAULT_SOURCE_CHANNEL = {VISIT: "visit", CALL: "call", CHANNEL: "channel"}

# Follow-up kinds (E1); "activity": an activity marked done.
FOLLOW_UP_LABELS = {
    "call": _lt("Call"),
    "visit": _lt("Visit"),
    "message": _lt("WeChat / SMS Message"),
    "meeting": _lt("Meeting"),
    "activity": _lt("Activity Done"),
}
FOLLOW_UP_KINDS = tuple(FOLLOW_UP_LABELS)

# Attribution states of a customer.
PROTECTED = "protected"
POOL = "pool"
LOCKED = "locked"
HANDOVER = "handover"  # owner left; waiting for the sales manager (F4)
STATE_LABELS = {
    PROTECTED: _lt("Protected"),
    POOL: _lt("Public Pool"),
    LOCKED: _lt("Locked (Closed)"),
    HANDOVER: _lt("Handover"),
}
STATES = tuple(STATE_LABELS)
OWNERLESS = (POOL, HANDOVER)

# Outcomes of a registration (判客).
NEW = "new"  # nobody owns this phone: the receiver owns it (A3, B2, C1)
RETURNING = "returning"  # owned and protected, or locked: the owner keeps it (B3, E7)
EXPIRED = "expired"  # protection ended: treated as new (E3)
FROM_POOL = "pool"  # in the public pool: treated as new (F1)
HANDED_OVER = "handover"  # its salesperson left before an order: treated as new (F4)
OUTCOME_LABELS = {
    NEW: _lt("New Customer"),
    RETURNING: _lt("Returning Customer"),
    EXPIRED: _lt("Treated as New: Protection Ended"),
    FROM_POOL: _lt("Treated as New: From the Pool"),
    HANDED_OVER: _lt("Treated as New: Salesperson Left"),
}
OUTCOMES = tuple(OUTCOME_LABELS)
# Outcomes that take a customer nobody holds any more (F2: like a claim).
TAKEN_AS_NEW = (EXPIRED, FROM_POOL, HANDED_OVER)

# Events of the attribution ledger (I1).
EVENT_LABELS = {
    "registration": _lt("Registration"),
    "reception": _lt("Returning Registration"),
    "follow_up": _lt("Follow-up"),
    "reminder": _lt("Reminder"),
    "release": _lt("Released to the Pool"),
    "claim": _lt("Claim"),
    "ownership": _lt("Ownership Change"),
    "handover": _lt("Handover"),
    "closing": _lt("Deal Closed or Reopened"),
    "request": _lt("Change Request"),
    "phone": _lt("Phone Change"),
    "referral": _lt("Referral or Report"),
    "share": _lt("Deal Shares"),
}
EVENTS = tuple(EVENT_LABELS)


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRef:
    """A user named in a sentence; the ORM layer renders the name."""

    id: int


@dataclass(frozen=True)
class Label:
    """A translatable word inside a sentence (e.g. the kind of registration)."""

    text: str


@dataclass(frozen=True)
class Reason:
    """One sentence explaining a decision, with the rule id that made it.

    ``message`` is an English source string with ``%(name)s`` placeholders
    filled from ``args`` once translated. Datetime arguments stay datetimes
    so that the reader's language and time zone can format them.
    """

    rule: str
    message: str
    args: dict = field(default_factory=dict)

    def render(self, translate=None, format_datetime=None, format_user=None):
        """Return the sentence, translated and formatted by the callables given."""
        translate = translate or (lambda text: text)
        format_datetime = format_datetime or (lambda value: value.strftime("%Y-%m-%d %H:%M"))
        format_user = format_user or (lambda ref: f"#{ref.id}")

        def fmt(value):
            if isinstance(value, datetime):
                return format_datetime(value)
            if isinstance(value, UserRef):
                return format_user(value)
            if isinstance(value, Label):
                return translate(value.text)
            return value

        return translate(self.message) % {key: fmt(value) for key, value in self.args.items()}


class Refusal(Exception):
    """A request the rules forbid; carries the rule id and a sentence."""

    def __init__(self, reason):
        super().__init__(reason.message % reason.args if reason.args else reason.message)
        self.reason = reason


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The protection policy of a company (or of a sales team)."""

    visit_days: int = 10  # E3: visit protection period
    call_days: int = 15  # C2 / E3: call protection period
    channel_days: int = 15  # E3: channel registration protection period
    first_follow_up_days: int = 2  # E2
    reminder_days: int = 3  # E6: remind the owner this many days before; 0: no reminder
    release: bool = True  # E3 / C2: release ended protections to the pool
    conversion_days: int = 30  # E4: not converted after this many days; 0: off
    first_deal: bool = False  # E8: the first closed deal owns (repeat purchases)
    first_deal_days: int = 30  # E8: released after this many days without contact or reorder
    holding_limit: int = 50  # F2: protected customers per salesperson; 0: no limit
    daily_claim_limit: int = 5  # F2: claims per salesperson and day; 0: no limit
    cooldown_days: int = 7  # F2: before a former owner may reclaim; 0: none
    referral_report_days: int = 30  # D2 / D4: a report (报备) expires after this many days
    helper_share_percent: int = 50  # G1: the same-day helper's share of a deal (0-100)

    POSITIVE = (
        "visit_days",
        "call_days",
        "channel_days",
        "first_follow_up_days",
        "first_deal_days",
        "referral_report_days",
    )
    NOT_NEGATIVE = (
        "reminder_days",
        "conversion_days",
        "holding_limit",
        "daily_claim_limit",
        "cooldown_days",
        "helper_share_percent",
    )
    AT_MOST = {"helper_share_percent": 100}

    def days_for(self, kind):
        return {
            VISIT: self.visit_days,
            CALL: self.call_days,
            CHANNEL: self.channel_days,
            DEAL: self.first_deal_days,
        }[kind]

    def problems(self):
        """Names of the settings out of range: protection periods must be
        positive whole numbers of days; limits and the other periods zero
        (off) or more."""

        def whole(value):
            return isinstance(value, int) and not isinstance(value, bool)

        return [
            name
            for name in self.POSITIVE + self.NOT_NEGATIVE
            if not whole(getattr(self, name))
            or getattr(self, name) < (1 if name in self.POSITIVE else 0)
            or getattr(self, name) > self.AT_MOST.get(name, getattr(self, name))
        ]


@dataclass(frozen=True)
class Registration:
    """A registration at the desk: a visit, a call or a channel report."""

    kind: str
    phone: str  # normalized (E.164) phone number
    name: str
    receiver_id: int
    at: datetime
    source_channel: str = ""

    def __post_init__(self):
        if self.kind not in REGISTRATION_KINDS:
            raise ValueError(f"unknown registration kind {self.kind!r}")
        if not self.source_channel:
            object.__setattr__(self, "source_channel", DEFAULT_SOURCE_CHANNEL[self.kind])
        elif self.source_channel not in SOURCE_CHANNELS:
            raise ValueError(f"unknown source channel {self.source_channel!r}")


@dataclass(frozen=True)
class Customer:
    """What is known about a registered phone: the current attribution."""

    owner_id: int | None
    state: str
    protected_until: datetime | None
    first_receiver_id: int | None
    first_contact_at: datetime | None
    owner_since: datetime | None
    ownership_kind: str  # registration kind that started the current ownership
    visited: bool = False  # has visited since the current ownership started
    last_follow_up_at: datetime | None = None
    source_channel: str = ""
    handover: bool = False  # a closed customer whose owner left (F4)
    previous_owner_id: int | None = None  # who owned it before the pool / handover
    pool_since: datetime | None = None
    reminded_until: datetime | None = None  # E6: the deadline already reminded of

    def expired_at(self, at):
        """When protection ended, if it has ended by ``at``; else None."""
        if self.state == PROTECTED and self.protected_until and self.protected_until <= at:
            return self.protected_until
        return None


# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The outcome of a registration and the attribution that follows it."""

    outcome: str
    customer: Customer  # the attribution after the registration
    previous_owner_id: int | None
    reason: Reason
    first_follow_up_due: datetime | None = None  # E2: schedule the first follow-up

    @property
    def rule(self):
        return self.reason.rule

    @property
    def owner_id(self):
        return self.customer.owner_id

    @property
    def ownership_changed(self):
        return self.customer.owner_id != self.previous_owner_id

    @property
    def is_new(self):
        return self.outcome != RETURNING


@dataclass(frozen=True)
class FollowUp:
    """The effect of a logged follow-up on the attribution."""

    customer: Customer
    extended: bool
    reason: Reason
    first_follow_up_due: datetime | None = None
    by_owner: bool = False  # the owner followed up in time: the E2 follow-up is done

    @property
    def rule(self):
        return self.reason.rule

"""Performance splits on won deals (分单 / 业绩分配): rules G1-G4, B5, B6, C3, B11.

When a deal is won its shares are computed: for each kind the policy knows
(performance 业绩, commission / bonus 提成), lines of (salesperson, percent,
rule, reason). Shares of one kind always total exactly 100 %: percents are
counted in hundredths of a percent (integers), and what an even split leaves
over goes to the first line.

Which rule applies, first match wins:

1. B11: a quarrel in front of customers was recorded on the deal: the deal's
   performance is forfeited (业绩充公), every share goes to the company.
2. G2: the manager linked the customers of one family or group met by
   different salespeople without knowing: commission split evenly among
   them, performance to the first receiver.
3. G3: the customer came to sign as arranged with the owner: all stays with
   the owner, helpers or not.
4. G1 (B5, B6): a helper received the owner's customer on the day the deal
   was won: performance and commission split by the policy ratio (default
   50/50); a helper of another day gets nothing.
5. C3: the customer named the caller only after booking: performance to the
   receiver (the owner), commission split 50/50 with the caller.
6. G4: one line of 100 % to the owner for each kind.

Pure Python: no Odoo import; dates are passed in.
"""

from dataclasses import dataclass

from .vocabulary import Reason, UserRef, _lt

PERFORMANCE = "performance"  # 业绩
BONUS = "bonus"  # 提成 / 奖金
SHARE_KIND_LABELS = {
    PERFORMANCE: _lt("Performance (业绩)"),
    BONUS: _lt("Commission / Bonus (提成)"),
}
SHARE_KINDS = tuple(SHARE_KIND_LABELS)
WHOLE = 10000  # 100 %, in hundredths of a percent


@dataclass(frozen=True)
class Helper:
    """A helper reception of the deal's customer (B5, B6), from the rotation's log."""

    user_id: int
    day: object  # the sales office's day (a date)
    arranged: bool = False  # G3: the customer came to sign as arranged with the owner


@dataclass(frozen=True)
class Deal:
    """A won deal as the split reads it."""

    owner_id: int | None
    won_day: object  # the sales office's day the deal was won (a date)
    helpers: tuple = ()  # Helper receptions of this customer for this owner
    group: tuple = ()  # G2: (first contact datetime, receiver id) of each linked customer
    caller_after_booking_id: int | None = None  # C3: caller named only after booking
    forfeit: bool = False  # B11: a quarrel in front of customers on this deal


@dataclass(frozen=True)
class Share:
    """One line: who, which kind, how much (hundredths of a percent), why."""

    user_id: int | None  # None: the company (a forfeit)
    kind: str
    basis: int  # hundredths of a percent: 5000 is 50 %
    reason: Reason

    @property
    def percent(self):
        return self.basis / 100

    @property
    def rule(self):
        return self.reason.rule


def split(weights):
    """``WHOLE`` split by integer ``weights`` (a list), exactly: each part is
    rounded down and what is left over goes to the first parts, one
    hundredth each, so that the parts always total ``WHOLE``."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must total more than 0")
    parts = [WHOLE * weight // total for weight in weights]
    for index in range(WHOLE - sum(parts)):
        parts[index % len(parts)] += 1
    return parts


def ratio_parts(helper_percent):
    """The helper's and the owner's parts for a helper ratio in percent (0-100)."""
    helper = round(helper_percent * 100)
    return helper, WHOLE - helper


_DEFAULT = _lt("G4: no special rule applies: the whole share goes to the owner %(owner)s.")
_FORFEIT = _lt(
    "B11: a quarrel in front of customers was recorded on this deal: its performance is "
    "forfeited to the company (业绩充公)."
)
_GROUP_PERFORMANCE = _lt(
    "G2: one family or group met by %(count)s salespeople without knowing: the performance "
    "goes to the first receiver, %(first)s."
)
_GROUP_BONUS = _lt(
    "G2: one family or group met by %(count)s salespeople without knowing: the commission is "
    "split evenly among them."
)
_ARRANGED = _lt(
    "G3: the customer came to sign as arranged with the owner %(owner)s: everything stays "
    "with the owner."
)
_HELPER = _lt(
    "G1: %(helper)s received the customer of %(owner)s on the day the deal was won (B5, B6): "
    "the share is split %(helper_percent)s / %(owner_percent)s between helper and owner."
)
_CALLER = _lt(
    "C3: the customer named the caller %(caller)s only after booking: the performance goes to "
    "the receiver %(owner)s, the commission is split 50/50 with the caller."
)
_CALLER_PERFORMANCE = _lt(
    "C3: the customer named the caller %(caller)s only after booking: the performance goes to "
    "the receiver %(owner)s."
)


def _whole(user_id, kind, reason):
    return Share(user_id, kind, WHOLE, reason)


def _both(user_id, reason):
    return [_whole(user_id, kind, reason) for kind in SHARE_KINDS]


def decide_shares(deal, helper_percent=50):
    """The shares of a won ``deal`` (a ``Deal``), for each kind; see the
    module's docstring for the order of the rules."""
    owner = deal.owner_id
    if deal.forfeit:
        return _both(None, Reason("B11", _FORFEIT))
    if len(deal.group) > 1:
        return _group_shares(deal)
    owner_args = {"owner": UserRef(owner or 0)}
    same_day = [h for h in deal.helpers if h.day == deal.won_day and h.user_id != owner]
    if any(helper.arranged for helper in same_day):
        return _both(owner, Reason("G3", _ARRANGED, owner_args))
    if same_day and owner:
        helper = same_day[-1].user_id  # the latest helper reception of that day
        helper_part, owner_part = ratio_parts(helper_percent)
        reason = Reason(
            "G1",
            _HELPER,
            {
                "helper": UserRef(helper),
                "owner": UserRef(owner),
                "helper_percent": f"{helper_part / 100:g} %",
                "owner_percent": f"{owner_part / 100:g} %",
            },
        )
        return [
            Share(user_id, kind, part, reason)
            for kind in SHARE_KINDS
            for user_id, part in ((owner, owner_part), (helper, helper_part))
            if part
        ]
    caller = deal.caller_after_booking_id
    if caller and owner and caller != owner:
        args = {"caller": UserRef(caller), "owner": UserRef(owner)}
        owner_part, caller_part = split([1, 1])
        bonus = Reason("C3", _CALLER, args)
        return [
            Share(owner, PERFORMANCE, WHOLE, Reason("C3", _CALLER_PERFORMANCE, args)),
            Share(owner, BONUS, owner_part, bonus),
            Share(caller, BONUS, caller_part, bonus),
        ]
    return _both(owner, Reason("G4", _DEFAULT, owner_args))


def _group_shares(deal):
    receivers = []
    for _first_contact, user_id in sorted(deal.group, key=lambda item: (item[0], item[1] or 0)):
        if user_id and user_id not in receivers:
            receivers.append(user_id)
    if len(receivers) < 2:
        owner = receivers[0] if receivers else deal.owner_id
        return _both(owner, Reason("G4", _DEFAULT, {"owner": UserRef(owner or 0)}))
    first = receivers[0]
    args = {"count": len(receivers), "first": UserRef(first)}
    bonus = Reason("G2", _GROUP_BONUS, args)
    return [
        Share(first, PERFORMANCE, WHOLE, Reason("G2", _GROUP_PERFORMANCE, args)),
        *(
            Share(user_id, BONUS, part, bonus)
            for user_id, part in zip(receivers, split([1] * len(receivers)), strict=True)
        ),
    ]


def totals(shares):
    """The total of each kind, in hundredths of a percent."""
    result = dict.fromkeys(SHARE_KINDS, 0)
    for share in shares:
        result[share.kind] += share.basis
    return result


def check_shares(lines):
    """G4: manual shares ``(user_id, kind, basis)``: each kind present totals
    exactly 100 %, no part is negative; returns the kinds that do not."""
    result = {}
    for _user_id, kind, basis in lines:
        if basis < 0:
            result[kind] = None
        elif result.get(kind, 0) is not None:
            result[kind] = result.get(kind, 0) + basis
    return sorted(kind for kind, total in result.items() if total != WHOLE)

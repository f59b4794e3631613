"""The reception rotation (排轮, rules B1, B3-B10), pure Python.

A sales office (a sales team, 案场) receives walk-ins in a fixed seat order.
This module says who receives the next visitor, what happens to the turns
(taken, skipped and why, owed, used, lapsed) and which receptions count
(接待指标). Like the other policy modules it imports nothing from Odoo and
never reads the clock: the ORM layer (``crm.team``, ``crm.team.member``,
``crm.attribution.turn``) reads the day's rotation into a :class:`Rotation`,
calls these functions and records the :class:`Turn` events they return.

A rotation is the state of one team for one local day: the members in seat
order with their status, the index of the day's first receiver, the member
who took the last turn, and the make-up turns and skips pending.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from .vocabulary import Label, Reason, UserRef, _lt

# A member's status today.
AVAILABLE = "available"
RECEIVING = "receiving"  # with a visitor (one group at a time, B1)
SIGNING = "signing"  # signing a contract with a customer (B7)
OUT = "out"  # 外出
OFF = "off"  # 休息
STATUS_LABELS = {
    AVAILABLE: _lt("Available"),
    RECEIVING: _lt("Receiving"),
    SIGNING: _lt("Signing a Contract"),
    OUT: _lt("Out"),
    OFF: _lt("Off"),
}
STATUSES = tuple(STATUS_LABELS)
BUSY = (RECEIVING, SIGNING)
ABSENT = (OUT, OFF)

# How the day's first receiver advances (B1: 每周循环一次第一接待人).
WEEKLY = "weekly"
DAILY = "daily"
NEVER = "never"
ADVANCE_LABELS = {
    WEEKLY: _lt("Every Week"),
    DAILY: _lt("Every Day"),
    NEVER: _lt("Never"),
}
# the Monday from which weeks and days are counted
EPOCH = date(2024, 1, 1)

# What happened to a turn (the turn log, I1).
TAKEN = "taken"  # a new walk-in received in rotation (B1)
SKIPPED = "skipped"  # passed over: absent, busy, or a skip owed (B4)
OWED = "owed"  # a make-up turn granted (B4 variant, B10)
USED = "used"  # a make-up turn used
LAPSED = "lapsed"  # a make-up turn not used the same day
RETURNING = "returning"  # the owner received a returning customer (B3)
HELPER = "helper"  # a colleague received for the owner (B5-B8, B10)
HANDOFF = "handoff"  # handed to the next in rotation (B9)
OVERRIDE = "override"  # the manager gave the turn to someone else
OUT_OF_TURN = "out_of_turn"  # a salesperson registered a walk-in themselves, not their turn
STATUS = "status"  # a status change
TURN_EVENT_LABELS = {
    TAKEN: _lt("Turn Taken"),
    SKIPPED: _lt("Turn Skipped"),
    OWED: _lt("Make-up Turn Owed"),
    USED: _lt("Make-up Turn Used"),
    LAPSED: _lt("Make-up Turn Lapsed"),
    RETURNING: _lt("Returning Customer"),
    HELPER: _lt("Helper Reception"),
    HANDOFF: _lt("Handed to the Next"),
    OVERRIDE: _lt("Turn Overridden"),
    OUT_OF_TURN: _lt("Received Out of Turn"),
    STATUS: _lt("Status Change"),
}
TURN_EVENTS = tuple(TURN_EVENT_LABELS)

# Violations (B11): kind -> the policy attribute with its amount.
VIOLATION_LABELS = {
    "drop": _lt("Dropping a Customer (甩客)"),
    "cut_in": _lt("Cutting In (抢客)"),
    "quarrel": _lt("Quarrelling in Front of Customers"),
}
VIOLATIONS = tuple(VIOLATION_LABELS)


@dataclass(frozen=True)
class RotationPolicy:
    """The rotation options of a company (or of a sales team)."""

    advance: str = WEEKLY  # B1: how the day's first receiver advances
    skip_after_returning: bool = True  # B4: the owner's next turn is skipped (轮空一次)
    makeup_turns: bool = False  # B4 variant: a make-up turn instead (补正排轮一次)
    event_mode: bool = False  # B1: several groups at once (开盘, 认筹, group purchases)
    drop_amount: int = 50  # B11: 甩客
    cut_in_amount: int = 100  # B11: 抢客 (seed: 100-500)
    quarrel_amount: int = 200  # B11: quarrel (seed: 200-500)

    def amount_for(self, kind):
        return {
            "drop": self.drop_amount,
            "cut_in": self.cut_in_amount,
            "quarrel": self.quarrel_amount,
        }[kind]

    def problems(self):
        """Names of the settings out of range."""
        problems = [] if self.advance in ADVANCE_LABELS else ["advance"]
        for name in ("drop_amount", "cut_in_amount", "quarrel_amount"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(name)
        return problems


@dataclass(frozen=True)
class Member:
    """A seat of the rotation and its state today."""

    user_id: int
    status: str = AVAILABLE
    skip_next: bool = False  # B4: the next turn is passed over once
    makeup: bool = False  # a make-up turn owed today (B4 variant, B10)
    count: int = 0  # receptions counted today (接待指标, B1)


@dataclass(frozen=True)
class Rotation:
    """One team's rotation on one local day."""

    day: date
    members: tuple  # of Member, in seat order
    start: int = 0  # index of the day's first receiver (B1)
    last: int | None = None  # index of the member who took the last turn today
    event_mode: bool = False

    def index_of(self, user_id):
        for index, member in enumerate(self.members):
            if member.user_id == user_id:
                return index
        return None

    def member(self, user_id):
        index = self.index_of(user_id)
        return None if index is None else self.members[index]

    def with_member(self, user_id, **changes):
        index = self.index_of(user_id)
        members = list(self.members)
        members[index] = replace(members[index], **changes)
        return replace(self, members=tuple(members))

    def can_receive(self, member):
        """B1: off, out, receiving or signing members are skipped, except that
        in event mode members receive several groups at once."""
        if member.status in ABSENT or member.status == SIGNING:
            return False
        return member.status == AVAILABLE or (self.event_mode and member.status == RECEIVING)


@dataclass(frozen=True)
class Turn:
    """One event of the turn log: what happened to whose turn, by which rule."""

    event: str
    user_id: int | None
    reason: Reason
    counted: bool = False  # a reception that counts (B1, B8)
    owner_id: int | None = None  # whose customer a helper received (B5-B8, B10)
    status: str | None = None  # the new status, for STATUS events


@dataclass(frozen=True)
class Outcome:
    """What the rotation decided: who receives, the rotation after, the turns."""

    receiver_id: int | None
    rotation: Rotation
    turns: tuple = field(default_factory=tuple)
    helper_id: int | None = None  # who continues the owner's paperwork (B7)

    @property
    def rule(self):
        return self.turns[-1].reason.rule if self.turns else "B1"


class NobodyAvailable(Exception):
    """Nobody can receive now: everyone is off, out or busy (B1)."""


# ---------------------------------------------------------------------------
# The day's order (B1)
# ---------------------------------------------------------------------------


def first_receiver(day, size, advance):
    """B1: the index of the day's first receiver among ``size`` seats: it
    moves one seat every week (the seed's default), every day, or never."""
    if not size:
        return 0
    if advance == WEEKLY:
        return ((day - EPOCH).days // 7) % size
    if advance == DAILY:
        return (day - EPOCH).days % size
    return 0


def order(rotation):
    """The seats in the order the next turns go: after the last member who
    took a turn today, or from the day's first receiver."""
    size = len(rotation.members)
    begin = rotation.start if rotation.last is None else rotation.last + 1
    return [(begin + step) % size for step in range(size)]


def reverse_order(rotation):
    """倒排轮 (B6): the seats from the last in order to the first."""
    return list(range(len(rotation.members) - 1, -1, -1))


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

_TAKEN = _lt("%(user)s's turn in the rotation: receives the new visitor (B1).")
_TAKEN_MAKEUP = _lt("%(user)s uses the make-up turn owed today: receives the new visitor (B4).")
_SKIPPED_ABSENT = _lt("%(user)s is %(status)s: the turn passes to the next (B1).")
_SKIPPED_BUSY = _lt("%(user)s is busy (%(status)s): the turn passes to the next (B1).")
_SKIPPED_OWED = _lt(
    "%(user)s received a returning customer since the last turn: this turn is skipped once "
    "(轮空一次, B4)."
)
_RETURNING = _lt("Returning customer: received by the owner, %(user)s (B3).")
_RETURNING_SKIP = _lt(
    "Returning customer: received by the owner, %(user)s, whose next turn is skipped "
    "(轮空一次, B4)."
)
_RETURNING_MAKEUP = _lt(
    "Returning customer: received by the owner, %(user)s, whose turn it was: the new "
    "visitor goes to the next in rotation and %(user)s is owed a make-up turn, usable "
    "today only (补正排轮, B4)."
)
_RETURNING_CLOSED = _lt(
    "Closed customer: received by the owner, %(user)s, without a reception count (B8)."
)
_HELPER_ABSENT = _lt(
    "The owner, %(owner)s, is %(status)s: %(user)s, whose turn it is, receives as helper; "
    "the customer stays the owner's, and a deal closed by the helper today is split (B5)."
)
_HELPER_BUSY = _lt(
    "The owner, %(owner)s, is receiving another visitor: %(user)s, first in the reverse "
    "rotation (倒排轮), receives as helper; a deal closed by the helper today is split (B6)."
)
_HELPER_SIGNING = _lt(
    "The owner, %(owner)s, was signing a contract: %(user)s, last in the rotation, "
    "continues the paperwork, and the owner receives the returning customer (B7)."
)
_HELPER_CLOSED = _lt(
    "Closed customer whose owner, %(owner)s, is busy or away: %(user)s, last in the "
    "rotation, receives them without a reception count (B8)."
)
_FRIENDS_PRESENT = _lt(
    "Friends of a buyer: they belong to the buyer's owner, %(user)s, who receives them "
    "without using a turn (B10)."
)
_FRIENDS_PRESENT_OWED = _lt(
    "Friends of a buyer: they belong to the buyer's owner, %(user)s, who receives them "
    "without using a turn; it was %(user)s's turn, so a make-up turn is owed today (B10)."
)
_FRIENDS_ABSENT = _lt(
    "Friends of a buyer: they belong to the buyer's owner, %(owner)s, who is away: "
    "%(user)s, last in the rotation, receives them without a reception count (B10)."
)
_HANDOFF = _lt(
    "Language barrier: %(from)s hands the visitor to %(user)s, next in rotation, who "
    "becomes the owner; %(from)s keeps one reception count (B9)."
)
_OVERRIDE = _lt("The sales manager gave this turn to %(user)s: %(note)s")
_OWED = _lt("%(user)s is owed a make-up turn, usable today only (B4, B10).")
_OUT_OF_TURN_REASON = _lt(
    "%(user)s registered a walk-in themselves while it was not their turn: the reception "
    "counts for them and is recorded for the sales manager (B1, B11)."
)
_LAPSED = _lt("The make-up turn owed to %(user)s was not used today: it lapses (B4).")
_STATUS = _lt("%(user)s is now %(status)s.")


def _reason(rule, message, **args):
    refs = {
        key: UserRef(value) if key in ("user", "owner", "from") else value
        for key, value in args.items()
    }
    return Reason(rule, message, refs)


_STATUS_WORDS = {
    AVAILABLE: _lt("available"),
    RECEIVING: _lt("receiving a visitor"),
    SIGNING: _lt("signing a contract"),
    OUT: _lt("out"),
    OFF: _lt("off today"),
}


def status_label(status):
    """A status as a translatable word inside a sentence."""
    return Label(_STATUS_WORDS[status])


# ---------------------------------------------------------------------------
# New walk-ins (B1, B4)
# ---------------------------------------------------------------------------


def next_receiver(rotation):
    """B1 / B4: who receives the next new walk-in, and the turns passed over
    on the way (absent or busy members, a skip owed). A member owed a make-up
    turn today and free receives first. Raises :class:`NobodyAvailable`.

    :return: ``(user_id, [Turn], rotation)``, the rotation with the skips
        consumed (the turn itself is taken by :func:`take_turn`)
    """
    for member in rotation.members:
        if member.makeup and rotation.can_receive(member):
            return member.user_id, [], rotation
    turns = []
    for index in order(rotation):
        member = rotation.members[index]
        if not rotation.can_receive(member):
            message = _SKIPPED_ABSENT if member.status in ABSENT else _SKIPPED_BUSY
            turns.append(
                Turn(
                    SKIPPED,
                    member.user_id,
                    _reason("B1", message, user=member.user_id, status=status_label(member.status)),
                )
            )
            continue
        if member.skip_next:
            rotation = rotation.with_member(member.user_id, skip_next=False)
            turns.append(
                Turn(SKIPPED, member.user_id, _reason("B4", _SKIPPED_OWED, user=member.user_id))
            )
            continue
        return member.user_id, turns, rotation
    raise NobodyAvailable()


def take_turn(rotation, counted=True):
    """B1: the next new walk-in goes to :func:`next_receiver`; the member is
    then receiving, and the reception counts (a new visitor)."""
    user_id, turns, rotation = next_receiver(rotation)
    member = rotation.member(user_id)
    if member.makeup:
        rotation = rotation.with_member(user_id, makeup=False)
        turn = Turn(USED, user_id, _reason("B4", _TAKEN_MAKEUP, user=user_id), counted=counted)
    else:
        rotation = replace(rotation, last=rotation.index_of(user_id))
        turn = Turn(TAKEN, user_id, _reason("B1", _TAKEN, user=user_id), counted=counted)
    rotation = _receives(rotation, user_id, counted)
    return Outcome(user_id, rotation, (*turns, turn))


def _receives(rotation, user_id, counted):
    member = rotation.member(user_id)
    return rotation.with_member(
        user_id, status=RECEIVING, count=member.count + (1 if counted else 0)
    )


def _is_next(rotation, user_id):
    """Whether ``user_id`` would receive the next new walk-in now."""
    try:
        return next_receiver(rotation)[0] == user_id
    except NobodyAvailable:
        return False


def _last_free(rotation, exclude=()):
    """The last member in seat order who can receive (B7, B8, B10)."""
    for index in reverse_order(rotation):
        member = rotation.members[index]
        if member.user_id not in exclude and rotation.can_receive(member):
            return member.user_id
    raise NobodyAvailable()


# ---------------------------------------------------------------------------
# Returning customers (B3-B8)
# ---------------------------------------------------------------------------


def receive_returning(rotation, owner_id, policy, closed=False):
    """B3-B8: a returning visitor of ``owner_id`` (a closed customer if
    ``closed``). The owner receives when free (B3), their next turn skipped
    (B4) or, under the make-up variant and when it was their turn, the turn
    passed and a make-up turn owed today. Otherwise a helper receives:
    whose turn it is when the owner is off or out (B5), the first in the
    reverse rotation when the owner is receiving (B6), the last in rotation
    for a closed customer (B8, uncounted); an owner signing a contract hands
    the paperwork to the last in rotation and receives (B7)."""
    owner = rotation.member(owner_id)
    if owner is None:  # the owner is not in this rotation (left the team)
        return take_turn(rotation, counted=not closed)
    if closed:
        return _receive_closed(rotation, owner)
    if owner.status in ABSENT:
        return _helper_in_turn(rotation, owner)
    if owner.status == SIGNING:
        helper_id = _last_free(rotation, exclude=(owner_id,))
        rotation = rotation.with_member(helper_id, status=SIGNING)
        rotation = _receives(rotation.with_member(owner_id, status=AVAILABLE), owner_id, True)
        turn = Turn(
            HELPER,
            helper_id,
            _reason("B7", _HELPER_SIGNING, user=helper_id, owner=owner_id),
            owner_id=owner_id,
        )
        return Outcome(owner_id, rotation, (turn,), helper_id=helper_id)
    if owner.status == RECEIVING and not rotation.event_mode:
        helper_id = _last_free(rotation, exclude=(owner_id,))
        rotation = _receives(rotation, helper_id, True)
        turn = Turn(
            HELPER,
            helper_id,
            _reason("B6", _HELPER_BUSY, user=helper_id, owner=owner_id),
            counted=True,
            owner_id=owner_id,
        )
        return Outcome(helper_id, rotation, (turn,))
    return _owner_receives(rotation, owner, policy)


def _owner_receives(rotation, owner, policy):
    owner_id = owner.user_id
    turns = []
    if policy.makeup_turns and not owner.makeup and _is_next(rotation, owner_id):
        # 补正排轮: the owner's turn passes to the next, and is owed back today
        rotation = replace(rotation, last=rotation.index_of(owner_id))
        rotation = rotation.with_member(owner_id, makeup=True)
        message = _RETURNING_MAKEUP
        turns.append(Turn(OWED, owner_id, _reason("B4", _OWED, user=owner_id)))
    elif policy.skip_after_returning:
        rotation = rotation.with_member(owner_id, skip_next=True)
        message = _RETURNING_SKIP
    else:
        message = _RETURNING
    rotation = _receives(rotation, owner_id, True)
    rule = "B4" if message != _RETURNING else "B3"
    turns.insert(0, Turn(RETURNING, owner_id, _reason(rule, message, user=owner_id), counted=True))
    return Outcome(owner_id, rotation, tuple(turns))


def _helper_in_turn(rotation, owner):
    """B5: the owner is off or out: whose turn it is receives as helper."""
    outcome = take_turn(rotation)
    helper_id = outcome.receiver_id
    turn = Turn(
        HELPER,
        helper_id,
        _reason(
            "B5",
            _HELPER_ABSENT,
            user=helper_id,
            owner=owner.user_id,
            status=status_label(owner.status),
        ),
        counted=True,
        owner_id=owner.user_id,
    )
    taken = outcome.turns[-1]
    turns = (*outcome.turns[:-1], replace(taken, counted=False), turn)
    return Outcome(helper_id, outcome.rotation, turns)


def _receive_closed(rotation, owner):
    """B8: closed customers never count; a busy or absent owner's closed
    customer is received by the last in rotation."""
    if rotation.can_receive(owner) and owner.status == AVAILABLE:
        rotation = _receives(rotation, owner.user_id, False)
        turn = Turn(RETURNING, owner.user_id, _reason("B8", _RETURNING_CLOSED, user=owner.user_id))
        return Outcome(owner.user_id, rotation, (turn,))
    helper_id = _last_free(rotation, exclude=(owner.user_id,))
    rotation = _receives(rotation, helper_id, False)
    turn = Turn(
        HELPER,
        helper_id,
        _reason("B8", _HELPER_CLOSED, user=helper_id, owner=owner.user_id),
        owner_id=owner.user_id,
    )
    return Outcome(helper_id, rotation, (turn,))


# ---------------------------------------------------------------------------
# A buyer's friends (B10), language barrier (B9), the manager's override
# ---------------------------------------------------------------------------


def receive_friends(rotation, owner_id):
    """B10: friends brought by a closed customer belong to the buyer's owner.
    A present owner receives them without using a turn (and is owed a make-up
    turn today if it was their turn); an absent owner's colleague, the last
    in rotation, receives them without a count."""
    owner = rotation.member(owner_id)
    if owner is not None and rotation.can_receive(owner):
        turns = []
        if not owner.makeup and _is_next(rotation, owner_id):
            rotation = replace(rotation, last=rotation.index_of(owner_id))
            rotation = rotation.with_member(owner_id, makeup=True)
            message = _FRIENDS_PRESENT_OWED
            turns.append(Turn(OWED, owner_id, _reason("B10", _OWED, user=owner_id)))
        else:
            message = _FRIENDS_PRESENT
        rotation = _receives(rotation, owner_id, True)
        turns.insert(
            0, Turn(RETURNING, owner_id, _reason("B10", message, user=owner_id), counted=True)
        )
        return Outcome(owner_id, rotation, tuple(turns))
    helper_id = _last_free(rotation, exclude=(owner_id,))
    rotation = _receives(rotation, helper_id, False)
    turn = Turn(
        HELPER,
        helper_id,
        _reason("B10", _FRIENDS_ABSENT, user=helper_id, owner=owner_id),
        owner_id=owner_id,
    )
    return Outcome(helper_id, rotation, (turn,))


def hand_off(rotation, from_id):
    """B9: a language barrier: the receiver hands the visitor to the next in
    rotation, who becomes the owner; the first receiver keeps one count (the
    group is counted once, for them) and is free again."""
    rotation = rotation.with_member(from_id, status=AVAILABLE)
    blocked = rotation.with_member(from_id, status=OFF)  # not the one to hand to
    user_id, turns, after = next_receiver(blocked)
    after = replace(after.with_member(from_id, status=AVAILABLE), last=after.index_of(user_id))
    after = _receives(after, user_id, False)
    turn = Turn(HANDOFF, user_id, _reason("B9", _HANDOFF, user=user_id, **{"from": from_id}))
    skipped = tuple(t for t in turns if t.user_id != from_id)
    return Outcome(user_id, after, (*skipped, turn))


def override(rotation, user_id, note):
    """The sales manager gives this walk-in to ``user_id`` instead of the
    rotation's choice (recorded with the reason); the rotation's order is
    unchanged, the reception counts for ``user_id``."""
    rotation = _receives(rotation, user_id, True)
    turn = Turn(OVERRIDE, user_id, _reason("B1", _OVERRIDE, user=user_id, note=note), counted=True)
    return Outcome(user_id, rotation, (turn,))


def walk_in_by(rotation, user_id):
    """B1: a salesperson registers a new walk-in themselves: their turn if
    it is theirs; otherwise the reception is theirs all the same (they
    received the visitor), counted, and recorded as out of turn, the order
    unchanged (the manager judges it, B11)."""
    if rotation.member(user_id) is None:
        return Outcome(user_id, rotation, ())
    if _is_next(rotation, user_id):
        return take_turn(rotation)
    rotation = _receives(rotation, user_id, True)
    turn = Turn(
        OUT_OF_TURN, user_id, _reason("B1", _OUT_OF_TURN_REASON, user=user_id), counted=True
    )
    return Outcome(user_id, rotation, (turn,))


# ---------------------------------------------------------------------------
# Statuses and the end of the day
# ---------------------------------------------------------------------------


def set_status(rotation, user_id, status):
    """A member's status changes (I'm out / back / off; receiving is done)."""
    if status not in STATUS_LABELS:
        raise ValueError(f"unknown status {status!r}")
    rotation = rotation.with_member(user_id, status=status)
    turn = Turn(
        STATUS,
        user_id,
        _reason("B1", _STATUS, user=user_id, status=status_label(status)),
        status=status,
    )
    return Outcome(None, rotation, (turn,))


def lapse_makeups(rotation):
    """B4: make-up turns are usable the same day only: at the day's end,
    those not used lapse."""
    turns = []
    for member in rotation.members:
        if member.makeup:
            rotation = rotation.with_member(member.user_id, makeup=False)
            turns.append(Turn(LAPSED, member.user_id, _reason("B4", _LAPSED, user=member.user_id)))
    return Outcome(None, rotation, tuple(turns))


def main_turn(outcome):
    """The turn that says who receives (not the skips and debts around it)."""
    for turn in reversed(outcome.turns):
        if turn.event not in (SKIPPED, OWED, STATUS):
            return turn
    return outcome.turns[-1]


def fair_spread(counts):
    """B1: the spread (max - min) of the day's reception counts."""
    return max(counts) - min(counts) if counts else 0

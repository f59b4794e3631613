from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import EXCLUDE_OWNERLESS, MANAGER_GROUP, RECEPTION_GROUP
from ..contention import execute_contended
from ..tools import pool_policy as pp
from ..tools import rotation_policy as rot
from .crm_attribution_policy_mixin import POLICY_FIELDS, ROTATION_FIELDS

# The team's fields a rotation decision reads (with its policy's).
ROTATION_TEAM_FIELDS = (
    "company_id", "attribution_override", "attribution_last_member_id",
    "attribution_last_day", "attribution_event_day",
)  # fmt: skip


class CrmTeam(models.Model):
    _name = "crm.team"
    _inherit = ["crm.team", "crm.attribution.policy.mixin"]

    attribution_override = fields.Boolean(
        string="Own Attribution Policy",
        help="This sales office (案场) uses its own protection periods and pool "
        "limits instead of the company's.",
    )

    # The reception rotation (排轮, B1): who took the last turn today, and the
    # days the manager switched event mode on.
    attribution_last_member_id = fields.Many2one("crm.team.member", readonly=True, copy=False)
    attribution_last_day = fields.Date(readonly=True, copy=False)
    attribution_event_day = fields.Date(
        string="Event Mode On",
        readonly=True,
        copy=False,
        help="B1: on this day members receive several groups at once (opening day, "
        "subscriptions, group purchases).",
    )
    attribution_member_count = fields.Integer(compute="_compute_attribution_member_count")

    @api.depends("crm_team_member_ids")
    def _compute_attribution_member_count(self):
        for team in self:
            team.attribution_member_count = len(team.crm_team_member_ids)

    @api.onchange("attribution_override")
    def _onchange_attribution_override(self):
        """Start a team's own policy from the company's."""
        if self.attribution_override:
            company = self.company_id or self.env.company
            for fname in (*POLICY_FIELDS, *ROTATION_FIELDS):
                self[fname] = company[fname]

    @api.model
    def _attribution_policy_of(self, company, team=None, rotation=False):
        """The policy resolver, the one place that says which policy applies:
        a sales team's own values when it overrides the company's, else the
        company's; the protection policy, or the rotation's (``rotation``)."""
        source = team if team and team.attribution_override else company
        if rotation:
            return source._attribution_rotation_policy_values()
        return source._attribution_policy_values()

    def _attribution_policy(self):
        """The policy this sales team's customers follow."""
        self.ensure_one()
        return self._attribution_policy_of(self.company_id or self.env.company, self)

    def _action_assign_leads(self, force_quota=False, creation_delta_days=7):
        # F1 / F4: Odoo's lead assignment hands out unassigned leads; pool and
        # handover customers are unassigned but not Odoo's to hand out.
        return super(CrmTeam, self.with_context(**{EXCLUDE_OWNERLESS: True}))._action_assign_leads(
            force_quota=force_quota, creation_delta_days=creation_delta_days
        )

    # ------------------------------------------------------------------
    # The reception rotation (排轮): B1, B3-B10
    # ------------------------------------------------------------------

    def _attribution_rotation_policy(self):
        self.ensure_one()
        return self._attribution_policy_of(self.company_id or self.env.company, self, True)

    def _attribution_day(self, at):
        """The sales office's day of ``at`` (its company's time zone)."""
        self.ensure_one()
        partner = (self.company_id or self.env.company).partner_id
        partner.fetch(["tz"])  # the time zone only, not the whole contact (every turn reads it)
        return pp.local_date(at, partner.tz)

    def _attribution_members(self):
        """The members in seat order: active members whose user is active."""
        self.ensure_one()
        return self.env["crm.team.member"].browse(
            [row[0] for row in self._attribution_member_rows()]
        )

    def _attribution_member_rows(self):
        """The rotation's members in seat order, as rows ``(member id, user
        id, status, status day, skip next, make-up day)``: the team's active
        members whose user is active. One query: a sales office has hundreds
        of members, and the rotation reads them on every turn."""
        self.ensure_one()
        Member = self.env["crm.team.member"]
        Member.flush_model(
            [
                "crm_team_id", "user_id", "active", "attribution_seat", "attribution_status",
                "attribution_status_day", "attribution_skip_next", "attribution_makeup_day",
            ]
        )  # fmt: skip
        self.env["res.users"].flush_model(["active"])
        return self.env.execute_query(
            SQL(
                """
                SELECT m.id, m.user_id, m.attribution_status, m.attribution_status_day,
                       m.attribution_skip_next, m.attribution_makeup_day
                  FROM crm_team_member m
                  JOIN res_users u ON u.id = m.user_id
                 WHERE m.crm_team_id = %s AND m.active AND u.active
                 ORDER BY m.attribution_seat, m.id
                """,
                self.id,
            )
        )

    def _attribution_rotation(self, at, rows=None):
        """The team's rotation today, as the pure policy reads it (``rows``:
        the members' rows, when just read)."""
        self.ensure_one()
        day = self._attribution_day(at)
        if rows is None:
            rows = self._attribution_member_rows()
        counts = self.env["crm.attribution.turn"]._counts(self, day)
        states = tuple(
            rot.Member(
                user_id,
                status=(status or rot.AVAILABLE) if status_day == day else rot.AVAILABLE,
                skip_next=bool(skip_next),
                makeup=makeup_day == day,
                count=counts.get(user_id, 0),
            )
            for _id, user_id, status, status_day, skip_next, makeup_day in rows
        )
        last = None
        if self.attribution_last_day == day:
            member_ids = [row[0] for row in rows]
            if self.attribution_last_member_id.id in member_ids:
                last = member_ids.index(self.attribution_last_member_id.id)
        policy = self._attribution_rotation_policy()
        return rot.Rotation(
            day,
            states,
            start=rot.first_receiver(day, len(states), policy.advance),
            last=last,
            event_mode=policy.event_mode or self.attribution_event_day == day,
        )

    def _attribution_lock_rotation(self):
        """Lock the team's row: one rotation decision at a time per sales
        office. A concurrent decision that committed meanwhile makes this one
        fail to serialize (REPEATABLE READ) and Odoo retries it."""
        execute_contended(
            self.env.cr,
            SQL("SELECT id FROM crm_team WHERE id IN %s FOR NO KEY UPDATE", tuple(self.ids)),
        )
        self.invalidate_recordset()
        self.env["crm.team.member"].invalidate_model()
        # what the rotation reads of the team and its company, not their
        # whole rows (a few hundred columns to select and convert per turn)
        self.fetch([*ROTATION_TEAM_FIELDS, *ROTATION_FIELDS])
        (self.company_id or self.env.company).fetch(["partner_id", *ROTATION_FIELDS])

    def _attribution_decide_rotation(self, decide, at=None, lead=None, note=False, arranged=False):
        """Lock the rotation, lapse yesterday's make-up turns, decide with the
        pure ``decide(rotation)`` and record the outcome; return it."""
        self.ensure_one()
        team = self.sudo()
        at = at or self.env["crm.lead"]._attribution_now()
        team._attribution_lock_rotation()
        team._attribution_lapse(at)
        rows = team._attribution_member_rows()
        try:
            outcome = decide(team._attribution_rotation(at, rows))
        except rot.NobodyAvailable as nobody:
            raise UserError(
                self.env._(
                    "Nobody in %(team)s can receive now: everyone is off, out or busy (B1). "
                    "Change a salesperson's status, or switch event mode on.",
                    team=self.name,
                )
            ) from nobody
        team._attribution_record(outcome, at, lead=lead, note=note, rows=rows, arranged=arranged)
        return outcome

    def _attribution_receive_next(self, at=None):
        """B1 / B4: the next new walk-in: who receives it (the turn is taken)."""
        outcome = self._attribution_decide_rotation(rot.take_turn, at)
        return self.env["res.users"].browse(outcome.receiver_id)

    def _attribution_receive_returning(
        self, owner, closed=False, at=None, lead=None, arranged=False
    ):
        """B3-B8: a returning visitor of ``owner``: who receives, and how the
        turns move; ``arranged``: the visitor came to sign as arranged with
        the owner (G3, recorded on a helper's turn)."""
        policy = self._attribution_rotation_policy()
        return self._attribution_decide_rotation(
            lambda rotation: rot.receive_returning(rotation, owner.id, policy, closed=closed),
            at,
            lead=lead,
            arranged=arranged,
        )

    def _attribution_receive_friends(self, owner, at=None, lead=None):
        """B10: friends brought by a buyer, whose owner is ``owner``."""
        return self._attribution_decide_rotation(
            lambda rotation: rot.receive_friends(rotation, owner.id), at, lead=lead
        )

    def _attribution_hand_off(self, from_user, at=None, lead=None):
        """B9: a language barrier: the visitor goes to the next in rotation."""
        return self._attribution_decide_rotation(
            lambda rotation: rot.hand_off(rotation, from_user.id), at, lead=lead
        )

    def _attribution_walk_in_by(self, user, at=None, lead=None):
        """B1: a salesperson registered a new walk-in themselves."""
        return self._attribution_decide_rotation(
            lambda rotation: rot.walk_in_by(rotation, user.id), at, lead=lead
        )

    def _attribution_override_turn(self, user, note, at=None):
        """The manager gives this walk-in to ``user``, with a reason."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only a sales manager overrides the rotation."))
        return self._attribution_decide_rotation(
            lambda rotation: rot.override(rotation, user.id, note), at, note=note
        )

    def _attribution_set_status(self, user, status, at=None):
        """A member's status today (I'm out / back / off, signing)."""
        return self._attribution_decide_rotation(
            lambda rotation: rot.set_status(rotation, user.id, status), at
        )

    def _attribution_lapse(self, at):
        """B4: make-up turns owed on a past day lapse (recorded on that day)."""
        day = self._attribution_day(at)
        Member = self.env["crm.team.member"]
        Member.flush_model(["crm_team_id", "active", "attribution_makeup_day"])
        stale = Member.browse(
            member_id
            for (member_id,) in self.env.execute_query(
                SQL(
                    "SELECT id FROM crm_team_member WHERE crm_team_id = %s AND active "
                    "AND attribution_makeup_day < %s ORDER BY id",
                    self.id,
                    day,
                )
            )
        )
        for member in stale:
            rotation = rot.Rotation(
                member.attribution_makeup_day, (rot.Member(member.user_id.id, makeup=True),)
            )
            self._attribution_log_turns(
                rot.lapse_makeups(rotation).turns, at, member.attribution_makeup_day
            )
        stale.write({"attribution_makeup_day": False})

    def _attribution_record(self, outcome, at, lead=None, note=False, rows=None, arranged=False):
        """Write the rotation after the decision (members' states, the last
        turn today) and log its turns. ``rows``: the members' rows the
        decision was made on (read again if not given). The rotation's own
        fields are not tracked: they are written without preparing Odoo's
        field tracking (which would read every member written)."""
        day = outcome.rotation.day
        if rows is None:
            rows = self._attribution_member_rows()
        Member = self.env["crm.team.member"].with_context(mail_notrack=True)
        stored = {row[1]: row for row in rows}
        changed = defaultdict(list)  # values -> the ids of the members to write them on
        for state in outcome.rotation.members:
            member_id, _user_id, status, status_day, skip_next, makeup_day = stored[state.user_id]
            written = (state.status, day, state.skip_next, day if state.makeup else None)
            if (status, status_day, bool(skip_next), makeup_day) != written:
                changed[written].append(member_id)
        for (status, status_day, skip_next, makeup_day), member_ids in changed.items():
            Member.browse(member_ids).write(
                {
                    "attribution_status": status,
                    "attribution_status_day": status_day,
                    "attribution_skip_next": skip_next,
                    "attribution_makeup_day": makeup_day or False,
                }
            )
        if outcome.rotation.last is not None:
            last = Member.browse(rows[outcome.rotation.last][0])
            if (self.attribution_last_member_id, self.attribution_last_day) != (last, day):
                self.with_context(mail_notrack=True).write(
                    {"attribution_last_member_id": last.id, "attribution_last_day": day}
                )
        self._attribution_log_turns(outcome.turns, at, day, lead=lead, note=note, arranged=arranged)

    def _attribution_log_turns(self, turns, at, day, lead=None, note=False, arranged=False):
        Ledger = self.env["crm.attribution.ledger"]
        self.env["crm.attribution.turn"].sudo().create(
            [
                {
                    "date": at,
                    "day": day,
                    "team_id": self.id,
                    "user_id": turn.user_id,
                    "event": turn.event,
                    "counted": turn.counted,
                    "status": turn.status,
                    "owner_id": turn.owner_id,
                    "lead_id": lead.id if lead else False,
                    "actor_id": self.env.uid,
                    "rule": turn.reason.rule,
                    "reason_message": turn.reason.message,
                    "reason_args": Ledger._attribution_dump_args(turn.reason.args),
                    "note": note or False,
                    "arranged": arranged and turn.event == rot.HELPER,
                }
                for turn in turns
            ]
        )

    # ------------------------------------------------------------------
    # The desk's actions
    # ------------------------------------------------------------------

    def _attribution_check_desk(self):
        user = self.env.user
        if not (user.has_group(RECEPTION_GROUP) or user.has_group(MANAGER_GROUP)):
            raise UserError(
                self.env._("The reception desk or a sales manager runs the rotation (B1).")
            )

    def action_attribution_receive_next(self):
        """B1: the next new walk-in: the rotation chooses the receiver and the
        registration opens for them."""
        self.ensure_one()
        self._attribution_check_desk()
        receiver = self._attribution_receive_next()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_attribution_register_action_desk"
        )
        action["context"] = dict(
            self.env.context,
            attribution_desk_target="main",
            default_kind="visit",
            default_receiver_id=receiver.id,
            default_team_id=self.id,
            default_rotation_receiver_id=receiver.id,
        )
        return action

    def action_attribution_returning(self):
        """B3: a returning visitor: the registration opens; the rotation says
        who receives once the phone tells the owner."""
        self.ensure_one()
        self._attribution_check_desk()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_attribution_register_action_desk"
        )
        action["context"] = dict(
            self.env.context, attribution_desk_target="main", default_kind="visit",
            default_team_id=self.id,
        )  # fmt: skip
        return action

    def action_attribution_open_rotation(self):
        """The rotation desk of this sales office: its members in seat order."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_team_member_action_rotation"
        )
        action["domain"] = [("crm_team_id", "=", self.id)]
        action["display_name"] = self.env._("Rotation Desk: %(team)s", team=self.name)
        return action

    def action_attribution_event_mode(self):
        """B1: the manager switches event mode on (or off) for today."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only a sales manager switches event mode (B1)."))
        day = self._attribution_day(self.env["crm.lead"]._attribution_now())
        self.sudo().attribution_event_day = False if self.attribution_event_day == day else day
        return True

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from ..const import MANAGER_GROUP, MEMBER_STATUSES, RECEPTION_GROUP
from ..tools import rotation_policy as rot


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

    # The reception rotation (排轮, B1): the seat, and the member's state today.
    attribution_seat = fields.Integer(
        string="Seat",
        default=10,
        help="B1: the member's place in the sales office's reception order.",
    )
    attribution_status = fields.Selection(
        MEMBER_STATUSES, string="Status Set", default=rot.AVAILABLE, readonly=True
    )
    attribution_status_day = fields.Date(readonly=True)
    attribution_skip_next = fields.Boolean(
        string="Next Turn Skipped",
        readonly=True,
        help="B4: received a returning customer; the next turn is skipped once (轮空一次).",
    )
    attribution_makeup_day = fields.Date(
        readonly=True, help="B4 / B10: a make-up turn owed on that day only."
    )
    attribution_status_today = fields.Selection(
        MEMBER_STATUSES, string="Status", compute="_compute_attribution_today"
    )
    attribution_makeup_today = fields.Boolean(
        string="Make-up Turn Owed", compute="_compute_attribution_today"
    )
    attribution_count_today = fields.Integer(
        string="Receptions Today",
        compute="_compute_attribution_today",
        help="B1: groups of new or returning visitors received today (closed customers "
        "never count, B8).",
    )
    attribution_is_next = fields.Boolean(
        string="Next to Receive", compute="_compute_attribution_today"
    )

    @api.depends_context("uid")
    @api.depends(
        "attribution_status", "attribution_status_day", "attribution_makeup_day",
        "attribution_skip_next", "attribution_seat", "crm_team_id",
    )  # fmt: skip
    def _compute_attribution_today(self):
        now = self.env["crm.lead"]._attribution_now()
        for team in self.crm_team_id:
            members = self.filtered(lambda member, team=team: member.crm_team_id == team)
            rotation = team.sudo()._attribution_rotation(now)
            try:
                next_id = rot.next_receiver(rotation)[0]
            except rot.NobodyAvailable:
                next_id = None
            states = {state.user_id: state for state in rotation.members}
            for member in members:
                state = states.get(member.user_id.id)
                member.attribution_status_today = state.status if state else rot.AVAILABLE
                member.attribution_makeup_today = bool(state and state.makeup)
                member.attribution_count_today = state.count if state else 0
                member.attribution_is_next = bool(state) and member.user_id.id == next_id
        for member in self.filtered(lambda member: not member.crm_team_id):
            member.attribution_status_today = rot.AVAILABLE
            member.attribution_makeup_today = False
            member.attribution_count_today = 0
            member.attribution_is_next = False

    # ------------------------------------------------------------------
    # Status changes (the member, the reception desk, the manager)
    # ------------------------------------------------------------------

    def action_attribution_available(self):
        """I'm back / done receiving: available for the next turn."""
        return self._attribution_set_status(rot.AVAILABLE)

    def action_attribution_out(self):
        """I'm out (外出): skipped by the rotation until back."""
        return self._attribution_set_status(rot.OUT)

    def action_attribution_off(self):
        """Off today (休息)."""
        return self._attribution_set_status(rot.OFF)

    def action_attribution_signing(self):
        """Signing a contract (B7)."""
        return self._attribution_set_status(rot.SIGNING)

    def action_attribution_receive_next(self):
        """B1: the next new walk-in for this sales office (the rotation decides
        who: another desk may have taken this member's turn meanwhile)."""
        self.ensure_one()
        return self.crm_team_id.action_attribution_receive_next()

    def _attribution_set_status(self, status):
        user = self.env.user
        desk = user.has_group(RECEPTION_GROUP) or user.has_group(MANAGER_GROUP)
        for member in self:
            if member.user_id != user and not desk:
                raise UserError(
                    self.env._(
                        "Only the salesperson, the reception desk or a sales manager changes "
                        "a salesperson's status in the rotation (B1)."
                    )
                )
            member.crm_team_id.sudo()._attribution_set_status(member.user_id, status)
        return True

    # ------------------------------------------------------------------
    # Departures (F4)
    # ------------------------------------------------------------------

    def write(self, vals):
        leaving = self.browse()
        if "active" in vals and not vals["active"]:
            leaving = self.filtered("active")
        result = super().write(vals)
        leaving._attribution_hand_over()
        return result

    def unlink(self):
        self.filtered("active")._attribution_hand_over()
        return super().unlink()

    def _attribution_hand_over(self):
        """F4: a salesperson removed from a sales team hands that team's
        customers to the sales manager (not when this add-on is being
        uninstalled with its demo data)."""
        if self.env.context.get(MODULE_UNINSTALL_FLAG):
            return
        Lead = self.env["crm.lead"].sudo()
        for member in self:
            Lead.search(
                [
                    ("user_id", "=", member.user_id.id),
                    ("team_id", "=", member.crm_team_id.id),
                    ("attribution_state", "in", ("protected", "locked")),
                ]
            )._attribution_hand_over()

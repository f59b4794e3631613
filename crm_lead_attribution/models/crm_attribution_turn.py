from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import MEMBER_STATUSES, TURN_EVENTS


class CrmAttributionTurn(models.Model):
    """The turn log of the reception rotation (排轮, B1-B10, I1): one entry
    per turn taken, skipped (and why), owed, used or lapsed, per status
    change, helper reception and override, with its rule id and reason.
    Append-only, like the attribution ledger; the day's reception counts
    (接待指标) are read from it."""

    _name = "crm.attribution.turn"
    _description = "Reception Rotation Turn"
    _order = "date desc, id desc"
    _rec_name = "rule"

    date = fields.Datetime(required=True, readonly=True, index=True)
    day = fields.Date(
        required=True, readonly=True, index=True, help="The sales office's day of the turn."
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales Office", required=True, readonly=True, index=True,
        ondelete="restrict",
    )  # fmt: skip
    company_id = fields.Many2one(related="team_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", readonly=True, index=True, ondelete="restrict"
    )
    event = fields.Selection(TURN_EVENTS, required=True, readonly=True, index=True)
    counted = fields.Boolean(
        string="Counts", readonly=True, help="B1 / B8: a reception counted in the day's counts."
    )
    status = fields.Selection(MEMBER_STATUSES, string="New Status", readonly=True)
    owner_id = fields.Many2one(
        "res.users",
        string="For Owner",
        readonly=True,
        ondelete="restrict",
        help="B5-B8, B10: whose customer a helper received (a same-day deal is split, G1).",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Customer",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="sales_team.group_sale_manager",
    )
    arranged = fields.Boolean(
        string="Arranged Signing",
        readonly=True,
        help="G3: the customer came to sign as arranged with the owner: a deal won that "
        "day stays whole with the owner, whoever received the customer.",
    )
    actor_id = fields.Many2one("res.users", string="Recorded By", readonly=True)
    rule = fields.Char(required=True, readonly=True)
    reason_message = fields.Text(readonly=True)
    reason_args = fields.Json(readonly=True)
    reason = fields.Text(compute="_compute_reason")
    note = fields.Text(readonly=True)

    @api.depends("reason_message", "reason_args")
    @api.depends_context("lang", "tz")
    def _compute_reason(self):
        Ledger = self.env["crm.attribution.ledger"]
        for turn in self:
            turn.reason = Ledger._attribution_render_reason(turn.reason_message, turn.reason_args)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(self.env._("Rotation turns are recorded by the rotation only (I1)."))
        return super().create(vals_list)

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(self.env._("Rotation turns cannot be copied (I1)."))

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("Rotation turns cannot be changed (I1)."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(self.env._("Rotation turns cannot be deleted (I1)."))

    @api.model
    def _counts(self, team, day):
        """B1: the day's reception counts of a team's members, ``{user_id: count}``
        (one grouped query on every turn: the ORM's read_group machinery costs
        more than the query)."""
        self.flush_model(["team_id", "day", "counted", "user_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT user_id, count(*) FROM crm_attribution_turn "
                "WHERE team_id = %s AND day = %s AND counted AND user_id IS NOT NULL "
                "GROUP BY user_id",
                team.id,
                day,
            )
        )
        return dict(rows)

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import MANAGER_GROUP, VIOLATIONS


class CrmAttributionViolation(models.Model):
    """B11: a reception violation recorded by the sales manager against a
    salesperson: dropping a customer mid-reception (甩客), cutting into a
    colleague's reception (抢客), quarrelling in front of customers (which
    forfeits that deal's performance). Recorded once, never edited (I1)."""

    _name = "crm.attribution.violation"
    _inherit = ["crm.attribution.guard"]
    _description = "Reception Violation"
    _order = "date desc, id desc"
    _attribution_guarded = {"team_id": "read", "user_id": "read", "lead_id": "read"}
    _attribution_texts = {"note": True}
    _attribution_selections = ("kind",)

    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    team_id = fields.Many2one("crm.team", string="Sales Office", required=True, index=True)
    company_id = fields.Many2one(related="team_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("share", "=", False)],
    )
    kind = fields.Selection(VIOLATIONS, required=True)
    amount = fields.Integer(
        compute="_compute_amount",
        store=True,
        readonly=False,
        help="B11: the policy's amount for this kind; the manager may set another.",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Customer",
        index="btree_not_null",
        ondelete="set null",
        groups="sales_team.group_sale_manager",
        help="The customer concerned (a quarrel forfeits that deal's performance).",
    )
    forfeits = fields.Boolean(
        string="Forfeits the Deal",
        compute="_compute_forfeits",
        store=True,
        help="B11: a quarrel in front of customers forfeits the deal's performance (业绩充公).",
    )
    note = fields.Text(required=True, help="What happened, as the manager recorded it.")
    recorded_by_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user, ondelete="restrict"
    )

    @api.depends("kind", "team_id")
    def _compute_amount(self):
        for violation in self:
            if violation.kind and violation.team_id:
                policy = violation.team_id._attribution_rotation_policy()
                violation.amount = policy.amount_for(violation.kind)
            else:
                violation.amount = 0

    @api.depends("kind")
    def _compute_forfeits(self):
        for violation in self:
            violation.forfeits = violation.kind == "quarrel"

    @api.model_create_multi
    def create(self, vals_list):
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise UserError(self.env._("Only a sales manager records a violation (B11)."))
        for vals in vals_list:
            vals.pop("recorded_by_id", None)
            vals.pop("date", None)
            amount = vals.get("amount", 0)
            if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= 10**7:
                raise UserError(
                    self.env._("The amount of a violation is a whole number, 0 or more (B11).")
                )
        violations = super().create(vals_list)
        for violation in violations:
            if violation.user_id not in violation.team_id.sudo().crm_team_member_ids.user_id:
                raise UserError(
                    self.env._(
                        "%(user)s is not a salesperson of %(team)s (B11).",
                        user=violation.user_id.name,
                        team=violation.team_id.name,
                    )
                )
        return violations

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(self.env._("A recorded violation cannot be copied (I1, B11)."))

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("A recorded violation cannot be changed (I1, B11)."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(self.env._("A recorded violation cannot be deleted (I1, B11)."))

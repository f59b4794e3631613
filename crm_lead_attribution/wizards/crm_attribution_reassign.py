from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import MANAGER_GROUP, SALESMAN_GROUP


class CrmAttributionReassign(models.TransientModel):
    """The sales manager gives one or many customers to a salesperson: from
    the public pool (F1), from the handover list (F4), not converted in time
    (E4), or by decision (H5). The reason goes into the ledger."""

    _name = "crm.attribution.reassign"
    _inherit = ["crm.attribution.guard"]
    _description = "Give Customers to a Salesperson"
    _attribution_guarded = {"lead_ids": "read", "user_id": "read"}
    _attribution_texts = {"reason": True}

    lead_ids = fields.Many2many("crm.lead", string="Customers", required=True)
    lead_count = fields.Integer(compute="_compute_lead_count")
    user_id = fields.Many2one(
        "res.users",
        string="New Owner",
        required=True,
        domain=lambda self: [
            ("share", "=", False),
            ("groups_id", "in", self.env.ref(SALESMAN_GROUP).ids),
        ],
    )
    reason = fields.Text(required=True, help="Why: recorded in the attribution ledger (H5).")

    @api.depends("lead_ids")
    def _compute_lead_count(self):
        for wizard in self:
            wizard.lead_count = len(wizard.lead_ids)

    def action_reassign(self):
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only a sales manager can give customers to someone else."))
        leads = self.lead_ids._attribution_assign(
            self.user_id,
            self.reason,
            from_pool=self.env.context.get("attribution_from_pool", False),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Customers given"),
                "message": self.env._(
                    "%(count)s customers now belong to %(user)s.",
                    count=len(leads),
                    user=self.user_id.name,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

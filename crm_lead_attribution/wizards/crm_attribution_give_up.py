from odoo import fields, models


class CrmAttributionGiveUp(models.TransientModel):
    """E5: the owner gives a customer up (the customer refused to buy); the
    customer goes to the public pool at once."""

    _name = "crm.attribution.give.up"
    _inherit = ["crm.attribution.guard"]
    _description = "Give a Customer Up to the Public Pool"
    _attribution_guarded = {"lead_id": "write"}
    _attribution_texts = {"reason": True}

    lead_id = fields.Many2one("crm.lead", string="Customer", required=True, ondelete="cascade")
    reason = fields.Text(required=True, help="Why the customer is given up (E5).")

    def action_give_up(self):
        self.ensure_one()
        self.lead_id.check_access("write")
        reason = self.lead_id._attribution_give_up(self.reason)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Customer given up"),
                "message": f"{reason.rule}: {self.lead_id._attribution_render(reason)}",
                "type": "info",
                # the former owner no longer sees the customer: back to the pipeline
                "next": self.env["ir.actions.actions"]._for_xml_id("crm.crm_lead_action_pipeline"),
            },
        }

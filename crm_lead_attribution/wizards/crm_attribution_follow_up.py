from markupsafe import Markup

from odoo import fields, models

from ..const import FOLLOW_UP_KINDS


class CrmAttributionFollowUp(models.TransientModel):
    """Log a follow-up (跟进 / 回访) on a customer: it extends the owner's
    protection (E1) and is recorded in the attribution ledger (I1)."""

    _name = "crm.attribution.follow.up"
    _inherit = ["crm.attribution.guard"]
    _description = "Log a Customer Follow-up"
    # the owner and deadline shown are related fields, read in sudo
    _attribution_guarded = {"lead_id": "write"}
    _attribution_texts = {"note": False}
    _attribution_selections = ("kind",)

    lead_id = fields.Many2one("crm.lead", string="Customer", required=True, ondelete="cascade")
    kind = fields.Selection(
        [kind for kind in FOLLOW_UP_KINDS if kind[0] != "activity"],
        string="Follow-up",
        required=True,
        default="call",
    )
    note = fields.Text(string="Summary", help="What was said or agreed: the written record of H2.")
    owner_id = fields.Many2one(related="lead_id.user_id", string="Owner")
    protected_until = fields.Datetime(related="lead_id.attribution_protected_until")

    def action_log(self):
        self.ensure_one()
        lead = self.lead_id
        lead.check_access("write")
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        lines = [self.env._("Follow-up: %(kind)s", kind=kinds[self.kind])]
        if self.note:
            lines.append(self.note)
        body = Markup("<br/>").join(lines)
        results = lead._attribution_log_follow_up(self.kind, note=self.note)
        lead.message_post(body=body, subtype_xmlid="mail.mt_note")
        reason = (
            self.env["crm.attribution.ledger"]._attribution_render(results[0].reason)
            if results
            else ""
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Follow-up logged"),
                "message": f"{results[0].rule}: {reason}" if results else lines[0],
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

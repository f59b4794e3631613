from odoo import models
from odoo.tools import html2plaintext, is_html_empty


class CrmLeadLost(models.TransientModel):
    _inherit = "crm.lead.lost"

    def action_lost_reason_apply(self):
        # E5: a registered customer marked lost is given up to the public pool;
        # the closing note goes into the ledger with the lost reason
        feedback = (
            False if is_html_empty(self.lost_feedback) else html2plaintext(self.lost_feedback)
        )
        return super(
            CrmLeadLost, self.with_context(attribution_lost_feedback=feedback)
        ).action_lost_reason_apply()

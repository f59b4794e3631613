from odoo import models


class CrmLead2opportunityPartner(models.TransientModel):
    _name = "crm.lead2opportunity.partner"
    _inherit = ["crm.attribution.guard", "crm.lead2opportunity.partner"]
    # F3: the conversion dialog shows the lead, its contact, owner and
    # duplicates: only for leads and contacts the user may read
    _attribution_guarded = {
        "lead_id": "read",
        "partner_id": "read",
        "duplicated_lead_ids": "read",
    }

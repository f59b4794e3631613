from odoo import models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        # F3 / A2: merging rewires the leads of the merged contacts in SQL
        # before deleting them; the contacts of registered customers are the
        # owner's (or a sales manager's) to merge, checked before anything moves.
        self.env["res.partner"].browse(partner_ids)._attribution_check_change()
        return super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)

from odoo import models

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

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

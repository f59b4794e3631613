from odoo import api, fields, models

from ..const import EXCLUDE_OWNERLESS
from .crm_attribution_policy_mixin import POLICY_FIELDS


class CrmTeam(models.Model):
    _name = "crm.team"
    _inherit = ["crm.team", "crm.attribution.policy.mixin"]

    attribution_override = fields.Boolean(
        string="Own Attribution Policy",
        help="This sales office (案场) uses its own protection periods and pool "
        "limits instead of the company's.",
    )

    @api.onchange("attribution_override")
    def _onchange_attribution_override(self):
        """Start a team's own policy from the company's."""
        if self.attribution_override:
            company = self.company_id or self.env.company
            for fname in POLICY_FIELDS:
                self[fname] = company[fname]

    @api.model
    def _attribution_policy_of(self, company, team=None):
        """The policy resolver, the one place that says which policy applies:
        a sales team's own values when it overrides the company's, else the
        company's."""
        if team and team.attribution_override:
            return team._attribution_policy_values()
        return company._attribution_policy_values()

    def _attribution_policy(self):
        """The policy this sales team's customers follow."""
        self.ensure_one()
        return self._attribution_policy_of(self.company_id or self.env.company, self)

    def _action_assign_leads(self, force_quota=False, creation_delta_days=7):
        # F1 / F4: Odoo's lead assignment hands out unassigned leads; pool and
        # handover customers are unassigned but not Odoo's to hand out.
        return super(CrmTeam, self.with_context(**{EXCLUDE_OWNERLESS: True}))._action_assign_leads(
            force_quota=force_quota, creation_delta_days=creation_delta_days
        )

from odoo import models

from ..const import SKIP_ACTIVITY_FOLLOW_UP
from ..tools import registration_policy as rp


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """E1: marking an activity done on a registered customer is a follow-up."""
        if self.env.context.get(SKIP_ACTIVITY_FOLLOW_UP):
            return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        follow_ups = [
            (
                activity.res_id,
                rp.follow_up_kind_for_activity(activity.activity_category),
                activity.summary or activity.activity_type_id.name,
            )
            for activity in self
            if activity.res_model == "crm.lead" and activity.res_id
        ]
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        for lead_id, kind, summary in follow_ups:
            lead = Lead.browse(lead_id).exists()
            if lead.attribution_state:
                note = "\n".join(part for part in (summary, feedback) if part) or False
                lead._attribution_log_follow_up(
                    kind, note=note, actor=self.env.user, raise_refusal=False
                )
        return result

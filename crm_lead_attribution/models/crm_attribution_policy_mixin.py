from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import vocabulary as v

# Policy field name on the records -> name in v.Policy.
POLICY_FIELDS = {
    "attribution_visit_days": "visit_days",
    "attribution_call_days": "call_days",
    "attribution_channel_days": "channel_days",
    "attribution_first_follow_up_days": "first_follow_up_days",
    "attribution_reminder_days": "reminder_days",
    "attribution_release": "release",
    "attribution_conversion_days": "conversion_days",
    "attribution_first_deal": "first_deal",
    "attribution_first_deal_days": "first_deal_days",
    "attribution_holding_limit": "holding_limit",
    "attribution_daily_claim_limit": "daily_claim_limit",
    "attribution_cooldown_days": "cooldown_days",
}


class CrmAttributionPolicyMixin(models.AbstractModel):
    """The attribution policy options, set per company and optionally
    overridden per sales team (案场)."""

    _name = "crm.attribution.policy.mixin"
    _description = "Customer Attribution Policy"

    attribution_visit_days = fields.Integer(
        string="Visit Protection (days)",
        default=10,
        help="E3: a visited customer without follow-up for this many days loses "
        "the protection of the owner.",
    )
    attribution_call_days = fields.Integer(
        string="Call Protection (days)",
        default=15,
        help="C2: a caller not brought to a visit within this many days loses "
        "the protection of the owner.",
    )
    attribution_channel_days = fields.Integer(
        string="Channel Protection (days)",
        default=15,
        help="E3: a customer reported through a channel (渠道报备) without "
        "follow-up for this many days loses the protection of the owner.",
    )
    attribution_first_follow_up_days = fields.Integer(
        string="First Follow-up Due (days)",
        default=2,
        help="E2: the first follow-up after a customer's first visit is due within this many days.",
    )
    attribution_reminder_days = fields.Integer(
        string="Reminder (days before)",
        default=3,
        help="E6: the owner gets an activity this many days before protection "
        "ends, once per protection period. 0: no reminder.",
    )
    attribution_release = fields.Boolean(
        string="Release to the Public Pool",
        default=True,
        help="E3 / C2: customers whose protection ended go to the public pool. "
        "Off: they stay with their owner, marked as protection ended.",
    )
    attribution_conversion_days = fields.Integer(
        string="Conversion Period (days)",
        default=30,
        help="E4: customers owned for this many days without a closed deal are "
        "listed for the sales manager to reassign. 0: off.",
    )
    attribution_first_deal = fields.Boolean(
        string="First-Deal Attribution",
        help="E8, for repeat-purchase businesses: the salesperson of the first "
        "closed deal owns the customer, until the first-deal period passes "
        "without contact or reorder. Off: a closed deal locks ownership (E7).",
    )
    attribution_first_deal_days = fields.Integer(
        string="First-Deal Period (days)",
        default=30,
        help="E8: days without contact or reorder before the customer of a "
        "first deal goes to the public pool.",
    )
    attribution_holding_limit = fields.Integer(
        string="Holding Limit",
        default=50,
        help="F2: most protected customers a salesperson may hold when claiming "
        "from the public pool. 0: no limit.",
    )
    attribution_daily_claim_limit = fields.Integer(
        string="Claims per Day",
        default=5,
        help="F2: most customers a salesperson may claim from the public pool "
        "in a day. 0: no limit.",
    )
    attribution_cooldown_days = fields.Integer(
        string="Reclaim Cool-down (days)",
        default=7,
        help="F2: days before a former owner may claim back a customer they lost. 0: no cool-down.",
    )

    @api.constrains(*POLICY_FIELDS)
    def _check_attribution_policy(self):
        for record in self:
            problems = record._attribution_policy_values().problems()
            if not problems:
                continue
            names = {policy_name: fname for fname, policy_name in POLICY_FIELDS.items()}
            labels = ", ".join(
                record._fields[names[name]].get_description(self.env)["string"] for name in problems
            )
            raise ValidationError(
                self.env._(
                    "Protection periods must be positive whole numbers of days, and "
                    "limits and other periods whole numbers, 0 (off) or more: %(settings)s.",
                    settings=labels,
                )
            )

    def _attribution_policy_values(self):
        """These options as the pure policy layer takes them."""
        self.ensure_one()
        return v.Policy(**{name: self[fname] for fname, name in POLICY_FIELDS.items()})

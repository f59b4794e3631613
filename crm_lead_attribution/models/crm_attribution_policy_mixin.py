from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..const import ROTATION_ADVANCES
from ..tools import rotation_policy as rot
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
    "attribution_referral_report_days": "referral_report_days",
    "attribution_helper_share_percent": "helper_share_percent",
}
# Rotation field name on the records -> name in rotation_policy.RotationPolicy.
ROTATION_FIELDS = {
    "attribution_rotation_advance": "advance",
    "attribution_skip_after_returning": "skip_after_returning",
    "attribution_makeup_turns": "makeup_turns",
    "attribution_event_mode": "event_mode",
    "attribution_drop_amount": "drop_amount",
    "attribution_cut_in_amount": "cut_in_amount",
    "attribution_quarrel_amount": "quarrel_amount",
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
    attribution_referral_report_days = fields.Integer(
        string="Reports Expire (days)",
        default=30,
        help="D2 / D4: a report (报备) of a referral or of a salesperson's relative or friend "
        "counts for this many days; after that, if the person never came, it has expired.",
    )

    attribution_helper_share_percent = fields.Integer(
        string="Helper's Share (%)",
        default=50,
        help="G1 (B5, B6): the share of a deal's performance and commission that goes to the "
        "helper who received the owner's customer on the day the deal was won (0-100; the "
        "owner keeps the rest).",
    )

    attribution_rotation_advance = fields.Selection(
        ROTATION_ADVANCES,
        string="First Receiver Advances",
        default=rot.WEEKLY,
        required=True,
        help="B1: the seat that receives the day's first walk-in moves one seat on every "
        "week (每周循环一次第一接待人), every day, or never.",
    )
    attribution_skip_after_returning = fields.Boolean(
        string="Skip a Turn After a Returning Customer",
        default=True,
        help="B4: a salesperson who receives their returning customer has their next "
        "rotation turn skipped once (轮空一次).",
    )
    attribution_makeup_turns = fields.Boolean(
        string="Make-up Turn (补排轮)",
        help="B4 variant: when it was the owner's turn as their returning customer came, "
        "the new visitor goes to the next in rotation and the owner is owed one make-up "
        "turn, usable the same day only.",
    )
    attribution_event_mode = fields.Boolean(
        string="Event Mode Every Day",
        help="B1: members receive several groups at once every day (opening days, "
        "subscriptions, group purchases); a manager can also switch event mode on for one "
        "day on the desk.",
    )
    attribution_drop_amount = fields.Integer(
        string="Dropping a Customer (甩客)", default=50, help="B11: the amount recorded."
    )
    attribution_cut_in_amount = fields.Integer(
        string="Cutting In (抢客)", default=100, help="B11: the amount recorded (seed: 100-500)."
    )
    attribution_quarrel_amount = fields.Integer(
        string="Quarrelling in Front of Customers",
        default=200,
        help="B11: the amount recorded (seed: 200-500); the deal's performance is forfeited.",
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
                    "Protection periods must be positive whole numbers of days, limits and "
                    "other periods whole numbers, 0 (off) or more, and shares percentages "
                    "from 0 to 100: %(settings)s.",
                    settings=labels,
                )
            )

    def _attribution_policy_values(self):
        """These options as the pure policy layer takes them."""
        self.ensure_one()
        return v.Policy(**{name: self[fname] for fname, name in POLICY_FIELDS.items()})

    @api.constrains(*ROTATION_FIELDS)
    def _check_attribution_rotation_policy(self):
        for record in self:
            problems = record._attribution_rotation_policy_values().problems()
            if problems:
                names = {name: fname for fname, name in ROTATION_FIELDS.items()}
                labels = ", ".join(
                    record._fields[names[name]].get_description(self.env)["string"]
                    for name in problems
                )
                raise ValidationError(
                    self.env._(
                        "The rotation's amounts must be whole numbers, 0 or more: %(settings)s.",
                        settings=labels,
                    )
                )

    def _attribution_rotation_policy_values(self):
        """The rotation options as the pure policy layer takes them."""
        self.ensure_one()
        return rot.RotationPolicy(**{name: self[fname] for fname, name in ROTATION_FIELDS.items()})

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import attribution_policy as ap


class ResCompany(models.Model):
    _inherit = "res.company"

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
    attribution_phone_country_id = fields.Many2one(
        "res.country",
        string="Customer Phone Country",
        default=lambda self: self.env.ref("base.cn", raise_if_not_found=False),
        help="A2: customers' phone numbers are read and identified as numbers "
        "of this country; numbers of other countries are refused.",
    )

    @api.constrains(
        "attribution_visit_days",
        "attribution_call_days",
        "attribution_channel_days",
        "attribution_first_follow_up_days",
    )
    def _check_attribution_days(self):
        for company in self:
            problems = company._attribution_policy().problems()
            if problems:
                labels = ", ".join(
                    company._fields[f"attribution_{name}"].get_description(self.env)["string"]
                    for name in problems
                )
                raise ValidationError(
                    self.env._(
                        "Protection periods must be positive whole numbers of days: %(settings)s.",
                        settings=labels,
                    )
                )

    def _attribution_policy(self):
        """The protection policy of this company, as the pure policy layer takes it."""
        self.ensure_one()
        return ap.Policy(
            visit_days=self.attribution_visit_days,
            call_days=self.attribution_call_days,
            channel_days=self.attribution_channel_days,
            first_follow_up_days=self.attribution_first_follow_up_days,
        )

    def _attribution_phone_country(self):
        self.ensure_one()
        return self.attribution_phone_country_id or self.env.ref("base.cn")

from odoo import fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _name = "res.company"
    _inherit = ["res.company", "crm.attribution.policy.mixin"]

    attribution_phone_country_id = fields.Many2one(
        "res.country",
        string="Customer Phone Country",
        default=lambda self: self.env.ref("base.cn", raise_if_not_found=False),
        help="A2: customers' phone numbers are read and identified as numbers "
        "of this country; numbers of other countries are refused.",
    )

    def write(self, vals):
        if "attribution_phone_country_id" in vals:
            changed = self.filtered(
                lambda company: (
                    company.attribution_phone_country_id.id != vals["attribution_phone_country_id"]
                )
            )
            if changed and self.env["crm.attribution.identity"].sudo().search_count(
                [("company_id", "in", changed.ids)], limit=1
            ):
                raise ValidationError(
                    self.env._(
                        "Customers are already identified by phone numbers of this country: "
                        "changing the country would make their phones unreadable (A2)."
                    )
                )
        return super().write(vals)

    def _attribution_phone_country(self):
        self.ensure_one()
        return self.attribution_phone_country_id or self.env.ref("base.cn")

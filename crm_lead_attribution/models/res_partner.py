from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResPartner(models.Model):
    _inherit = "res.partner"

    attribution_referrer_id = fields.Many2one(
        "res.partner",
        string="Referred By",
        index="btree_not_null",
        help="D1: the existing customer who brought this person (老带新).",
    )
    attribution_referral_ids = fields.One2many(
        "res.partner",
        "attribution_referrer_id",
        string="Referrals",
        help="D1: people this customer brought.",
    )
    attribution_lead_ids = fields.One2many(
        "crm.lead",
        "partner_id",
        string="Registered Leads",
        domain=[("attribution_state", "!=", False)],
        help="The registered customer leads of this contact (any type).",
    )
    attribution_referral_count = fields.Integer(
        string="Referral Count", compute="_compute_attribution_referral_count"
    )

    @api.depends("attribution_referral_ids")
    def _compute_attribution_referral_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("attribution_referrer_id", "in", self.ids)],
                ["attribution_referrer_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.attribution_referral_count = counts.get(partner, 0)

    def write(self, vals):
        result = super().write(vals)
        if {"phone", "mobile"}.intersection(vals):
            # A2: the customer's lead takes the contact's new phone (crm's
            # computed lead phone); the phone identity follows it.
            leads = (
                self.env["crm.lead"]
                .sudo()
                .with_context(active_test=False)
                .search([("partner_id", "in", self.ids), ("attribution_state", "!=", False)])
            )
            leads._attribution_sync_identity()
        return result

    @api.constrains("attribution_referrer_id")
    def _check_attribution_referrer(self):
        if self._has_cycle("attribution_referrer_id"):
            raise ValidationError(
                self.env._(
                    "A customer cannot be referred, directly or through others, by themselves (D1)."
                )
            )

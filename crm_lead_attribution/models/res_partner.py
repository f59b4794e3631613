from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import MANAGER_GROUP


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["crm.attribution.guard", "res.partner"]
    # F3: a contact cannot be tied to a hidden customer's contact (its name
    # would show as the parent's or the referrer's)
    _attribution_guarded = {"parent_id": "read", "attribution_referrer_id": "read"}

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

    @api.constrains("attribution_referrer_id")
    def _check_attribution_referrer(self):
        if self._has_cycle("attribution_referrer_id"):
            raise ValidationError(
                self.env._(
                    "A customer cannot be referred, directly or through others, by themselves (D1)."
                )
            )

    def write(self, vals):
        self._attribution_check_change()
        if vals.get("phone") or vals.get("mobile"):
            self.env["crm.attribution.identity"]._refuse_shared(self._attribution_leads())
        result = super().write(vals)
        if {"phone", "mobile"}.intersection(vals):
            # A2: the customer's lead takes the contact's new phone (crm's
            # computed lead phone); the phone identity follows it.
            self._attribution_leads()._attribution_sync_identity()
        return result

    def unlink(self):
        self._attribution_check_change()
        return super().unlink()

    def _attribution_leads(self):
        """The registered customer leads of these contacts, lost ones included."""
        return (
            self.env["crm.lead"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", self.ids), ("attribution_state", "!=", False)])
        )

    def _attribution_check_change(self):
        """F3 / A2: the contact of a registered customer is the owner's to
        change (or a sales manager's): nobody else edits, archives, merges or
        deletes it, nor moves its phone, which identifies the customer."""
        if not self.ids or self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        held_by_others = self._attribution_leads().filtered(
            lambda lead: lead.user_id != self.env.user
        )
        if held_by_others:
            raise UserError(
                self.env._(
                    "This contact is a registered customer held by someone else (or by "
                    "nobody: public pool, handover list): only its owner or a sales manager "
                    "can change it (F3, A2)."
                )
            )

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..const import MANAGER_GROUP
from ..tools import referral_policy as rf

REFERRAL_HIERARCHY_VIEW = "crm_lead_attribution.res_partner_view_referral_hierarchy"


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
        groups="sales_team.group_sale_salesman_all_leads",
        help="D1: the existing customer who brought this person (老带新).",
    )
    attribution_referral_ids = fields.One2many(
        "res.partner",
        "attribution_referrer_id",
        string="Referrals",
        groups="sales_team.group_sale_salesman_all_leads",
        help="D1: people this customer brought.",
    )
    attribution_referral_root_id = fields.Many2one(
        "res.partner",
        string="Chain's First Customer",
        groups="sales_team.group_sale_salesman_all_leads",
        compute="_compute_attribution_referral_chain",
        store=True,
        recursive=True,
        index="btree_not_null",
        help="D1: the customer who started this chain of referrals (甲 brought 乙, 乙 "
        "brought 丙: 甲 is the first).",
    )
    attribution_referred_by = fields.Char(
        string="Referred By (Name)",
        compute="_compute_attribution_referred_by",
        help="D1: the customer who brought this person, if you may read that customer (F3).",
    )
    attribution_referral_depth = fields.Integer(
        string="Referral Depth",
        compute="_compute_attribution_referral_chain",
        store=True,
        recursive=True,
        help="D1: how many referrals separate this customer from the chain's first customer.",
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
        # a count only, read as superuser: the referrer field itself is for
        # users who see all leads (a salesperson's contact form shows the count)
        counts = dict(
            self.env["res.partner"]
            .sudo()
            ._read_group(
                [("attribution_referrer_id", "in", self.ids)],
                ["attribution_referrer_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.attribution_referral_count = counts.get(partner, 0)

    @api.depends(
        "attribution_referrer_id",
        "attribution_referrer_id.attribution_referral_root_id",
        "attribution_referrer_id.attribution_referral_depth",
    )
    def _compute_attribution_referral_chain(self):
        for partner in self:
            referrer = partner.attribution_referrer_id
            partner.attribution_referral_root_id = referrer.attribution_referral_root_id or referrer
            partner.attribution_referral_depth = (
                referrer.attribution_referral_depth + 1 if referrer else 0
            )

    @api.depends_context("uid")
    @api.depends("attribution_referrer_id")
    def _compute_attribution_referred_by(self):
        # F3: the referrer's name only to whom may read the referrer (a
        # many2one shows its value's name to anyone who reads the record)
        for partner in self:
            referrer = partner.sudo().attribution_referrer_id.with_env(self.env)
            partner.attribution_referred_by = (
                referrer.sudo().name if referrer and referrer.has_access("read") else False
            )

    @api.constrains("attribution_referrer_id")
    def _check_attribution_referrer(self):
        if self._has_cycle("attribution_referrer_id"):
            raise ValidationError(
                self.env._(
                    "A customer cannot be referred, directly or through others, by themselves (D1)."
                )
            )

    def _attribution_check_cycle(self, referrer_id):
        """D1: refuse, before anything is written, a referrer that these
        contacts brought themselves, directly or through others (the chain's
        stored root and depth would otherwise be computed around a cycle)."""
        if not referrer_id or not self.ids:
            return
        referrer = self.browse(referrer_id)
        referrer_of = {}
        for partner_id, _depth, _name, parent_id in self.sudo()._attribution_chain_rows(referrer):
            referrer_of[partner_id] = parent_id
        if any(rf.would_cycle(referrer_of, partner.id, referrer_id) for partner in self):
            raise ValidationError(
                self.env._(
                    "A customer cannot be referred, directly or through others, by themselves: "
                    "%(referrer)s was brought, directly or through others, by %(customer)s (D1).",
                    referrer=referrer.sudo().name or "",
                    customer=self[:1].name or "",
                )
            )

    def _attribution_chain_rows(self, start):
        """D1: ``start`` and the customers above it in the chain of referrals,
        in one recursive query: ``(id, depth, name, referrer id)``, nearest first."""
        self.env["res.partner"].flush_model(["attribution_referrer_id", "name"])
        self.env.cr.execute(
            SQL(
                """
                WITH RECURSIVE chain(id, depth, path) AS (
                    SELECT %(start)s::int4, 0, ARRAY[%(start)s::int4]
                  UNION ALL
                    SELECT p.attribution_referrer_id, c.depth + 1,
                           c.path || p.attribution_referrer_id
                      FROM chain c
                      JOIN res_partner p ON p.id = c.id
                     WHERE p.attribution_referrer_id IS NOT NULL
                       AND NOT p.attribution_referrer_id = ANY(c.path)
                       AND c.depth < %(max)s
                )
                SELECT c.id, c.depth, p.name, p.attribution_referrer_id
                  FROM chain c JOIN res_partner p ON p.id = c.id
                 ORDER BY c.depth
                """,
                start=start.id,
                max=rf.MAX_DEPTH,
            )
        )
        return self.env.cr.fetchall()

    def write(self, vals):
        self._attribution_check_change()
        if vals.get("attribution_referrer_id"):
            try:
                referrer_id = int(vals["attribution_referrer_id"])
            except (TypeError, ValueError) as error:
                raise ValidationError(
                    self.env._("Choose the customer who brought this person (D1).")
                ) from error
            self._attribution_check_cycle(referrer_id)
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

    # ------------------------------------------------------------------
    # The chain of referrals (D1)
    # ------------------------------------------------------------------

    def _attribution_referral_chain(self, company, team=None):
        """D1: this referrer and the customers above it as ``referral_policy.Link``
        (nearest first), each with the owner of its registered lead in
        ``company``: one recursive query for the chain, one for the leads."""
        self.ensure_one()
        rows = self.sudo()._attribution_chain_rows(self)
        Lead = self.env["crm.lead"].sudo()
        Lead.flush_model(
            ["partner_id", "user_id", "attribution_previous_owner_id", "attribution_state",
             "company_id"]
        )  # fmt: skip
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (partner_id) partner_id,
                       coalesce(user_id, attribution_previous_owner_id), attribution_state
                  FROM crm_lead
                 WHERE partner_id = ANY(%(ids)s) AND attribution_state IS NOT NULL
                   AND (company_id = %(company)s OR company_id IS NULL)
                 ORDER BY partner_id, attribution_state IN %(held)s DESC, id
                """,
                ids=[row[0] for row in rows],
                company=company.id,
                held=rf.HELD,
            )
        )
        leads = {
            partner_id: (user_id, state) for partner_id, user_id, state in self.env.cr.fetchall()
        }
        users = self.env["res.users"].sudo().with_context(active_test=False)
        members = set(team.sudo().member_ids.ids) if team else None
        chain = []
        for partner_id, _depth, name, _parent in rows:
            owner_id, state = leads.get(partner_id, (None, ""))
            can_own = bool(owner_id) and users.browse(owner_id)._attribution_can_own(company)
            if can_own and members is not None:
                can_own = owner_id in members
            chain.append(rf.Link(partner_id, name or "", owner_id, state or "", can_own))
        return chain

    def action_attribution_referral_chain(self):
        """D1: the chain of referrals this customer is in, from its first customer."""
        self.ensure_one()
        root = self.attribution_referral_root_id or self
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Chain of Referrals"),
            "res_model": "res.partner",
            "view_mode": "hierarchy",
            "views": [[self.env.ref(REFERRAL_HIERARCHY_VIEW).id, "hierarchy"]],
            "domain": [("id", "=", root.id)],
        }

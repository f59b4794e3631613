from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import MANAGER_GROUP, OWNERSHIP_KINDS, SALESMAN_GROUP, SOURCE_CHANNELS
from ..contention import execute_contended
from ..tools import pool_policy as pp
from ..tools import vocabulary as v


class CrmAttributionPool(models.Model):
    """The public pool (公海, F1-F3) as salespeople see it: a read-only view
    over the customers in the pool, with the name and phone masked
    (``138****8000``) and no access to the customer's record until claimed.
    """

    _name = "crm.attribution.pool"
    _description = "Public Pool Customer"
    _auto = False
    _order = "pool_since desc, id desc"
    _rec_name = "masked_name"

    lead_id = fields.Many2one(
        "crm.lead", readonly=True, groups="sales_team.group_sale_salesman_all_leads"
    )
    company_id = fields.Many2one("res.company", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    masked_name = fields.Char(string="Customer", readonly=True)
    masked_phone = fields.Char(string="Phone", readonly=True)
    source_channel = fields.Selection(SOURCE_CHANNELS, readonly=True)
    ownership_kind = fields.Selection(OWNERSHIP_KINDS, string="Registered By", readonly=True)
    visited = fields.Boolean(readonly=True)
    former_owner_id = fields.Many2one("res.users", readonly=True)
    release_rule = fields.Char(string="Released By Rule", readonly=True)
    pool_since = fields.Datetime(string="In Pool Since", readonly=True)
    days_in_pool = fields.Integer(compute="_compute_days_in_pool", search="_search_days_in_pool")
    first_contact_date = fields.Datetime(string="First Contact", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            """
            CREATE VIEW crm_attribution_pool AS (
                SELECT l.id,
                       l.id AS lead_id,
                       l.company_id,
                       l.team_id,
                       left(coalesce(p.name, l.contact_name, l.name), 1) || '**' AS masked_name,
                       CASE WHEN length(n.national) >= 11
                            THEN left(n.national, 3) || '****' || right(n.national, 4)
                            WHEN length(n.national) >= 7
                            THEN left(n.national, 2) || repeat('*', length(n.national) - 4)
                                 || right(n.national, 2)
                            ELSE '****' END AS masked_phone,
                       l.attribution_source_channel AS source_channel,
                       l.attribution_ownership_kind AS ownership_kind,
                       l.attribution_visited AS visited,
                       l.attribution_previous_owner_id AS former_owner_id,
                       l.attribution_release_rule AS release_rule,
                       l.attribution_pool_since AS pool_since,
                       l.attribution_first_contact_date AS first_contact_date
                  FROM crm_lead l
                  LEFT JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN res_company c ON c.id = l.company_id
                  LEFT JOIN res_country k ON k.id = c.attribution_phone_country_id
                 CROSS JOIN LATERAL (
                       SELECT CASE WHEN l.phone_sanitized LIKE '+' || coalesce(k.phone_code, 86)
                                                                || '%'
                                   THEN substr(l.phone_sanitized,
                                               length(coalesce(k.phone_code, 86)::text) + 2)
                                   ELSE ltrim(coalesce(l.phone_sanitized, ''), '+') END AS national
                 ) n
                 WHERE l.attribution_state = 'pool'
            )
            """
        )

    @api.depends("pool_since")
    def _compute_days_in_pool(self):
        now = self.env["crm.lead"]._attribution_now()
        for row in self:
            row.days_in_pool = (now - row.pool_since).days if row.pool_since else 0

    def _search_days_in_pool(self, operator, value):
        """Whole days in the pool, as bounds on when the customer went there:
        ``days >= n`` means ``pool_since <= now - n days``."""
        if not isinstance(value, int) or operator not in ("=", "<", "<=", ">", ">="):
            raise UserError(self.env._("Unsupported search on Days in Pool."))
        now = self.env["crm.lead"]._attribution_now()

        def at_least(days):
            return [("pool_since", "<=", now - timedelta(days=days))]

        def below(days):
            return [("pool_since", ">", now - timedelta(days=days))]

        return {
            ">=": at_least(value),
            ">": at_least(value + 1),
            "<": below(value),
            "<=": below(value + 1),
            "=": at_least(value) + below(value + 1),
        }[operator]

    def action_claim(self):
        """F1 / F2: the current salesperson claims this customer (or these
        customers, one after the other, within the limits)."""
        if not self:
            raise UserError(self.env._("Choose a customer of the public pool to claim."))
        Lead = self.env["crm.lead"].sudo()
        reasons = [self._claim_customer(Lead.browse(row.id), self.env.user) for row in self]
        lead = Lead.browse(self[-1].id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Customer claimed"),
                "message": f"{reasons[-1].rule}: {lead._attribution_render(reasons[-1])}",
                "type": "success",
                "next": {
                    "type": "ir.actions.act_window",
                    "res_model": "crm.lead",
                    "res_id": lead.id,
                    "views": [(False, "form")],
                    "target": "current",
                },
            },
        }

    def action_assign(self):
        """F1: the sales manager assigns pool customers to anyone."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(
                self.env._("Only a sales manager assigns customers from the pool (F1).")
            )
        action = self.env["crm.lead"].browse(self.ids).action_attribution_reassign()
        action["context"] = dict(action["context"], attribution_from_pool=True)
        return action

    # ------------------------------------------------------------------
    # Claims (F1, F2)
    # ------------------------------------------------------------------

    @api.model
    def _claim_customer(self, lead, user, at=None):
        """F1 / F2: ``user`` claims the pool customer of ``lead``, within the limits.

        Claims of one salesperson are serialized on their user row (so that
        limits are counted on fresh data), and the customer's row is locked:
        of many salespeople claiming the same customer at once, one wins and
        the others are refused once Odoo retries them.
        """
        at = at or lead._attribution_now()
        if not user.has_group(SALESMAN_GROUP):
            raise UserError(
                self.env._("Only salespeople can claim customers from the public pool.")
            )
        lead = lead.sudo()
        self._serialize_claims(user, at)
        lead._attribution_lock()
        known = lead._attribution_customer()
        if known is None:
            raise UserError(self.env._("This lead is not a registered customer."))
        try:
            customer, reason = pp.decide_claim(
                known,
                user.id,
                at,
                lead._attribution_policy(),
                self._claim_context(lead, user, at),
                taken_from_pool=self._taken_from_pool(lead),
            )
        except v.Refusal as refusal:
            raise UserError(lead._attribution_render(refusal.reason)) from refusal
        lead._attribution_write(lead._attribution_values(customer, reason, at))
        lead._attribution_restore()  # a customer marked lost is back in the pipeline (E5)
        # nobody lost the customer here: it had no owner (F2 cool-downs count losses)
        lead._attribution_log(
            "claim", reason, at, actor_id=user.id, claimant_id=user.id, ownership_changed=True
        )
        # computed in sudo: what the claim changed is the claimer's to read only after it
        lead.env.flush_all()
        return reason

    @api.model
    def _serialize_claims(self, user, at):
        """F2: one claim at a time per salesperson: a concurrent claim that
        committed meanwhile makes this one fail to serialize and be retried."""
        execute_contended(
            self.env.cr,
            SQL(
                "UPDATE res_users SET attribution_last_claim = %(at)s WHERE id = %(user)s",
                at=at,
                user=user.id,
            ),
        )
        user.invalidate_recordset(["attribution_last_claim"])

    @api.model
    def _taken_from_pool(self, lead):
        """F1: whether the current ownership of ``lead`` began in the public pool."""
        return pp.taken_from_pool(self.env["crm.attribution.ledger"]._last_ownership_change(lead))

    @api.model
    def _check_in_pool(self, leads):
        """F1: the manager assigns from the pool screen: refuse a customer
        that someone claimed meanwhile rather than take it from them."""
        for lead in leads:
            try:
                pp.check_in_pool(lead._attribution_customer(), self._taken_from_pool(lead))
            except v.Refusal as refusal:
                raise UserError(lead._attribution_render(refusal.reason)) from refusal

    @api.model
    def _claim_context(self, lead, user, at):
        """What the F2 limits need to know about ``user`` claiming ``lead``."""
        Lead = self.env["crm.lead"]
        Lead.flush_model(["user_id", "attribution_state", "attribution_protected_until"])
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*), min(attribution_protected_until) FROM crm_lead
                 WHERE user_id = %(user)s AND attribution_state = 'protected'
                   AND attribution_protected_until > %(at)s
                """,
                user=user.id,
                at=at,
            )
        )
        holding, frees_at = self.env.cr.fetchone()
        # the office's day (its company's time zone): a user's own time zone,
        # which each user may change, would move their day and its limit
        company_tz = (lead.company_id or self.env.company).partner_id.tz
        day_start, next_day = pp.local_day(at, company_tz)
        Ledger = self.env["crm.attribution.ledger"]
        return pp.ClaimContext(
            holding=holding,
            holding_frees_at=frees_at,
            claims_today=Ledger._claims_since(user, day_start),
            next_day_at=next_day,
            lost_at=Ledger._lost_at(lead, user),
        )

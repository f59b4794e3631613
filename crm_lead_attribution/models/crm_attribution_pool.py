from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from .crm_lead import OWNERSHIP_KINDS, SOURCE_CHANNELS


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
                 WHERE l.attribution_state = 'pool' AND l.active
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
        """F1 / F2: the current salesperson claims this customer."""
        self.ensure_one()
        lead = self.env["crm.lead"].sudo().browse(self.id)
        reason = lead._attribution_claim(self.env.user)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Customer claimed"),
                "message": f"{reason.rule}: {lead._attribution_render(reason)}",
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
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(
                self.env._("Only a sales manager assigns customers from the pool (F1).")
            )
        action = self.env["crm.lead"].browse(self.ids).action_attribution_reassign()
        action["context"] = dict(action["context"], attribution_from_pool=True)
        return action

import json
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import SHARE_KINDS
from ..tools import pool_policy as pp
from ..tools import share_policy as sp

# What the shares read of a deal (fetched at once, not the lead's hundred fields).
DEAL_FIELDS = [
    "attribution_state", "partner_id", "company_id", "team_id", "user_id", "date_closed",
    "expected_revenue", "attribution_caller_id", "attribution_caller_after_booking",
    "attribution_group_lead_ids",
]  # fmt: skip
# The helper receptions that split a same-day deal (G1): B5 (owner off or
# out) and B6 (owner busy); B7, B8 and B10 receptions are no split.
SPLIT_HELPER_RULES = ("B5", "B6")


class CrmAttributionShare(models.Model):
    """A share of a won deal (分单, G4): who gets which part of the deal's
    performance (业绩) or commission (提成), by which rule and why. Computed
    by the rules when the deal is won (G1-G4, C3, B11), replaced by a sales
    manager with a reason (H5); never written by anyone else (I1)."""

    _name = "crm.attribution.share"
    _description = "Deal Share"
    _order = "date desc, lead_id, kind, id"
    _rec_name = "rule"

    lead_id = fields.Many2one(
        "crm.lead", string="Deal", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(string="Won On", required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        readonly=True,
        index=True,
        ondelete="restrict",
        help="Empty: the company (a forfeited deal, B11).",
    )
    kind = fields.Selection(SHARE_KINDS, required=True, readonly=True)
    percent = fields.Float(digits=(5, 2), readonly=True, aggregator="sum")
    amount = fields.Monetary(
        readonly=True, help="The deal's expected revenue × the share, when it was computed."
    )
    rule = fields.Char(required=True, readonly=True)
    reason_message = fields.Text(readonly=True)
    reason_args = fields.Json(readonly=True)
    reason = fields.Text(compute="_compute_reason")
    ledger_id = fields.Many2one(
        "crm.attribution.ledger",
        string="Ledger Entry",
        readonly=True,
        ondelete="set null",
        help="I1: the entry that recorded these shares.",
    )
    edited = fields.Boolean(readonly=True, help="H5: set by a sales manager, with a reason.")

    @api.depends("reason_message", "reason_args")
    @api.depends_context("lang", "tz")
    def _compute_reason(self):
        Ledger = self.env["crm.attribution.ledger"]
        for share in self:
            share.reason = Ledger._attribution_render_reason(
                share.reason_message, share.reason_args
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(self.env._("Deal shares are set by the rules or a sales manager (G4)."))
        return super().create(vals_list)

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(self.env._("Deal shares cannot be copied (G4)."))

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(
            self.env._("Deal shares are not edited one by one: a sales manager sets them (G4).")
        )

    def unlink(self):
        if not self.env.su:
            raise UserError(self.env._("Deal shares are set by the rules or a sales manager (G4)."))
        return super().unlink()

    # ------------------------------------------------------------------
    # Computing (G1-G4, C3, B11)
    # ------------------------------------------------------------------

    @api.model
    def _compute_for(self, deals, at=None):
        """Compute the shares of these won deals in one batch: read what the
        rules need for all of them, decide each with the pure policy, write
        the lines and the ledger entries at once; return the lines."""
        deals = deals.sudo().with_context(active_test=False)
        if not deals:
            return self.browse()
        at = at or self.env["crm.lead"]._attribution_now()
        deals.fetch(DEAL_FIELDS)
        inputs = self._deal_inputs(deals, at)
        results = {
            deal: sp.decide_shares(deal_input, percent)
            for deal, (deal_input, percent) in inputs.items()
        }
        return self._write(results, at)

    @api.model
    def _deal_inputs(self, deals, at):
        """``{deal: (share_policy.Deal, helper percent)}`` for these deals."""
        customers = self._customer_leads(deals)
        helpers = self._helpers(set(customers.values()))
        forfeits = self._forfeits(deals | self.env["crm.lead"].browse(customers.values()))
        policies, result = {}, {}
        for deal in deals:
            key = (deal.company_id or self.env.company, deal.team_id)
            if key not in policies:
                policies[key] = self.env["crm.team"]._attribution_policy_of(*key)
            customer_id = customers.get(deal.id)
            won_at = deal.date_closed or at
            tz = (deal.company_id or self.env.company).partner_id.tz
            group = ()
            if deal.attribution_group_lead_ids:
                linked = deal.attribution_group_lead_ids | deal
                group = tuple(
                    (lead.attribution_first_contact_date or lead.create_date,
                     lead.attribution_first_receiver_id.id or lead.user_id.id or None)
                    for lead in linked
                )  # fmt: skip
            caller = (
                deal.attribution_caller_id.id if deal.attribution_caller_after_booking else None
            )
            deal_input = sp.Deal(
                deal.user_id.id or None,
                pp.local_date(won_at, tz),
                helpers.get((customer_id, deal.user_id.id), ()),
                group,
                caller,
                bool(forfeits & {deal.id, customer_id}),
            )
            result[deal] = (deal_input, policies[key].helper_share_percent)
        return result

    @api.model
    def _customer_leads(self, deals):
        """The registered customer lead of each deal: the deal itself, or
        the registered lead of its contact (a reorder, E8)."""
        result = {deal.id: deal.id for deal in deals if deal.attribution_state}
        others = deals.filtered(lambda deal: not deal.attribution_state and deal.partner_id)
        if others:
            rows = self.env["crm.lead"]._read_group(
                [("partner_id", "in", others.partner_id.ids), ("attribution_state", "!=", False)],
                ["partner_id"],
                ["id:min"],
            )
            by_partner = {partner.id: lead_id for partner, lead_id in rows}
            for deal in others:
                if deal.partner_id.id in by_partner:
                    result[deal.id] = by_partner[deal.partner_id.id]
        return result

    @api.model
    def _helpers(self, customer_ids):
        """B5 / B6 helper receptions, ``{(customer lead id, owner id): (Helper, ...)}``."""
        turns = (
            self.env["crm.attribution.turn"]
            .sudo()
            .search_fetch(
                [
                    ("lead_id", "in", list(customer_ids)),
                    ("event", "=", "helper"),
                    ("rule", "in", SPLIT_HELPER_RULES),
                ],
                ["lead_id", "owner_id", "user_id", "day", "arranged"],
                order="date, id",
            )
        )
        result = defaultdict(tuple)
        for turn in turns:
            key = (turn.lead_id.id, turn.owner_id.id)
            result[key] += (sp.Helper(turn.user_id.id, turn.day, turn.arranged),)
        return result

    @api.model
    def _forfeits(self, leads):
        """B11: the leads on which a quarrel in front of customers was recorded."""
        violations = (
            self.env["crm.attribution.violation"]
            .sudo()
            .search_fetch([("lead_id", "in", leads.ids), ("kind", "=", "quarrel")], ["lead_id"])
        )
        return set(violations.lead_id.ids)

    @api.model
    def _write(self, results, at, edited=False, note=False):
        """Replace the shares of the deals in ``results`` (``{deal: [Share]}``)
        and record each computation in the ledger (I1): one ``DELETE``, one
        ledger ``INSERT .. SELECT`` and one ``INSERT`` of the lines, whatever
        the number of deals (a batched ORM create costs five times more)."""
        deals = self.env["crm.lead"].browse([deal.id for deal in results]).sudo()
        Ledger = self.env["crm.attribution.ledger"]
        self.flush_model(["lead_id"])
        self.env.cr.execute(
            SQL("DELETE FROM crm_attribution_share WHERE lead_id = ANY(%s)", deals.ids)
        )
        self.invalidate_model()
        names = {}
        entries = Ledger._append_rows(
            [
                (deal, "share", shares[0].reason, at,
                 {"note": note or self._summary(shares, names), "ownership_changed": False})
                for deal, shares in results.items()
            ]
        )  # fmt: skip
        entry_of = {lead_id: entry_id for entry_id, lead_id in entries}
        rows = []
        for deal, shares in results.items():
            entry_id = entry_of[deal.id]
            for share in shares:
                rows.append(
                    (
                        deal.id,
                        (deal.company_id or self.env.company).id,
                        deal.date_closed or at,
                        share.user_id,
                        share.kind,
                        share.basis / 100,
                        (deal.expected_revenue or 0.0) * share.basis / sp.WHOLE,
                        share.rule,
                        share.reason.message,
                        json.dumps(Ledger._attribution_dump_args(share.reason.args)),
                        entry_id,
                        edited,
                    )
                )
        ids = self._insert_rows(rows)
        self.env["crm.lead"].invalidate_model(["attribution_share_ids"])
        return self.browse(ids)

    @api.model
    def _insert_rows(self, rows):
        """Insert share lines in one ``INSERT .. SELECT FROM unnest``; their ids."""
        if not rows:
            return []
        columns = (
            ("lead_id", "int4"), ("company_id", "int4"), ("date", "timestamp"),
            ("user_id", "int4"), ("kind", "varchar"), ("percent", "float8"),
            ("amount", "numeric"), ("rule", "varchar"), ("reason_message", "text"),
            ("reason_args", "text"), ("ledger_id", "int4"), ("edited", "bool"),
        )  # fmt: skip
        arrays = [list(values) for values in zip(*rows, strict=True)]
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_attribution_share (
                    %(names)s, create_uid, create_date, write_uid, write_date
                )
                SELECT %(selected)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(arrays)s) AS v(%(names)s)
             RETURNING id
                """,
                names=SQL(", ").join(SQL.identifier(name) for name, _type in columns),
                selected=SQL(", ").join(
                    SQL("v.reason_args::jsonb")
                    if name == "reason_args"
                    else SQL.identifier("v", name)
                    for name, _type in columns
                ),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", values, SQL(sql_type))
                    for values, (_name, sql_type) in zip(arrays, columns, strict=True)
                ),
                uid=self.env.uid,
                now=now,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _summary(self, shares, names=None):
        """One line per share, for the ledger's note (``names``: a cache of
        the kinds' and users' names shared by a batch)."""
        names = {} if names is None else names
        if "kinds" not in names:
            names["kinds"] = dict(self._fields["kind"]._description_selection(self.env))
            names["users"] = {}
        users = names["users"]
        for share in shares:
            if share.user_id and share.user_id not in users:
                user = self.env["res.users"].sudo().with_context(active_test=False)
                users[share.user_id] = user.browse(share.user_id).name
        return "\n".join(
            f"{names['kinds'][share.kind]}: {users.get(share.user_id, '-')} "
            f"{share.basis / 100:g} % ({share.rule})"
            for share in shares
        )

    @api.model
    def _drop_for(self, deals):
        """A deal reopened or lost has no shares until it is won again."""
        self.sudo().search([("lead_id", "in", deals.ids)]).unlink()

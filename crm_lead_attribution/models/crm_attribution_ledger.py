import json
from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import format_datetime

from ..const import ATTRIBUTION_STATES, EVENTS, FOLLOW_UP_KINDS, OUTCOMES, REGISTRATION_KINDS
from ..tools import vocabulary as v


class CrmAttributionLedger(models.Model):
    """The attribution ledger (I1): one entry per registration, reception,
    follow-up and ownership change, each with its rule id and reason.

    Entries are append-only: they are created by the attribution services (in
    sudo, with the acting user recorded) and can be neither edited nor
    deleted, by anyone, through the UI or the ORM.
    """

    _name = "crm.attribution.ledger"
    _description = "Attribution Ledger Entry"
    _order = "date desc, id desc"
    _rec_name = "rule"

    date = fields.Datetime(required=True, readonly=True, index=True, default=fields.Datetime.now)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    event = fields.Selection(EVENTS, required=True, readonly=True, index=True)
    actor_id = fields.Many2one(
        "res.users",
        readonly=True,
        index=True,
        ondelete="restrict",
        help="The user who made the registration or change.",
    )
    lead_id = fields.Many2one("crm.lead", readonly=True, index=True, ondelete="set null")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True, ondelete="set null"
    )
    customer_name = fields.Char(readonly=True, help="The customer's name when the entry was made.")
    phone = fields.Char(readonly=True, help="The customer's phone number (E.164).")
    channel = fields.Selection(
        REGISTRATION_KINDS,
        readonly=True,
        help="How the customer came in this time: walk-in visit (来访), phone "
        "call (来电) or channel registration (渠道报备).",
    )
    follow_up_kind = fields.Selection(FOLLOW_UP_KINDS, readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    receiver_id = fields.Many2one("res.users", readonly=True, ondelete="restrict")
    previous_owner_id = fields.Many2one("res.users", readonly=True, ondelete="restrict")
    owner_id = fields.Many2one("res.users", readonly=True, index=True, ondelete="restrict")
    ownership_changed = fields.Boolean(readonly=True)
    claimant_id = fields.Many2one(
        "res.users",
        string="Claimed By",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="F2: the salesperson who took the customer from the public pool (or a "
        "customer nobody held any more) by this entry: it counts towards their limits.",
    )
    state = fields.Selection(
        ATTRIBUTION_STATES,
        string="State After",
        readonly=True,
    )
    protected_until = fields.Datetime(readonly=True)
    rule = fields.Char(required=True, readonly=True, index=True)
    reason_message = fields.Text(readonly=True)
    reason_args = fields.Json(readonly=True)
    reason = fields.Text(compute="_compute_reason", help="Why, in the reader's language.")
    note = fields.Text(
        readonly=True, help="What the user wrote: the note at the desk, the follow-up summary."
    )
    evidence_user_id = fields.Many2one(
        "res.users",
        string="Customer Named",
        readonly=True,
        ondelete="restrict",
        help="B3: the salesperson the customer named or described, recorded as evidence.",
    )

    @api.depends("reason_message", "reason_args")
    @api.depends_context("lang", "tz")
    def _compute_reason(self):
        for entry in self:
            entry.reason = self._attribution_render_reason(entry.reason_message, entry.reason_args)

    @api.model
    def _attribution_render_reason(self, message, args):
        """Translate a stored reason into the reader's language and time zone."""
        if not message:
            return False
        return self._attribution_render(
            v.Reason("", message, self._attribution_load_args(args or {}))
        )

    @api.model
    def _attribution_render(self, reason):
        """Render an ``v.Reason`` in the current language and time zone."""
        users = self.env["res.users"].sudo().with_context(active_test=False)
        return reason.render(
            translate=self.env._,
            format_datetime=lambda value: format_datetime(self.env, value, dt_format="short"),
            format_user=lambda ref: users.browse(ref.id).name or "",
        )

    @api.model
    def _attribution_dump_args(self, args):
        """Reason arguments as JSON: datetimes and users keep their type."""

        def dump(value):
            if isinstance(value, datetime):
                return {"datetime": fields.Datetime.to_string(value)}
            if isinstance(value, v.UserRef):
                return {"user": value.id}
            if isinstance(value, v.Label):
                return {"label": value.text}
            return value

        return {key: dump(value) for key, value in args.items()}

    @api.model
    def _attribution_load_args(self, args):
        def load(value):
            if isinstance(value, dict) and "datetime" in value:
                return fields.Datetime.to_datetime(value["datetime"])
            if isinstance(value, dict) and "user" in value:
                return v.UserRef(value["user"])
            if isinstance(value, dict) and "label" in value:
                return v.Label(value["label"])
            return value

        return {key: load(value) for key, value in args.items()}

    @api.model
    def _attribution_prepare(self, lead, event, reason, **values):
        """Values of a ledger entry about ``lead`` for ``reason`` (an v.Reason)."""
        values.update(
            event=event,
            rule=reason.rule,
            reason_message=reason.message,
            reason_args=self._attribution_dump_args(reason.args),
            company_id=lead.company_id.id or self.env.company.id,
            lead_id=lead.id,
            partner_id=lead.partner_id.id,
            customer_name=lead.partner_id.name or lead.contact_name or lead.name,
            phone=lead.phone_sanitized or lead.phone,
            owner_id=lead.user_id.id,
            state=lead.attribution_state,
            protected_until=lead.attribution_protected_until,
        )
        values.setdefault("actor_id", self.env.user.id)
        return values

    @api.model
    def _append(self, vals_list):
        """Append entries (I1) in one batched create, as the services do (sudo)."""
        return self.sudo().create(vals_list)

    @api.model
    def _append_rows(self, entries):
        """Append many entries (I1) in one ``INSERT .. SELECT`` (the sweeps).

        ``entries``: ``(lead, event, reason, at, values)`` with ``values``
        among ``previous_owner_id``, ``ownership_changed``, ``note``,
        ``actor_id``. The customer's name, phone, owner, state and deadline
        are read from the lead as it is now, like ``_attribution_prepare``.
        Returns ``(entry id, lead id)`` of the new entries.
        """
        actor = self.env.uid
        columns = {
            "lead_id": ("int4", [lead.id for lead, *_rest in entries]),
            "event": ("varchar", [event for _lead, event, *_rest in entries]),
            "rule": ("varchar", [reason.rule for _lead, _event, reason, *_rest in entries]),
            "reason_message": ("text", [reason.message for _l, _e, reason, *_r in entries]),
            "reason_args": (
                "text",
                [
                    json.dumps(self._attribution_dump_args(reason.args))
                    for _l, _e, reason, *_r in entries
                ],
            ),
            "date": ("timestamp", [at for _lead, _event, _reason, at, _values in entries]),
            "actor_id": ("int4", [values.get("actor_id", actor) for *_rest, values in entries]),
            "previous_owner_id": (
                "int4",
                [values.get("previous_owner_id") or None for *_rest, values in entries],
            ),
            "ownership_changed": (
                "bool",
                [bool(values.get("ownership_changed")) for *_rest, values in entries],
            ),
            "note": ("text", [values.get("note") or None for *_rest, values in entries]),
        }
        names = list(columns)
        now = fields.Datetime.now()
        self.env["crm.lead"].flush_model(
            ["company_id", "partner_id", "contact_name", "name", "phone_sanitized", "phone",
             "user_id", "attribution_state", "attribution_protected_until"]
        )  # fmt: skip
        self.env["res.partner"].flush_model(["name"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_attribution_ledger (
                    lead_id, event, rule, reason_message, reason_args, date, actor_id,
                    previous_owner_id, ownership_changed, note,
                    company_id, partner_id, customer_name, phone, owner_id, state,
                    protected_until, create_uid, create_date, write_uid, write_date
                )
                SELECT v.lead_id, v.event, v.rule, v.reason_message, v.reason_args::jsonb, v.date,
                       v.actor_id, v.previous_owner_id, v.ownership_changed, v.note,
                       coalesce(l.company_id, %(company)s), l.partner_id,
                       coalesce(p.name, l.contact_name, l.name),
                       coalesce(l.phone_sanitized, l.phone),
                       l.user_id, l.attribution_state, l.attribution_protected_until,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(arrays)s) WITH ORDINALITY AS v(%(names)s, position)
                  JOIN crm_lead l ON l.id = v.lead_id
                  LEFT JOIN res_partner p ON p.id = l.partner_id
                 ORDER BY v.position
             RETURNING id, lead_id
                """,
                company=self.env.company.id,
                uid=actor,
                now=now,
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", columns[name][1], SQL(columns[name][0])) for name in names
                ),
                names=SQL(", ").join(SQL.identifier(name) for name in names),
            )
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------
    # What the claim limits read (F1, F2)
    # ------------------------------------------------------------------

    @api.model
    def _claims_since(self, user, start):
        """F2: how many customers ``user`` took since ``start`` (claims, and
        registrations that counted as claims)."""
        self.flush_model(["claimant_id", "date"])
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM crm_attribution_ledger"
                " WHERE claimant_id = %(user)s AND date >= %(start)s",
                user=user.id,
                start=start,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _lost_at(self, lead, user):
        """F2: when ``user`` last lost ``lead`` (the cool-down counts from it)."""
        self.flush_model(["lead_id", "previous_owner_id", "owner_id", "ownership_changed", "date"])
        self.env.cr.execute(
            SQL(
                """
                SELECT max(date) FROM crm_attribution_ledger
                 WHERE lead_id = %(lead)s AND previous_owner_id = %(user)s AND ownership_changed
                   AND owner_id IS DISTINCT FROM %(user)s
                """,
                lead=lead.id,
                user=user.id,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _last_ownership_change(self, lead):
        """``(event, rule)`` of the latest entry that changed ``lead``'s owner."""
        self.flush_model(["lead_id", "ownership_changed", "date", "event", "rule"])
        self.env.cr.execute(
            SQL(
                """
                SELECT event, rule FROM crm_attribution_ledger
                 WHERE lead_id = %(lead)s AND ownership_changed
                 ORDER BY date DESC, id DESC LIMIT 1
                """,
                lead=lead.id,
            )
        )
        return self.env.cr.fetchone()

    @api.model_create_multi
    def create(self, vals_list):
        # I1: entries are written by the attribution services only (in sudo):
        # no user, an administrator granting themselves access included,
        # creates or copies one
        if not self.env.su:
            raise UserError(
                self.env._("Attribution ledger entries are written by the rules only (I1).")
            )
        return super().create(vals_list)

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(self.env._("Attribution ledger entries cannot be copied (I1)."))

    def write(self, vals):  # pylint: disable=method-required-super
        # I1: append-only, for everyone (superuser included).
        raise UserError(self.env._("Attribution ledger entries cannot be changed (I1)."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(self.env._("Attribution ledger entries cannot be deleted (I1)."))

from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_datetime

from ..tools import attribution_policy as ap
from .crm_lead import ATTRIBUTION_STATES, FOLLOW_UP_KINDS, OUTCOMES, REGISTRATION_KINDS

EVENTS = [
    ("registration", "Registration"),
    ("reception", "Returning Registration"),
    ("follow_up", "Follow-up"),
    ("reminder", "Reminder"),
    ("release", "Released to the Pool"),
    ("claim", "Claim"),
    ("ownership", "Ownership Change"),
    ("handover", "Handover"),
    ("closing", "Deal Closed or Reopened"),
    ("request", "Change Request"),
]


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
            ap.Reason("", message, self._attribution_load_args(args or {}))
        )

    @api.model
    def _attribution_render(self, reason):
        """Render an ``ap.Reason`` in the current language and time zone."""
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
            if isinstance(value, ap.UserRef):
                return {"user": value.id}
            if isinstance(value, ap.Label):
                return {"label": value.text}
            return value

        return {key: dump(value) for key, value in args.items()}

    @api.model
    def _attribution_load_args(self, args):
        def load(value):
            if isinstance(value, dict) and "datetime" in value:
                return fields.Datetime.to_datetime(value["datetime"])
            if isinstance(value, dict) and "user" in value:
                return ap.UserRef(value["user"])
            if isinstance(value, dict) and "label" in value:
                return ap.Label(value["label"])
            return value

        return {key: load(value) for key, value in args.items()}

    @api.model
    def _attribution_prepare(self, lead, event, reason, **values):
        """Values of a ledger entry about ``lead`` for ``reason`` (an ap.Reason)."""
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

    def write(self, vals):  # pylint: disable=method-required-super
        # I1: append-only, for everyone (superuser included).
        raise UserError(self.env._("Attribution ledger entries cannot be changed (I1)."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(self.env._("Attribution ledger entries cannot be deleted (I1)."))

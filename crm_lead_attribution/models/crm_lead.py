import json
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, create_index

from odoo.addons.phone_validation.tools import phone_validation

from ..tools import attribution_policy as ap
from ..tools import pool_policy as pp
from ..tools.attribution_policy import _lt
from .crm_team import EXCLUDE_OWNERLESS

try:
    import phonenumbers
except ImportError:  # pragma: no cover - declared in external_dependencies
    phonenumbers = None

# Context key under which the attribution services write the fields below.
WRITE_FLAG = "crm_lead_attribution_write"
# Context key: an activity marked done by the services themselves is no follow-up.
SKIP_ACTIVITY_FOLLOW_UP = "crm_lead_attribution_skip_follow_up"
FIRST_FOLLOW_UP_TYPE = "crm_lead_attribution.mail_activity_type_first_follow_up"
REMINDER_TYPE = "crm_lead_attribution.mail_activity_type_protection_ending"

# What the sweeps read of a customer (see _attribution_customer).
SWEEP_FIELDS = [
    "name",
    "user_id",
    "company_id",
    "team_id",
    "attribution_state",
    "attribution_protected_until",
    "attribution_first_receiver_id",
    "attribution_first_contact_date",
    "attribution_owner_since",
    "attribution_ownership_kind",
    "attribution_visited",
    "attribution_last_follow_up",
    "attribution_source_channel",
    "attribution_handover",
    "attribution_previous_owner_id",
    "attribution_pool_since",
    "attribution_reminded_until",
]

# Notifications of the sweeps, translated into each owner's language.
RELEASED_SUBJECT = _lt("Customers released to the public pool")
RELEASED_MESSAGE = _lt(
    "%(count)s of your customers went to the public pool after their protection ended "
    "without follow-up (E3, C2, E8): %(names)s"
)
HANDOVER_SUBJECT = _lt("Customer handover (F4)")
HANDOVER_MESSAGE = _lt(
    "%(count)s customers of a salesperson who left are on your handover list (F4): %(names)s"
)
REMINDED_SUBJECT = _lt("Protection ending soon")
REMINDED_MESSAGE = _lt(
    "The protection of %(count)s of your customers ends within days (E6): follow them "
    "up or they go to the public pool: %(names)s"
)

# Fields only the attribution rules set (I1): not writable through the UI or RPC.
PROTECTED_FIELDS = frozenset(
    {
        "attribution_state",
        "attribution_first_receiver_id",
        "attribution_first_contact_date",
        "attribution_owner_since",
        "attribution_ownership_kind",
        "attribution_visited",
        "attribution_protected_until",
        "attribution_last_follow_up",
        "attribution_first_follow_up_due",
        "attribution_rule",
        "attribution_reason_message",
        "attribution_reason_args",
        "attribution_decision_date",
        "attribution_previous_owner_id",
        "attribution_pool_since",
        "attribution_release_rule",
        "attribution_reminded_until",
        "attribution_handover",
        "attribution_source_channel",
    }
)

ATTRIBUTION_STATES = [
    ("protected", "Protected"),
    ("pool", "Public Pool"),
    ("locked", "Locked (Closed)"),
    ("handover", "Handover"),
]
REGISTRATION_KINDS = [
    ("visit", "Visit"),
    ("call", "Phone Call"),
    ("channel", "Channel Registration"),
]
OWNERSHIP_KINDS = [*REGISTRATION_KINDS, ("deal", "First Deal")]
SOURCE_CHANNELS = [
    ("visit", "Walk-in Visit"),
    ("call", "Phone Call"),
    ("referral", "Referral"),
    ("channel", "Channel / Partner"),
    ("company", "Company Relations"),
    ("relation", "Salesperson's Relation"),
    ("other", "Other"),
]
OUTCOMES = [
    ("new", "New Customer"),
    ("returning", "Returning Customer"),
    ("expired", "Treated as New: Protection Ended"),
    ("pool", "Treated as New: From the Pool"),
    ("handover", "Treated as New: Salesperson Left"),
]
FOLLOW_UP_KINDS = [
    ("call", "Call"),
    ("visit", "Visit"),
    ("message", "WeChat / SMS Message"),
    ("meeting", "Meeting"),
    ("activity", "Activity Done"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    attribution_state = fields.Selection(
        ATTRIBUTION_STATES,
        string="Attribution",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="Protected: the owner's claim holds while they follow up. Public "
        "pool: nobody owns the customer (F1). Locked: the deal is closed and "
        "ownership never lapses (E7). Handover: the salesperson left and the "
        "sales manager gives the customer to someone (F4). Empty: the lead "
        "was never registered.",
    )
    attribution_first_receiver_id = fields.Many2one(
        "res.users",
        string="First Receiver",
        readonly=True,
        copy=False,
        help="B2 / C1: who received the customer when the current ownership began.",
    )
    attribution_first_contact_date = fields.Datetime(
        string="First Contact",
        readonly=True,
        copy=False,
        help="A3: the earliest registration of the current ownership.",
    )
    attribution_owner_since = fields.Datetime(string="Owner Since", readonly=True, copy=False)
    attribution_source_channel = fields.Selection(
        SOURCE_CHANNELS,
        string="Source Channel",
        copy=False,
        help="A4: how the customer first came to the company.",
    )
    attribution_ownership_kind = fields.Selection(
        OWNERSHIP_KINDS,
        string="Registered By",
        readonly=True,
        copy=False,
        help="What started the current ownership: a visit, a call or a channel "
        "registration, or a first closed deal (E8); a caller not brought to a "
        "visit keeps only the call period (C2).",
    )
    attribution_visited = fields.Boolean(
        string="Visited",
        readonly=True,
        copy=False,
        help="The customer has visited since the current ownership began.",
    )
    attribution_protected_until = fields.Datetime(
        string="Protected Until",
        readonly=True,
        copy=False,
        help="E3: without a follow-up by the owner before this moment, the owner "
        "loses the customer.",
    )
    attribution_last_follow_up = fields.Datetime(string="Last Follow-up", readonly=True, copy=False)
    attribution_first_follow_up_due = fields.Datetime(
        string="First Follow-up Due",
        readonly=True,
        copy=False,
        help="E2: the first follow-up after the first visit is due by then.",
    )
    attribution_days_left = fields.Integer(
        string="Protection Days Left",
        compute="_compute_attribution_days_left",
    )
    attribution_expired = fields.Boolean(
        string="Protection Ended",
        compute="_compute_attribution_days_left",
        search="_search_attribution_expired",
        help="E3: protection ended without follow-up; the next registration "
        "treats the customer as new.",
    )
    attribution_rule = fields.Char(string="Latest Rule", readonly=True, copy=False)
    attribution_reason_message = fields.Text(readonly=True, copy=False)
    attribution_reason_args = fields.Json(readonly=True, copy=False)
    attribution_reason = fields.Text(
        string="Latest Decision",
        compute="_compute_attribution_reason",
        help="The latest attribution decision and why, with its rule id.",
    )
    attribution_decision_date = fields.Datetime(string="Decided On", readonly=True, copy=False)
    attribution_ledger_ids = fields.One2many("crm.attribution.ledger", "lead_id", readonly=True)
    attribution_previous_owner_id = fields.Many2one(
        "res.users",
        string="Former Owner",
        readonly=True,
        copy=False,
        help="Who owned the customer before the public pool or the handover list.",
    )
    attribution_pool_since = fields.Datetime(
        string="In Pool Since",
        readonly=True,
        copy=False,
        help="When the customer went to the public pool or the handover list.",
    )
    attribution_release_rule = fields.Char(
        string="Released By Rule",
        readonly=True,
        copy=False,
        help="Why the customer is in the public pool: E3 no follow-up, C2 caller "
        "never brought to a visit, E5 given up, E8 first deal idle; F4 handover.",
    )
    attribution_reminded_until = fields.Datetime(
        readonly=True,
        copy=False,
        help="E6: the deadline the owner was last reminded of (once per period).",
    )
    attribution_handover = fields.Boolean(
        string="On Handover List",
        readonly=True,
        copy=False,
        help="F4: a closed customer whose salesperson left; locked until the "
        "sales manager gives them to someone.",
    )
    attribution_conversion_overdue = fields.Boolean(
        string="Not Converted",
        compute="_compute_attribution_conversion_overdue",
        search="_search_attribution_conversion_overdue",
        help="E4: owned for the conversion period without a closed deal; the "
        "sales manager may give the customer to someone else.",
    )
    attribution_change_request_ids = fields.One2many(
        "crm.attribution.change.request", "lead_id", string="Change Requests"
    )
    attribution_change_request_count = fields.Integer(
        compute="_compute_attribution_change_request_count"
    )

    # ------------------------------------------------------------------
    # COMPUTE / SEARCH
    # ------------------------------------------------------------------

    @api.depends("attribution_state", "attribution_protected_until")
    def _compute_attribution_days_left(self):
        now = self._attribution_now()
        for lead in self:
            protected = lead.attribution_state == "protected"
            until = lead.attribution_protected_until
            lead.attribution_days_left = ap.days_left(until, now) if protected else 0
            lead.attribution_expired = bool(protected and until and until <= now)

    def _search_attribution_expired(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on Protection Ended."))
        domain = [
            ("attribution_state", "=", "protected"),
            ("attribution_protected_until", "<=", self._attribution_now()),
        ]
        if (operator == "=") == bool(value):
            return domain
        return ["!", "&", *domain]

    @api.depends("attribution_state", "attribution_owner_since", "team_id", "company_id")
    def _compute_attribution_conversion_overdue(self):
        now = self._attribution_now()
        for lead in self:
            customer = lead._attribution_customer()
            lead.attribution_conversion_overdue = bool(
                customer and pp.conversion_overdue(customer, now, lead._attribution_policy())
            )

    def _search_attribution_conversion_overdue(self, operator, value):
        """E4, by the conversion days of each company and overriding team
        (like ``pool_policy.conversion_overdue``)."""
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on Not Converted."))
        now = self._attribution_now()
        branches = [
            expression.AND(
                [
                    domain,
                    [
                        (
                            "attribution_owner_since",
                            "<=",
                            now - timedelta(days=policy.conversion_days),
                        )
                    ],
                ]
            )
            for policy, domain in self._attribution_policy_scopes()
            if policy.conversion_days
        ]
        domain = expression.AND(
            [
                [
                    ("attribution_state", "=", "protected"),
                    ("attribution_ownership_kind", "!=", "deal"),
                ],
                expression.OR(branches or [expression.FALSE_DOMAIN]),
            ]
        )
        if (operator == "=") == bool(value):
            return domain
        return ["!", *domain]

    @api.depends("attribution_change_request_ids")
    def _compute_attribution_change_request_count(self):
        counts = dict(
            self.env["crm.attribution.change.request"]._read_group(
                [("lead_id", "in", self.ids), ("state", "=", "pending")], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.attribution_change_request_count = counts.get(lead, 0)

    @api.depends("attribution_reason_message", "attribution_reason_args")
    @api.depends_context("lang", "tz")
    def _compute_attribution_reason(self):
        Ledger = self.env["crm.attribution.ledger"]
        for lead in self:
            lead.attribution_reason = Ledger._attribution_render_reason(
                lead.attribution_reason_message, lead.attribution_reason_args
            )

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------

    def init(self):
        result = super().init()
        # the sweeps look for protected customers by deadline (E3, E6)
        create_index(
            self.env.cr,
            indexname="crm_lead_attribution_protected_until_index",
            tablename=self._table,
            expressions=["attribution_protected_until", "id"],
            where="attribution_state = 'protected'",
        )
        # E6: the ones not yet reminded of their deadline, so that reminded
        # customers leave the index and each batch starts where work is
        create_index(
            self.env.cr,
            indexname="crm_lead_attribution_to_remind_index",
            tablename=self._table,
            expressions=["attribution_protected_until", "id"],
            where="attribution_state = 'protected' "
            "AND attribution_reminded_until IS DISTINCT FROM attribution_protected_until",
        )
        return result

    def _compute_company_id(self):
        # A registered customer belongs to its company, owner or not (A2, F1):
        # leaving the pool or the handover list must not drop the company.
        kept = self.filtered(lambda lead: lead.attribution_state and lead.company_id)
        for lead in kept:
            lead.company_id = lead.company_id
        return super(CrmLead, self - kept)._compute_company_id()

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if self.env.context.get(EXCLUDE_OWNERLESS):
            domain = expression.AND([domain, [("attribution_state", "not in", pp.OWNERLESS)]])
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _attribution_trusted(self):
        """Writes made by the attribution services: in sudo, with the flag.
        (A client can put any key in its context, but cannot get sudo.)"""
        return self.env.su and self.env.context.get(WRITE_FLAG)

    @api.model_create_multi
    def create(self, vals_list):
        if not self._attribution_trusted() and any(
            PROTECTED_FIELDS.intersection(vals) for vals in vals_list
        ):
            raise UserError(
                self.env._(
                    "The attribution of a customer is set by the attribution rules only: "
                    "register the customer at the desk instead (I1)."
                )
            )
        return super().create(vals_list)

    def unlink(self):
        if self.filtered("attribution_state") and not (
            self.env.su or self.env.user.has_group("sales_team.group_sale_manager")
        ):
            raise UserError(
                self.env._(
                    "A registered customer cannot be deleted: give the customer up to the "
                    "public pool instead (E5), or ask a sales manager (I1)."
                )
            )
        return super().unlink()

    def _merge_opportunity(self, user_id=False, team_id=False, auto_unlink=True, max_length=5):
        if len(self.sudo().filtered("attribution_state")) > 1:
            raise UserError(
                self.env._(
                    "Two registered customers cannot be merged: each registered phone is a "
                    "customer of its own (A2). A sales manager decides disputes (H5)."
                )
            )
        return super()._merge_opportunity(
            user_id=user_id, team_id=team_id, auto_unlink=auto_unlink, max_length=max_length
        )

    def _sort_by_confidence_level(self, reverse=False):
        # A2: a merge keeps the registered customer's lead (the head is the
        # first when reversed), so its identity and ledger stay attached.
        ordered = super()._sort_by_confidence_level(reverse=reverse)
        registered = ordered.filtered("attribution_state")
        if not registered:
            return ordered
        others = ordered - registered
        return registered + others if reverse else others + registered

    def write(self, vals):
        if not self._attribution_trusted():
            self._attribution_check_write(vals)
        watched = self._attribution_watch(vals)
        result = super().write(vals)
        if watched:
            self._attribution_after_write(vals, watched)
        return result

    def _attribution_check_write(self, vals):
        """Refuse changes that would bypass the rules (I1, H1)."""
        if PROTECTED_FIELDS.intersection(vals):
            raise UserError(
                self.env._(
                    "The attribution of a customer is set by the attribution rules "
                    "only: register a visit or log a follow-up instead (I1)."
                )
            )
        manager = self.env.su or self.env.user.has_group("sales_team.group_sale_manager")
        moved_team = "team_id" in vals and self.filtered(
            lambda lead: lead.attribution_state and lead.team_id.id != (vals["team_id"] or False)
        )
        if moved_team and not manager:
            raise UserError(
                self.env._(
                    "Only a sales manager can move a registered customer to another sales "
                    "team: the team's attribution policy applies to the customer."
                )
            )
        if "user_id" in vals:
            moved = self.filtered(
                lambda lead: (
                    lead.attribution_state and lead.user_id.id != (vals["user_id"] or False)
                )
            )
            if moved and not manager:
                raise UserError(
                    self.env._(
                        "Only a sales manager can give a registered customer to another "
                        "salesperson; the owner's consent is recorded by the manager (H1)."
                    )
                )

    def _attribution_watch(self, vals):
        """Remember what the write may change in the attribution of managed leads."""
        managed = self.filtered("attribution_state")
        watched = {}
        if {"stage_id", "probability", "active"}.intersection(vals):
            # E8: another deal of a registered customer may be a reorder
            others = (self - managed).filtered("partner_id")
            if others:
                watched["reorder"] = {lead.id: lead._attribution_is_won() for lead in others}
        if not managed:
            return watched
        if {"stage_id", "probability", "active"}.intersection(vals):
            watched["won"] = {lead.id: lead._attribution_is_won() for lead in managed}
        if "user_id" in vals and not self._attribution_trusted():
            watched["owner"] = {
                lead.id: lead._attribution_customer()
                for lead in managed
                if lead.user_id.id != (vals["user_id"] or False)
            }
        if {"phone", "partner_id"}.intersection(vals):
            watched["phone"] = managed.ids
        return watched

    def _attribution_after_write(self, vals, watched):
        now = self._attribution_now()
        leads = self.browse
        if watched.get("owner"):
            self.browse(list(watched["owner"]))._attribution_apply_reassign(watched["owner"], now)
        if watched.get("reorder"):
            won = leads([i for i, was in watched["reorder"].items() if not was])
            won.filtered(lambda lead: lead._attribution_is_won())._attribution_reorder(now)
        if "won" in watched:
            closed = leads([i for i, was in watched["won"].items() if not was])
            reopened = leads([i for i, was in watched["won"].items() if was])
            closed.filtered(lambda lead: lead._attribution_is_won())._attribution_close(now)
            reopened.filtered(lambda lead: not lead._attribution_is_won())._attribution_reopen(
                now, lost="active" in vals and not vals["active"]
            )
        if "phone" in watched:
            leads(watched["phone"])._attribution_sync_identity()

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def action_attribution_register(self):
        """Open the registration desk for this lead's customer (登记)."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_attribution_register_action"
        )
        action["context"] = {
            "default_lead_hint_id": self.id,
            "default_name": self.partner_id.name or self.contact_name or self.name,
            "default_phone": self.phone or self.mobile,
        }
        return action

    def action_attribution_follow_up(self):
        """Log a follow-up (跟进) on this customer."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_attribution_follow_up_action"
        )
        action["context"] = {"default_lead_id": self.id}
        return action

    def action_attribution_give_up(self):
        """E5: give the customer up to the public pool, with a reason."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_attribution_give_up_action"
        )
        action["context"] = {"default_lead_id": self.id}
        return action

    def action_attribution_reassign(self):
        """E4 / F1 / F4 / H5: the sales manager gives customers to a salesperson."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(self.env._("Only a sales manager can give customers to someone else."))
        registered = self.sudo().filtered("attribution_state")
        if not registered:
            raise UserError(self.env._("Select registered customers to give to someone else."))
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_attribution_reassign_action"
        )
        action["context"] = {"default_lead_ids": registered.ids}
        return action

    def action_attribution_change_request(self):
        """H1: record that the customer asks for another salesperson."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Asks for Another Salesperson"),
            "res_model": "crm.attribution.change.request",
            "view_mode": "form",
            "views": [
                (
                    self.env.ref(
                        "crm_lead_attribution.crm_attribution_change_request_view_form_new"
                    ).id,
                    "form",
                )
            ],
            "target": "new",
            "context": {"default_lead_id": self.id},
        }

    def action_attribution_view_change_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_lead_attribution.crm_attribution_change_request_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id}
        return action

    # ------------------------------------------------------------------
    # BUSINESS: reading and writing the attribution
    # ------------------------------------------------------------------

    @api.model
    def _attribution_now(self):
        """The moment rules are decided for: now (tests pin it with freezegun;
        never taken from the request's context, which clients control)."""
        return fields.Datetime.now()

    def _attribution_is_won(self):
        self.ensure_one()
        # a won stage, as Odoo's "Won" button sets it; a typed probability of
        # 100 % on an open stage is a forecast, not a signed contract (E7)
        return bool(self.active and self.stage_id.is_won)

    def _attribution_customer(self):
        """This lead's attribution as the policy layer reads it."""
        self.ensure_one()
        if not self.attribution_state:
            return None
        return ap.Customer(
            owner_id=self.user_id.id or None,
            state=self.attribution_state,
            protected_until=self.attribution_protected_until or None,
            first_receiver_id=self.attribution_first_receiver_id.id or None,
            first_contact_at=self.attribution_first_contact_date or None,
            owner_since=self.attribution_owner_since or None,
            ownership_kind=self.attribution_ownership_kind or ap.VISIT,
            visited=self.attribution_visited,
            last_follow_up_at=self.attribution_last_follow_up or None,
            source_channel=self.attribution_source_channel or "",
            handover=self.attribution_handover,
            previous_owner_id=self.attribution_previous_owner_id.id or None,
            pool_since=self.attribution_pool_since or None,
            reminded_until=self.attribution_reminded_until or None,
        )

    @api.model
    def _attribution_values(self, customer, reason=None, at=None):
        """Field values of an ``ap.Customer`` (and the reason for it)."""
        values = {
            "user_id": customer.owner_id or False,
            "attribution_state": customer.state,
            "attribution_protected_until": customer.protected_until or False,
            "attribution_first_receiver_id": customer.first_receiver_id or False,
            "attribution_first_contact_date": customer.first_contact_at or False,
            "attribution_owner_since": customer.owner_since or False,
            "attribution_ownership_kind": customer.ownership_kind,
            "attribution_visited": customer.visited,
            "attribution_last_follow_up": customer.last_follow_up_at or False,
            "attribution_source_channel": customer.source_channel or False,
            "attribution_handover": customer.handover,
            "attribution_previous_owner_id": customer.previous_owner_id or False,
            "attribution_pool_since": customer.pool_since or False,
            "attribution_reminded_until": customer.reminded_until or False,
        }
        if reason is not None:
            values.update(
                attribution_rule=reason.rule,
                attribution_reason_message=reason.message,
                attribution_reason_args=self.env["crm.attribution.ledger"]._attribution_dump_args(
                    reason.args
                ),
                attribution_decision_date=at,
            )
        return values

    def _attribution_write(self, values):
        """Write attribution values as the rules (bypassing the I1/H1 guards)."""
        return self.sudo().with_context(**{WRITE_FLAG: True}).write(values)

    def _attribution_lock(self):
        """Lock the leads' rows until the end of the transaction.

        Waits for a concurrent registration or follow-up of the same customer;
        if that one changed the row, PostgreSQL raises a serialization failure
        under REPEATABLE READ and Odoo retries the request with fresh data.
        """
        if self.ids:
            self.env.cr.execute(
                SQL("SELECT id FROM crm_lead WHERE id IN %s FOR UPDATE", tuple(self.ids))
            )
            self.invalidate_recordset()

    def _attribution_log(self, event, reason, at, **values):
        """Append one entry to the attribution ledger (I1), dated ``at``."""
        self.ensure_one()
        Ledger = self.env["crm.attribution.ledger"].sudo()
        return Ledger.create(Ledger._attribution_prepare(self, event, reason, date=at, **values))

    def _attribution_first_follow_up_activities(self, types=(FIRST_FOLLOW_UP_TYPE,)):
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "in", [self.env.ref(xmlid).id for xmlid in types]),
                ]
            )
        )

    def _attribution_cancel_first_follow_up(self):
        """Drop the E2 activity of a former owner."""
        self._attribution_first_follow_up_activities().unlink()

    def _attribution_complete_first_follow_up(self):
        """The owner followed up: the E2 first follow-up and the E6 reminders
        are done (without counting as follow-ups twice)."""
        activities = self._attribution_first_follow_up_activities(
            (FIRST_FOLLOW_UP_TYPE, REMINDER_TYPE)
        )
        if activities:
            activities.with_context(**{SKIP_ACTIVITY_FOLLOW_UP: True}).action_feedback(
                feedback=self.env._("Done by the follow-up logged by the owner (E2, E6).")
            )

    def _attribution_schedule_first_follow_up(self, due):
        """E2: an activity for the owner, due by ``due`` in the owner's time zone."""
        self.ensure_one()
        owner = self.user_id
        self._attribution_cancel_first_follow_up()
        if not owner:
            return
        local_due = fields.Datetime.context_timestamp(self.with_context(tz=owner.tz or "UTC"), due)
        self.sudo().activity_schedule(
            FIRST_FOLLOW_UP_TYPE,
            date_deadline=local_due.date(),
            user_id=owner.id,
            note=self.env._(
                "E2: follow up this customer for the first time after the first visit."
            ),
        )

    @api.model
    def _attribution_policy_for(self, company, team=None):
        """The policy of a sales team that overrides it, else of the company."""
        if team and team.attribution_override:
            return team._attribution_policy()
        return company._attribution_policy()

    def _attribution_policy(self):
        """The policy in force for this customer."""
        self.ensure_one()
        return self._attribution_policy_for(self.company_id or self.env.company, self.team_id)

    # ------------------------------------------------------------------
    # BUSINESS: phone identity (A1, A2)
    # ------------------------------------------------------------------

    @api.model
    def _attribution_parse_phone(self, raw, company):
        """Validate ``raw`` as a phone of the company's customer country.

        :return: ``(e164, international)`` strings, e.g.
          ``('+8613800138000', '+86 138 0013 8000')``
        :raise ValidationError: not a number, or a number of another country
        """
        country = company._attribution_phone_country()
        raw = (raw or "").strip()
        if phonenumbers is None:
            raise UserError(
                self.env._("The phonenumbers Python library is required to identify customers.")
            )
        try:
            parsed = phone_validation.phone_parse(raw, country.code)
        except UserError as error:
            raise ValidationError(
                self.env._(
                    "%(phone)s is not a valid phone number (A1): %(error)s",
                    phone=raw,
                    error=str(error.args[0]),
                )
            ) from error
        if parsed.country_code != country.phone_code:
            raise ValidationError(
                self.env._(
                    "%(phone)s is a phone number of another country: customers are "
                    "identified by %(country)s phone numbers (A2).",
                    phone=raw,
                    country=country.name,
                )
            )
        return (
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        )

    def _attribution_sync_identity(self):
        """Keep the phone identity in step with the registered phone of the lead."""
        Identity = self.env["crm.attribution.identity"].sudo()
        for lead in self.filtered("attribution_state"):
            company = lead.company_id or self.env.company
            if not lead.phone:
                raise ValidationError(
                    self.env._("A registered customer must keep a phone number (A1).")
                )
            phone, _international = self._attribution_parse_phone(lead.phone, company)
            identity = Identity.search([("lead_id", "=", lead.id)], limit=1)
            if identity.phone == phone:
                continue
            other = Identity._find(company, phone)
            if other.lead_id:
                raise ValidationError(
                    self.env._(
                        "%(phone)s is already the phone of another customer, owned by "
                        "%(owner)s (A2).",
                        phone=lead.phone,
                        owner=other.lead_id.user_id.name or self.env._("nobody"),
                    )
                )
            if other:  # an identity whose lead was deleted: take it over
                identity.unlink()
                other.lead_id = lead
            elif identity:
                identity.phone = phone
            else:
                Identity.create({"company_id": company.id, "phone": phone, "lead_id": lead.id})

    # ------------------------------------------------------------------
    # BUSINESS: registration (登记 / 判客): A1-A4, B2, B3, C1, E3, E7, F1
    # ------------------------------------------------------------------

    @api.model
    def _attribution_check_registration(self, name, phone, receiver, company):
        problems = ap.registration_problems(name, phone, receiver.id if receiver else None)
        if problems:
            raise ValidationError(
                "\n".join(self.env._(ap.PROBLEM_MESSAGES[code], **args) for code, args in problems)
            )
        phone_e164, international = self._attribution_parse_phone(phone, company)
        receiver_ok = self._attribution_is_salesperson(receiver, company)
        if not receiver_ok:
            raise ValidationError(
                self.env._(
                    "%(user)s cannot receive customers: the receiver must be an active "
                    "salesperson of %(company)s (A3).",
                    user=receiver.name,
                    company=company.name,
                )
            )
        return phone_e164, international

    @api.model
    def _attribution_find_customer(self, company, phone_e164):
        """The registered lead of a phone (判客), or an empty recordset (A2)."""
        identity = self.env["crm.attribution.identity"]._find(company, phone_e164)
        lead = identity.lead_id.with_context(active_test=False).exists()
        # read what the decision needs, not the lead's hundred other fields
        lead.fetch(SWEEP_FIELDS)
        return lead

    @api.model
    def _attribution_decide(self, company, registration, lead, receiver):
        """Decide a registration with the policy of the customer's team, or
        of the receiver's team for a new customer."""
        known = lead._attribution_customer() if lead else None
        team = lead.team_id if lead else receiver.sale_team_id
        policy = self._attribution_policy_for(company, team)
        return ap.decide_registration(registration, known, policy)

    @api.model
    def _attribution_preview(self, name, phone, kind, receiver, source_channel=False, at=None):
        """What registering now would decide, without saving anything.

        :return: ``(decision, lead)``; raises ValidationError on bad input.
        """
        company = self.env.company
        at = at or self._attribution_now()
        phone_e164, _international = self._attribution_check_registration(
            name, phone, receiver, company
        )
        lead = self.sudo()._attribution_find_customer(company, phone_e164)
        registration = ap.Registration(
            kind, phone_e164, ap.clean_name(name), receiver.id, at, source_channel or ""
        )
        return self._attribution_decide(company, registration, lead, receiver), lead

    @api.model
    def _attribution_register(
        self,
        name,
        phone,
        kind,
        receiver,
        source_channel=False,
        note=False,
        named_user=None,
        lead_hint=None,
        at=None,
    ):
        """Register a visit, a call or a channel report of a customer.

        Identifies the customer by phone, decides with the policy, creates or
        updates the customer's lead, appends the ledger entry, posts the
        registration in the lead's chatter and schedules the E2 follow-up.

        :return: ``(decision, lead)``
        """
        company = self.env.company
        at = at or self._attribution_now()
        actor = self.env.user
        name = ap.clean_name(name)
        phone_e164, international = self._attribution_check_registration(
            name, phone, receiver, company
        )
        Identity = self.env["crm.attribution.identity"]
        Lead = self.sudo().with_context(**{WRITE_FLAG: True, "active_test": False})

        identity = Identity._find(company, phone_e164)
        if not identity:
            identity = Identity._claim(company, phone_e164) or Identity._find(company, phone_e164)
        lead = Lead.browse(identity.lead_id.id).exists()
        lead._attribution_lock()
        registration = ap.Registration(
            kind, phone_e164, name, receiver.id, at, source_channel or ""
        )
        known = lead._attribution_customer() if lead.attribution_state else None
        decision = self._attribution_decide(
            company, registration, lead if known else None, receiver
        )
        if known:
            # F2 / E3: taking an ownerless or lapsed customer for oneself is a claim
            self._attribution_check_self_registration(lead, known, decision, actor, at)

        values = self._attribution_values(decision.customer, decision.reason, at)
        if lead and not lead.active:
            # the customer is back: a lost lead returns to the owner's pipeline
            values["active"] = True
        if decision.ownership_changed:
            values["attribution_first_follow_up_due"] = decision.first_follow_up_due or False
        if not lead:
            lead = Lead._attribution_adoptable(company, phone_e164, lead_hint)
            lead._attribution_lock()
        if lead:
            identity.lead_id = lead
            if not lead.partner_id:
                values["partner_id"] = Lead._attribution_new_partner(
                    company, name, international
                ).id
            lead.write(values)
        else:
            lead = Lead._attribution_create_customer(company, name, international, receiver, values)
            identity.lead_id = lead
        if decision.ownership_changed and decision.previous_owner_id:
            lead._attribution_drop_activities(decision.previous_owner_id)
            lead._attribution_unfollow(decision.previous_owner_id)
        elif known and decision.customer.protected_until != known.protected_until:
            # B3 / E6: the visit moved the deadline; reminders of the old one are moot
            lead._attribution_first_follow_up_activities((REMINDER_TYPE,)).unlink()

        event = "reception" if decision.outcome == ap.RETURNING else "registration"
        lead._attribution_log(
            event,
            decision.reason,
            at,
            actor_id=actor.id,
            channel=kind,
            outcome=decision.outcome,
            receiver_id=receiver.id,
            previous_owner_id=decision.previous_owner_id or False,
            ownership_changed=decision.ownership_changed,
            note=note or False,
            evidence_user_id=named_user.id if named_user else False,
        )
        lead._attribution_post_registration(decision, kind, receiver, actor, note, named_user)
        if decision.first_follow_up_due:
            lead._attribution_write(
                {"attribution_first_follow_up_due": decision.first_follow_up_due}
            )
            lead._attribution_schedule_first_follow_up(decision.first_follow_up_due)
        # Recompute what the sudo writes left pending while still in sudo: the
        # acting user may not be allowed to read the customer (reception).
        Lead.env.flush_all()
        return decision, lead.with_env(self.env)

    @api.model
    def _attribution_check_self_registration(self, lead, known, decision, actor, at):
        if decision.customer.owner_id != actor.id or decision.outcome == ap.RETURNING:
            return
        self.env.cr.execute(
            SQL("UPDATE res_users SET attribution_last_claim = %s WHERE id = %s", at, actor.id)
        )
        try:
            pp.check_self_registration(
                known, decision, actor.id, at, lead._attribution_policy(),
                lead._attribution_claim_context(actor, at),
            )  # fmt: skip
        except ap.Refusal as refusal:
            raise UserError(self._attribution_render(refusal.reason)) from refusal

    @api.model
    def _attribution_adoptable(self, company, phone_e164, lead_hint=None):
        """An open lead of this phone that was never registered (A3).

        Unregistered contact creates no ownership: such a lead is taken over
        as the customer's lead, and the receiver becomes its owner.
        """
        national = phonenumbers.format_number(
            phonenumbers.parse(phone_e164), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        digits = "".join(char for char in national if char.isdigit()).lstrip("0")
        domain = [
            "|",
            ("phone_sanitized", "=", phone_e164),
            ("phone_mobile_search", "like", digits),
            ("company_id", "in", [company.id, False]),
            ("attribution_state", "=", False),
            ("active", "=", True),
        ]
        candidates = self.search(domain, order="create_date desc, id desc", limit=20)

        def same_phone(lead):
            # the lead's own country may differ (an Odoo company set to another
            # country): read its numbers as the customer country's (A2)
            for number in (lead.phone, lead.mobile):
                if number:
                    try:
                        if self._attribution_parse_phone(number, company)[0] == phone_e164:
                            return True
                    except ValidationError:
                        continue
            return False

        matching = candidates.filtered(same_phone)
        if lead_hint and lead_hint in matching:
            return lead_hint
        return matching[:1]

    @api.model
    def _attribution_new_partner(self, company, name, international):
        country = company._attribution_phone_country()
        return (
            self.env["res.partner"]
            .sudo()
            .create({"name": name, "phone": international, "country_id": country.id})
        )

    @api.model
    def _attribution_create_customer(self, company, name, international, receiver, values):
        """Create the partner and the lead of a new customer (B2, C1)."""
        partner = self._attribution_new_partner(company, name, international)
        country = company._attribution_phone_country()
        vals = dict(
            values,
            name=name,
            type="opportunity",
            partner_id=partner.id,
            contact_name=name,
            phone=international,
            country_id=country.id,
            company_id=company.id,
            user_id=receiver.id,
        )
        team = receiver.sale_team_id
        if team:
            vals["team_id"] = team.id
        return (
            self.sudo()
            .with_context(**{WRITE_FLAG: True, "mail_create_nosubscribe": True})
            .create(vals)
        )

    def _attribution_post_registration(self, decision, kind, receiver, actor, note, named_user):
        """Post the registration in the lead's chatter, in the actor's words."""
        self.ensure_one()
        Ledger = self.env["crm.attribution.ledger"]
        kinds = dict(self._fields["attribution_ownership_kind"]._description_selection(self.env))
        lines = [
            self.env._(
                "%(kind)s registered by %(actor)s, received by %(receiver)s.",
                kind=kinds[kind],
                actor=actor.name,
                receiver=receiver.name,
            ),
            "%s: %s" % (decision.rule, Ledger._attribution_render(decision.reason)),
        ]
        if named_user:
            lines.append(self.env._("The customer named %(user)s (B3).", user=named_user.name))
        if note:
            lines.append(note)
        self.sudo().message_post(
            body=Markup("<br/>").join(lines),
            author_id=actor.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )

    # ------------------------------------------------------------------
    # BUSINESS: follow-ups (E1, E2)
    # ------------------------------------------------------------------

    def _attribution_log_follow_up(self, kind, note=False, at=None, actor=None, raise_refusal=True):
        """Record a follow-up on the managed leads of ``self`` (E1, E2).

        :return: the list of ``ap.FollowUp`` decisions taken
        """
        at = at or self._attribution_now()
        actor = actor or self.env.user
        results = []
        managed = self.sudo().filtered("attribution_state")
        managed._attribution_lock()
        for lead in managed:
            policy = lead._attribution_policy()
            try:
                result = ap.decide_follow_up(
                    lead._attribution_customer(), actor.id, at, kind, policy
                )
            except ap.Refusal as refusal:
                if raise_refusal:
                    raise UserError(
                        self.env["crm.attribution.ledger"]._attribution_render(refusal.reason)
                    ) from refusal
                continue
            values = self._attribution_values(result.customer, result.reason, at)
            if result.by_owner:
                values["attribution_first_follow_up_due"] = result.first_follow_up_due or False
                lead._attribution_complete_first_follow_up()
            lead._attribution_write(values)
            lead._attribution_log(
                "follow_up",
                result.reason,
                at,
                actor_id=actor.id,
                follow_up_kind=kind,
                note=note or False,
            )
            if result.first_follow_up_due:
                lead._attribution_schedule_first_follow_up(result.first_follow_up_due)
            results.append(result)
        managed.env.flush_all()
        return results

    # ------------------------------------------------------------------
    # BUSINESS: closing (E7, E8)
    # ------------------------------------------------------------------

    def _attribution_close(self, at):
        """A registered customer's deal is won: E7 locks, E8 gives it to the closer."""
        ownerless = self.filtered(lambda lead: not lead.user_id)
        if ownerless:
            raise UserError(
                self.env._(
                    "%(customer)s has no owner (public pool or handover list): give the "
                    "customer to the salesperson who closes the deal first (E5, F1).",
                    customer=ownerless[0].name,
                )
            )
        for lead in self:
            lead._attribution_close_by(lead.user_id.id or None, at)
        self.sudo().env.flush_all()

    def _attribution_reopen(self, at, lost=False):
        """A won deal reopened or marked lost: protected again (E7)."""
        for lead in self:
            customer, reason = ap.decide_reopen(
                lead._attribution_customer(), at, lead._attribution_policy(), lost=lost
            )
            lead._attribution_write(self._attribution_values(customer, reason, at))
            lead._attribution_log("closing", reason, at, ownership_changed=False)

    def _attribution_reorder(self, at):
        """E8: another deal of a registered customer is won (a reorder)."""
        Lead = self.sudo()
        for deal in self:
            customer_lead = Lead.search(
                [
                    ("partner_id", "=", deal.partner_id.id),
                    ("attribution_state", "!=", False),
                    ("company_id", "in", [deal.company_id.id, False]),
                    ("id", "!=", deal.id),
                ],
                limit=1,
            )
            if not customer_lead or not customer_lead._attribution_policy().first_deal:
                continue
            owner = customer_lead.user_id
            # E8: the owner's reorder keeps the customer; the first deal of a
            # customer without an owner gives it to its salesperson. A deal
            # closed by someone else on an owned customer moves nothing.
            if deal.user_id and (deal.user_id == owner or not owner):
                customer_lead._attribution_lock()
                customer_lead._attribution_close_by(deal.user_id.id, at)

    def _attribution_close_by(self, closer_id, at):
        """E7 / E8: a deal of this customer was won by ``closer_id``."""
        self.ensure_one()
        customer, reason = ap.decide_close(
            self._attribution_customer(), closer_id, at, self._attribution_policy()
        )
        before = self.user_id.id or False
        self._attribution_write(self._attribution_values(customer, reason, at))
        self._attribution_log(
            "closing",
            reason,
            at,
            previous_owner_id=before,
            ownership_changed=before != (customer.owner_id or False),
        )

    # ------------------------------------------------------------------
    # BUSINESS: the manager's decisions (E4, F1, F4, H5)
    # ------------------------------------------------------------------

    def _attribution_apply_reassign(self, before, at):
        """H5 / F1 / F4 / E4: a sales manager changed the owner in the form or by import."""
        for lead in self:
            known = before[lead.id]
            new_owner = lead.user_id.id or None
            if new_owner is None:
                raise UserError(
                    self.env._(
                        "A registered customer cannot be left without an owner by editing the "
                        "salesperson: give the customer up to the public pool instead (E5)."
                    )
                )
            lead._attribution_check_salesperson(lead.user_id)
            lead._attribution_apply(
                pp.decide_assign, known, new_owner, at, lead._attribution_policy()
            )

    def _attribution_apply(
        self, decide, known, new_owner, at, policy, note=False, event="ownership"
    ):
        """Apply a manager's or owner's decision moving ownership; log it."""
        self.ensure_one()
        try:
            customer, reason = decide(known, new_owner, at, policy)
        except ap.Refusal as refusal:
            raise UserError(self._attribution_render(refusal.reason)) from refusal
        values = self._attribution_values(customer, reason, at)
        values["attribution_first_follow_up_due"] = False  # E2 was the former owner's
        self._attribution_write(values)
        self._attribution_drop_activities(known.owner_id)
        self._attribution_unfollow(known.owner_id)
        self._attribution_log(
            event,
            reason,
            at,
            previous_owner_id=known.owner_id or False,
            ownership_changed=True,
            note=note or False,
        )
        return customer, reason

    def _attribution_assign(self, user, note, at=None, from_pool=False):
        """The sales manager gives these customers to ``user`` (F1, F4, E4, H5).

        ``from_pool``: the manager picked them on the pool screen; a customer
        claimed meanwhile is refused rather than taken from its new owner.
        """
        at = at or self._attribution_now()
        self._attribution_check_salesperson(user)
        leads = self.sudo().with_context(active_test=False).filtered("attribution_state")
        leads._attribution_lock()
        for lead in leads:
            if from_pool:
                try:
                    pp.check_in_pool(
                        lead._attribution_customer(), lead._attribution_taken_from_pool()
                    )
                except ap.Refusal as refusal:
                    raise UserError(self._attribution_render(refusal.reason)) from refusal
        for lead in leads:
            lead._attribution_apply(
                pp.decide_assign,
                lead._attribution_customer(),
                user.id,
                at,
                lead._attribution_policy(),
                note=note,
            )
        leads.env.flush_all()
        return leads

    @api.model
    def _attribution_is_salesperson(self, user, company):
        """An active salesperson of ``company``: who may receive or own customers."""
        return bool(
            user.active
            and not user.share
            and company in user.company_ids
            and user.has_group("sales_team.group_sale_salesman")
        )

    def _attribution_check_salesperson(self, user):
        company = self.company_id[:1] or self.env.company
        if not self._attribution_is_salesperson(user, company):
            raise UserError(
                self.env._(
                    "%(user)s cannot own customers: the owner must be an active salesperson "
                    "of %(company)s.",
                    user=user.name,
                    company=company.name,
                )
            )

    def _attribution_unfollow(self, *former_owner_ids):
        """A former owner no longer follows the customer's messages (F3)."""
        user_ids = [user_id for user_id in former_owner_ids if user_id]
        if not user_ids or not self:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM mail_followers f
                 USING res_users u
                 WHERE f.res_model = %s AND f.res_id IN %s
                   AND u.id IN %s AND f.partner_id = u.partner_id
                """,
                self._name,
                tuple(self.ids),
                tuple(user_ids),
            )
        )
        self.invalidate_recordset(
            ["message_follower_ids", "message_partner_ids", "message_is_follower"]
        )

    def _attribution_drop_activities(self, former_owner_id):
        """The former owner's open activities on a customer they no longer own."""
        if former_owner_id:
            self.env["mail.activity"].sudo().search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("user_id", "=", former_owner_id),
                ]
            ).unlink()

    def _attribution_render(self, reason):
        return self.env["crm.attribution.ledger"]._attribution_render(reason)

    # ------------------------------------------------------------------
    # BUSINESS: the owner gives up (E5)
    # ------------------------------------------------------------------

    def _attribution_give_up(self, note, at=None):
        """E5: the owner (or a manager) gives the customer up to the public pool."""
        self.ensure_one()
        at = at or self._attribution_now()
        actor = self.env.user
        lead = self.sudo()
        lead._attribution_lock()
        known = lead._attribution_customer()
        if known is None:
            raise UserError(self.env._("This lead is not a registered customer."))
        try:
            customer, reason = pp.decide_give_up(
                known, actor.id, at, is_manager=actor.has_group("sales_team.group_sale_manager")
            )
        except ap.Refusal as refusal:
            raise UserError(self._attribution_render(refusal.reason)) from refusal
        values = self._attribution_values(customer, reason, at)
        values["attribution_release_rule"] = reason.rule
        lead._attribution_write(values)
        lead._attribution_drop_activities(known.owner_id)
        lead._attribution_unfollow(known.owner_id)
        lead._attribution_log(
            "release",
            reason,
            at,
            previous_owner_id=known.owner_id,
            ownership_changed=True,
            note=note,
        )
        lead.env.flush_all()
        return reason

    # ------------------------------------------------------------------
    # BUSINESS: claiming from the public pool (F1, F2)
    # ------------------------------------------------------------------

    def _attribution_claim(self, user=None, at=None):
        """F1 / F2: ``user`` claims this pool customer, within the limits.

        Claims of one salesperson are serialized by updating their user row
        (so that limits are counted on fresh data), and the customer's row
        is locked: of many salespeople claiming the same customer at once,
        one wins and the others are refused once Odoo retries them.
        """
        self.ensure_one()
        user = user or self.env.user
        at = at or self._attribution_now()
        if not user.has_group("sales_team.group_sale_salesman"):
            raise UserError(
                self.env._("Only salespeople can claim customers from the public pool.")
            )
        lead = self.sudo()
        # F2: one claim at a time per salesperson; a concurrent claim that
        # committed meanwhile makes this one fail to serialize and retry.
        self.env.cr.execute(
            SQL("UPDATE res_users SET attribution_last_claim = %s WHERE id = %s", at, user.id)
        )
        lead._attribution_lock()
        known = lead._attribution_customer()
        if known is None:
            raise UserError(self.env._("This lead is not a registered customer."))
        policy = lead._attribution_policy()
        context = lead._attribution_claim_context(user, at)
        try:
            customer, reason = pp.decide_claim(
                known,
                user.id,
                at,
                policy,
                context,
                taken_from_pool=lead._attribution_taken_from_pool(),
            )
        except ap.Refusal as refusal:
            raise UserError(self._attribution_render(refusal.reason)) from refusal
        lead._attribution_write(self._attribution_values(customer, reason, at))
        # nobody lost the customer here: it had no owner (F2 cool-downs count losses)
        lead._attribution_log("claim", reason, at, actor_id=user.id, ownership_changed=True)
        lead.env.flush_all()
        return reason

    def _attribution_taken_from_pool(self):
        """Whether the current ownership began by a claim or an assignment
        from the public pool (the customer was then public in the pool)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                SELECT event, rule FROM crm_attribution_ledger
                 WHERE lead_id = %s AND ownership_changed ORDER BY date DESC, id DESC LIMIT 1
                """,
                self.id,
            )
        )
        last = self.env.cr.fetchone()
        return bool(last and (last[0] == "claim" or last == ("ownership", "F1")))

    def _attribution_claim_context(self, user, at):
        """What the F2 limits need to know about ``user`` claiming this customer."""
        self.ensure_one()
        self.env.flush_all()  # counted in SQL: pending ORM writes first
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*), min(attribution_protected_until)
                  FROM crm_lead
                 WHERE user_id = %s AND attribution_state = 'protected'
                   AND attribution_protected_until > %s
                """,
                user.id,
                at,
            )
        )
        holding, frees_at = self.env.cr.fetchone()
        company_tz = (self.company_id or self.env.company).partner_id.tz
        day_start, next_day = pp.local_day(at, user.tz or company_tz)
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*) FROM crm_attribution_ledger
                 WHERE actor_id = %s AND date >= %s
                   AND (event = 'claim'
                        OR event = 'registration' AND receiver_id = actor_id
                           AND outcome IN ('expired', 'pool', 'handover'))
                """,
                user.id,
                day_start,
            )
        )
        claims_today = self.env.cr.fetchone()[0]
        self.env.cr.execute(
            SQL(
                """
                SELECT max(date) FROM crm_attribution_ledger
                 WHERE lead_id = %s AND previous_owner_id = %s AND ownership_changed
                   AND owner_id IS DISTINCT FROM %s
                """,
                self.id,
                user.id,
                user.id,
            )
        )
        lost_at = self.env.cr.fetchone()[0]
        return pp.ClaimContext(
            holding=holding,
            holding_frees_at=frees_at,
            claims_today=claims_today,
            next_day_at=next_day,
            lost_at=lost_at,
        )

    # ------------------------------------------------------------------
    # BUSINESS: departures (F4)
    # ------------------------------------------------------------------

    def _attribution_hand_over(self, at=None):
        """F4: the owner of these customers left; hand them to the manager."""
        at = at or self._attribution_now()
        leads = self.sudo().with_context(active_test=False).filtered("attribution_state")
        leads._attribution_lock()
        rows, entries, former = {}, [], defaultdict(list)
        for lead in leads:
            known = lead._attribution_customer()
            decided = pp.decide_departure(known, at)
            if not decided:
                continue
            customer, reason = decided
            values = self._attribution_values(customer, reason, at)
            values["attribution_release_rule"] = (
                reason.rule if customer.state == ap.HANDOVER else False
            )
            rows[lead.id] = values
            entries.append((lead, reason, known.owner_id))
            former[known.owner_id].append(lead)
        if not rows:
            return leads.browse()
        handed = leads.browse(list(rows))
        handed._attribution_bulk_write(rows)
        handed.filtered(lambda lead: not lead.user_id)._attribution_unfollow(*former)
        handed._attribution_bulk_log(
            [
                (
                    lead,
                    "handover",
                    reason,
                    at,
                    {
                        "previous_owner_id": owner,
                        "ownership_changed": lead.attribution_state == ap.HANDOVER,
                    },
                )
                for lead, reason, owner in entries
            ]
        )
        for owner_id, owner_leads in former.items():
            leads.browse([lead.id for lead in owner_leads])._attribution_drop_activities(owner_id)
        handed._attribution_notify_managers(at)
        return handed

    def _attribution_notify_managers(self, at):
        """F4: tell the sales managers of the teams what is on their handover list."""
        by_manager = defaultdict(list)
        manager_group = self.env.ref("sales_team.group_sale_manager")
        for lead in self:
            leader = lead.team_id.user_id
            if leader.active and leader.id != lead.attribution_previous_owner_id.id:
                managers = leader
            else:  # no team leader, or the leader is the one leaving
                company = lead.company_id or self.env.company
                leaving = lead.attribution_previous_owner_id
                managers = manager_group.users.filtered(
                    lambda user, company=company, leaving=leaving: (
                        user.active
                        and not user.share
                        and company in user.company_ids
                        and user != leaving
                    )
                )
            for user in managers:
                by_manager[user.id].append(lead.id)
        self._attribution_notify_owners(by_manager, HANDOVER_SUBJECT, HANDOVER_MESSAGE)

    # ------------------------------------------------------------------
    # BUSINESS: scheduled sweeps (E3, C2, E6, E8)
    # ------------------------------------------------------------------

    @api.model
    def _attribution_policy_scopes(self):
        """Each policy in force with the customers it covers, as
        ``[(ap.Policy, domain)]``: a sales team overriding the company's policy
        covers its customers, a company all its other customers."""
        teams = (
            self.env["crm.team"]
            .sudo()
            .with_context(active_test=False)
            .search([("attribution_override", "=", True)])
        )
        companies = self.env["res.company"].sudo().search([])
        scopes = [(team._attribution_policy(), [("team_id", "=", team.id)]) for team in teams]
        for company in companies:
            domain = [("company_id", "=", company.id)] if len(companies) > 1 else []
            if teams:
                domain.append(("team_id", "not in", teams.ids))
            scopes.append((company._attribution_policy(), domain))
        return scopes

    @api.model
    def _attribution_due_condition(self, kind, at):
        """The SQL condition on ``crm_lead`` for customers due for the
        release (E3, C2, E8) or the reminder (E6) sweep.

        The policies are turned into constants, so that the condition is a
        range on a partial index of protected deadlines (no join per row).
        Like ``pool_policy.release_due`` / ``reminder_due``: customers on the
        handover list wait for the manager (F4); no reminder of a release
        that is switched off.
        """
        branches = []
        for policy, domain in self._attribution_policy_scopes():
            if not policy.release or (kind == "remind" and not policy.reminder_days):
                continue
            if kind == "release":
                due = SQL("crm_lead.attribution_protected_until <= %s", at)
            else:
                due = SQL(
                    """crm_lead.attribution_protected_until > %s
                       AND crm_lead.attribution_protected_until <= %s
                       AND crm_lead.attribution_reminded_until
                           IS DISTINCT FROM crm_lead.attribution_protected_until
                       AND crm_lead.user_id IS NOT NULL""",
                    at,
                    at + timedelta(days=policy.reminder_days),
                )
            if domain:
                scope = self.with_context(active_test=False)._where_calc(domain).where_clause
                branches.append(SQL("(%s AND %s)", due, scope))
            else:
                branches.append(SQL("(%s)", due))
        if not branches:
            return SQL("FALSE")
        return SQL(
            """crm_lead.attribution_state = 'protected'
               AND crm_lead.attribution_handover IS NOT TRUE AND (%s)""",
            SQL(" OR ").join(branches),
        )

    @api.model
    def _attribution_due(self, kind, at, limit=None, count_up_to=None):
        """Ids of the customers due for the release (E3, C2, E8) or the
        reminder (E6) sweep, in deadline order, locked (SKIP LOCKED: rows a
        registration or claim holds now are left for the next batch).
        With ``limit=None``, only count them, up to ``count_up_to``."""
        self.env.flush_all()  # the SQL below must see pending ORM writes
        where = self._attribution_due_condition(kind, at)
        if limit is None:
            cap = SQL("LIMIT %s", count_up_to) if count_up_to else SQL()
            self.env.cr.execute(
                SQL("SELECT count(*) FROM (SELECT 1 FROM crm_lead WHERE %s %s) AS due", where, cap)
            )
            return self.env.cr.fetchone()[0]
        self.env.cr.execute(
            SQL(
                """
                SELECT crm_lead.id FROM crm_lead WHERE %s
                 ORDER BY crm_lead.attribution_protected_until, crm_lead.id
                 LIMIT %s
                   FOR UPDATE SKIP LOCKED
                """,
                where,
                limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _attribution_sweep_session(self):
        """Settings for this batch's transaction only. PostgreSQL's JIT would
        compile the sweeps' short queries on 1M-lead tables (their estimated
        cost passes its threshold) and spend more time compiling than running."""
        self.env.cr.execute("SET LOCAL jit = off")

    @api.model
    def _attribution_remaining(self, kind, at, done, batch_size):
        """What a sweep reports as remaining (``_notify_progress``).

        Counted up to ten batches ahead: Odoo's cron runner calls a job at
        most ten times in a row (MAX_BATCH_PER_CRON_JOB) and only needs to
        know whether work is left; counting every due customer of a large
        backlog at each batch would cost more than the batch. A batch that
        was not full found everything due (but rows locked by others)."""
        if done < batch_size:
            return 0
        return self._attribution_due(kind, at, count_up_to=10 * batch_size)

    @api.model
    def _cron_attribution_release(self, batch_size=1000):
        """E3 / C2 / E8: release one batch of ended protections to the public
        pool, and report progress so that Odoo calls again until done.

        Each batch is one transaction: killed at any point, the batch is
        rolled back and the next run takes the same customers again; a
        released customer is no longer due, so none is released twice.
        Under REPEATABLE READ, a customer a registration or claim changed
        after this batch began makes the batch fail to serialize: it is
        rolled back whole and done at the cron's next run.
        """
        at = self._attribution_now()
        self._attribution_sweep_session()
        ids = self._attribution_due("release", at, limit=batch_size)
        leads = self.sudo().browse(ids)
        released = leads._attribution_release(at)
        remaining = self._attribution_remaining("release", at, len(ids), batch_size)
        self.env["ir.cron"]._notify_progress(done=len(ids), remaining=remaining)
        return len(released), remaining

    def _attribution_sweep_batch(self):
        """Read a sweep's batch in one query and the policies once per team
        and company: ``(lead, ap.Customer, ap.Policy)`` for each lead."""
        self.fetch(SWEEP_FIELDS)
        policies = {}
        for lead in self:
            key = (
                lead.company_id.id,
                lead.team_id.id if lead.team_id.attribution_override else False,
            )
            if key not in policies:
                policies[key] = lead._attribution_policy()
            yield lead, lead._attribution_customer(), policies[key]

    def _attribution_release(self, at):
        """Release these customers (all due) to the pool in one go."""
        rows, entries, former = {}, [], defaultdict(list)
        for lead, known, policy in self._attribution_sweep_batch():
            decided = pp.decide_release(known, at, policy)
            if not decided:
                continue
            customer, reason = decided
            values = self._attribution_values(customer, reason, at)
            values["attribution_release_rule"] = reason.rule
            rows[lead.id] = values
            entries.append(
                (
                    lead,
                    "release",
                    reason,
                    at,
                    {"previous_owner_id": known.owner_id, "ownership_changed": True},
                )
            )
            former[known.owner_id].append(lead.id)
        if not rows:
            return self.browse()
        released = self.browse(list(rows))
        released._attribution_bulk_write(rows)
        released._attribution_bulk_log(entries)
        released._attribution_unfollow(*former)
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", released.ids),
                    ("user_id", "in", list(former)),
                ]
            )
        )
        activities.unlink()
        self._attribution_notify_owners(former, RELEASED_SUBJECT, RELEASED_MESSAGE)
        return released

    @api.model
    def _cron_attribution_remind(self, batch_size=1000):
        """E6: remind owners, one batch at a time, of protections ending soon."""
        at = self._attribution_now()
        self._attribution_sweep_session()
        ids = self._attribution_due("remind", at, limit=batch_size)
        leads = self.sudo().browse(ids)
        reminded = leads._attribution_remind(at)
        remaining = self._attribution_remaining("remind", at, len(ids), batch_size)
        self.env["ir.cron"]._notify_progress(done=len(ids), remaining=remaining)
        return len(reminded), remaining

    def _attribution_remind(self, at):
        rows, entries, activities, owners = {}, [], [], defaultdict(list)
        activity_type = self.env.ref(REMINDER_TYPE)
        for lead, known, policy in self._attribution_sweep_batch():
            decided = pp.decide_reminder(known, at, policy)
            if not decided:
                continue
            customer, reason = decided
            rows[lead.id] = {"attribution_reminded_until": customer.reminded_until}
            entries.append((lead, "reminder", reason, at, {"ownership_changed": False}))
            owner = lead.user_id
            local_until = fields.Datetime.context_timestamp(
                self.with_context(tz=owner.tz or "UTC"), customer.protected_until
            )
            activities.append((lead.id, owner.id, local_until.date()))
            owners[owner.id].append(lead.id)
        if not rows:
            return self.browse()
        reminded = self.browse(list(rows))
        reminded._attribution_bulk_write(rows)
        reminded._attribution_bulk_log(entries)
        reminded._attribution_bulk_activities(activities, activity_type)
        self._attribution_notify_owners(owners, REMINDED_SUBJECT, REMINDED_MESSAGE)
        return reminded

    def _attribution_notify_owners(self, lead_ids_by_owner, subject, message):
        """One notification per user (former owner, owner or manager) for a
        whole batch, in the user's language."""
        Users = self.env["res.users"].sudo()
        for owner_id, lead_ids in lead_ids_by_owner.items():
            owner = Users.browse(owner_id)
            if not owner.exists() or not owner.active:
                continue
            leads = self.browse(lead_ids)
            env = self.with_context(lang=owner.lang).env
            body = env._(
                message,
                count=len(leads),
                names=", ".join(leads[:20].mapped("name")) + ("…" if len(leads) > 20 else ""),
            )
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=owner.partner_id.ids,
                body=body,
                subject=env._(subject),
            )

    # ------------------------------------------------------------------
    # BUSINESS: set-based writes for the sweeps
    # ------------------------------------------------------------------

    def _attribution_bulk_write(self, rows):
        """Write per-lead attribution values for many leads in one statement.

        ``rows``: ``{lead_id: values}``, every ``values`` with the same keys
        (attribution fields, ``user_id``). The sweeps use this instead of a
        write per lead: one ``UPDATE .. FROM unnest(arrays)``. It bypasses mail
        tracking (the sweeps notify owners and write the ledger themselves).
        """
        fnames = list(next(iter(rows.values())))
        arrays = [list(rows)] + [
            [self._attribution_sql_value(fname, values[fname]) for values in rows.values()]
            for fname in fnames
        ]
        types = ["int4"] + [self._attribution_sql_type(fname) for fname in fnames]
        columns = [SQL.identifier(fname) for fname in fnames]
        assignments = SQL(", ").join(
            SQL("%s = v.%s::%s", column, column, SQL(self._fields[fname].column_type[1]))
            for column, fname in zip(columns, fnames, strict=True)
        )
        extra = SQL()
        if "user_id" in fnames and not any(values["user_id"] for values in rows.values()):
            extra = SQL(", date_open = NULL")  # as crm.lead.write does when the user is cleared
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead AS l
                   SET %s, write_uid = %s, write_date = %s %s
                  FROM unnest(%s) AS v(id, %s)
                 WHERE l.id = v.id
                """,
                assignments,
                self.env.uid,
                fields.Datetime.now(),
                extra,
                SQL(", ").join(
                    SQL("%s::%s[]", array, SQL(sql_type))
                    for array, sql_type in zip(arrays, types, strict=True)
                ),
                SQL(", ").join(columns),
            )
        )
        # everything cached about these leads: computed fields depend on them
        self.invalidate_recordset()

    def _attribution_sql_type(self, fname):
        """The array element type to send a field's values in (JSON as text)."""
        field = self._fields[fname]
        return "text" if field.type == "json" else field.column_type[1]

    def _attribution_sql_value(self, fname, value):
        field = self._fields[fname]
        if field.type == "json":
            return json.dumps(value) if value else None
        if field.type == "boolean":
            return bool(value)
        if field.type == "many2one":
            return value.id if isinstance(value, models.BaseModel) else (value or None)
        return value or None

    def _attribution_bulk_log(self, entries):
        """Append many ledger entries (I1) in one statement.

        ``entries``: ``(lead, event, reason, at, values)`` with ``values``
        among ``previous_owner_id``, ``ownership_changed``, ``note``,
        ``actor_id``. The customer's name, phone, owner, state and deadline
        are read from the lead as it is now, like ``_attribution_prepare``.
        """
        Ledger = self.env["crm.attribution.ledger"]
        actor = self.env.uid
        columns = {
            "lead_id": ("int4", [lead.id for lead, *_rest in entries]),
            "event": ("varchar", [event for _lead, event, *_rest in entries]),
            "rule": ("varchar", [reason.rule for _lead, _event, reason, *_rest in entries]),
            "reason_message": (
                "text",
                [reason.message for _lead, _event, reason, *_rest in entries],
            ),
            "reason_args": (
                "text",
                [
                    json.dumps(Ledger._attribution_dump_args(reason.args))
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
        self.env.flush_all()
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
                       coalesce(l.company_id, %s), l.partner_id,
                       coalesce(p.name, l.contact_name, l.name),
                       coalesce(l.phone_sanitized, l.phone),
                       l.user_id, l.attribution_state, l.attribution_protected_until,
                       %s, %s, %s, %s
                  FROM unnest(%s) AS v(%s)
                  JOIN crm_lead l ON l.id = v.lead_id
                  LEFT JOIN res_partner p ON p.id = l.partner_id
                """,
                self.env.company.id,
                actor,
                now,
                actor,
                now,
                SQL(", ").join(
                    SQL("%s::%s[]", columns[name][1], SQL(columns[name][0])) for name in names
                ),
                SQL(", ").join(SQL.identifier(name) for name in names),
            )
        )

    def _attribution_bulk_activities(self, rows, activity_type):
        """Schedule one activity per ``(lead_id, user_id, date_deadline)``
        in one statement (E6 reminders), as system activities."""
        now = fields.Datetime.now()
        lead_ids, user_ids, deadlines = zip(*rows, strict=True)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_activity (
                    res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                    user_id, date_deadline, automated, active,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT %s, %s, v.lead_id, l.name, %s, %s, v.user_id, v.deadline, TRUE, TRUE,
                       %s, %s, %s, %s
                  FROM unnest(%s::int4[], %s::int4[], %s::date[]) AS v(lead_id, user_id, deadline)
                  JOIN crm_lead l ON l.id = v.lead_id
                """,
                self.env["ir.model"]._get_id(self._name),
                self._name,
                activity_type.id,
                activity_type.summary,
                self.env.uid,
                now,
                self.env.uid,
                now,
                list(lead_ids),
                list(user_ids),
                list(deadlines),
            )
        )
        self.invalidate_recordset(["activity_ids"])
        for user in self.env["res.users"].browse(set(user_ids)):
            user._bus_send("mail.activity/updated", {"activity_created": True})

    # ------------------------------------------------------------------
    # DEMO
    # ------------------------------------------------------------------

    @api.model
    def _attribution_demo_history(self):
        """Demo data: a month of a sales office's registers, replayed through
        the real services (registration, follow-ups, closing) at past dates."""
        ref = self.env.ref
        reception = ref("crm_lead_attribution.demo_user_reception")
        li = ref("crm_lead_attribution.demo_user_li")
        wang = ref("crm_lead_attribution.demo_user_wang")
        zhang = ref("crm_lead_attribution.demo_user_zhang")
        liu = ref("crm_lead_attribution.demo_user_liu")
        now = fields.Datetime.now().replace(second=0, microsecond=0)

        def ago(days, hours=0):
            return now - timedelta(days=days, hours=hours)

        def register(actor, name, phone, kind, receiver, days, **kwargs):
            _decision, lead = (
                self.with_user(actor)
                .with_company(actor.company_id)
                ._attribution_register(name, phone, kind, receiver, at=ago(days), **kwargs)
            )
            return lead.sudo()

        def follow_up(lead, kind, days, note):
            owner = lead.user_id
            lead.with_user(owner)._attribution_log_follow_up(
                kind, note=note, at=ago(days), actor=owner
            )

        # B2 + E1: a walk-in received by Li, followed up regularly: protected.
        chen = register(
            reception, "陈志强", "138 5555 0101", "visit", li, 20, note="看了三居室样板间"
        )
        follow_up(chen, "call", 18, "回访电话,客户对南向三居感兴趣")
        follow_up(chen, "message", 10, "微信发送了户型图和价格表")
        follow_up(chen, "meeting", 3, "约客户到售楼处谈首付方案")

        # C1: a caller received by Zhang, to be brought to a visit (C2).
        register(zhang, "赵丽", "+86 139 5555 0102", "call", zhang, 5, note="咨询学区和交房时间")

        # E3: a walk-in never followed up: protection has ended.
        register(reception, "孙浩", "13655550103", "visit", wang, 14)

        # E7: a customer followed up and closed: ownership is locked.
        zhou = register(reception, "周敏", "137-5555-0104", "visit", liu, 25)
        follow_up(zhou, "call", 23, "客户确认预算")
        follow_up(zhou, "visit", 14, "带家人二次看房")
        zhou.with_user(liu).action_set_won()

        # A3: a channel registration (渠道报备) from a roadshow.
        register(
            li, "吴刚", "135 5555 0105", "channel", li, 3, source_channel="channel", note="外展登记"
        )

        # B3: a returning visitor who names the owner: the visit goes to Li.
        zheng = register(reception, "郑雪", "13455550106", "visit", li, 6)
        follow_up(zheng, "call", 5, "首次回访")
        register(
            reception,
            "郑雪",
            "+8613455550106",
            "visit",
            zhang,
            1,
            named_user=li,
            note="客户说找李经理",
        )

        # E3: expired with Wang, then registered again by Zhang as new.
        register(reception, "冯建国", "15955550107", "visit", wang, 30)
        register(zhang, "冯建国", "159 5555 0107", "call", zhang, 8)

        # D1 (recorded for later rules): a referral of Chen's, received by Liu.
        qian = register(
            reception,
            "钱芳",
            "18655550108",
            "visit",
            liu,
            2,
            source_channel="referral",
            note="陈志强介绍来的朋友",
        )
        qian.partner_id.attribution_referrer_id = chen.partner_id

        # A2: a landline caller.
        register(zhang, "何先生", "021-5555 0109", "call", zhang, 1)

        # C2 / E6: a caller whose call period ends in two days: Liu is reminded.
        register(liu, "马女士", "158 5555 0111", "call", liu, 13, note="询问车位")

        # E5: a customer who refused to buy, given up by the owner to the pool.
        huang = register(reception, "黄先生", "137 5555 0110", "visit", wang, 9)
        huang.with_user(wang)._attribution_give_up("客户明确表示预算不足，暂不考虑", at=ago(4))

        # H1: Zheng asks for Zhang instead of Li; Li has to accept or decline.
        self.env["crm.attribution.change.request"].with_user(li).create(
            {
                "lead_id": zheng.id,
                "requested_user_id": zhang.id,
                "reason": "客户希望由张伟接待，住得近",
            }
        )

        # E3 / E6: the scheduled sweeps, run once now: the customer never
        # followed up goes to the public pool, owners are reminded.
        self._cron_attribution_release()
        self._cron_attribution_remind()
        return True

from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.phone_validation.tools import phone_validation

from ..tools import attribution_policy as ap

try:
    import phonenumbers
except ImportError:  # pragma: no cover - declared in external_dependencies
    phonenumbers = None

# Context key under which the attribution services write the fields below.
WRITE_FLAG = "crm_lead_attribution_write"
# Context key: an activity marked done by the services themselves is no follow-up.
SKIP_ACTIVITY_FOLLOW_UP = "crm_lead_attribution_skip_follow_up"
FIRST_FOLLOW_UP_TYPE = "crm_lead_attribution.mail_activity_type_first_follow_up"

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
    }
)

ATTRIBUTION_STATES = [
    ("protected", "Protected"),
    ("pool", "Public Pool"),
    ("locked", "Locked (Closed)"),
]
REGISTRATION_KINDS = [
    ("visit", "Visit"),
    ("call", "Phone Call"),
    ("channel", "Channel Registration"),
]
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
        "pool: nobody owns the customer. Locked: the deal is closed and "
        "ownership never lapses (E7). Empty: the lead was never registered.",
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
        REGISTRATION_KINDS,
        string="Registered By",
        readonly=True,
        copy=False,
        help="The kind of registration that started the current ownership; a "
        "caller not brought to a visit keeps only the call period (C2).",
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
        index=True,
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

    # ------------------------------------------------------------------
    # COMPUTE / SEARCH
    # ------------------------------------------------------------------

    @api.depends("attribution_state", "attribution_protected_until")
    @api.depends_context("attribution_now")
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

    def write(self, vals):
        if not self.env.context.get(WRITE_FLAG):
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
        if "user_id" in vals:
            moved = self.filtered(
                lambda lead: (
                    lead.attribution_state and lead.user_id.id != (vals["user_id"] or False)
                )
            )
            if moved and not (
                self.env.su or self.env.user.has_group("sales_team.group_sale_manager")
            ):
                raise UserError(
                    self.env._(
                        "Only a sales manager can give a registered customer to another "
                        "salesperson; the owner's consent is recorded by the manager (H1)."
                    )
                )

    def _attribution_watch(self, vals):
        """Remember what the write may change in the attribution of managed leads."""
        managed = self.filtered("attribution_state")
        if not managed:
            return {}
        watched = {}
        if {"stage_id", "probability", "active"}.intersection(vals):
            watched["won"] = {lead.id: lead._attribution_is_won() for lead in managed}
        if "user_id" in vals and not self.env.context.get(WRITE_FLAG):
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
        if "won" in watched:
            closed = leads([i for i, was in watched["won"].items() if not was])
            reopened = leads([i for i, was in watched["won"].items() if was])
            closed.filtered(lambda lead: lead._attribution_is_won())._attribution_close(now)
            reopened.filtered(lambda lead: not lead._attribution_is_won())._attribution_reopen(now)
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

    # ------------------------------------------------------------------
    # BUSINESS: reading and writing the attribution
    # ------------------------------------------------------------------

    @api.model
    def _attribution_now(self):
        """The moment rules are decided for; tests pin it with freezegun."""
        return self.env.context.get("attribution_now") or fields.Datetime.now()

    def _attribution_is_won(self):
        self.ensure_one()
        return bool(self.active and (self.stage_id.is_won or self.probability >= 100))

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

    def _attribution_first_follow_up_activities(self):
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", self.env.ref(FIRST_FOLLOW_UP_TYPE).id),
                ]
            )
        )

    def _attribution_cancel_first_follow_up(self):
        """Drop the E2 activity of a former owner."""
        self._attribution_first_follow_up_activities().unlink()

    def _attribution_complete_first_follow_up(self):
        """The owner followed up: the E2 activity is done (without counting twice)."""
        activities = self._attribution_first_follow_up_activities()
        if activities:
            activities.with_context(**{SKIP_ACTIVITY_FOLLOW_UP: True}).action_feedback(
                feedback=self.env._("Done by the follow-up logged by the owner (E2).")
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
    def _attribution_policy_for(self, company):
        return company._attribution_policy()

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
        receiver_ok = (
            receiver.active
            and not receiver.share
            and company in receiver.company_ids
            and receiver.has_group("sales_team.group_sale_salesman")
        )
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
        return identity.lead_id.with_context(active_test=False).exists()

    @api.model
    def _attribution_decide(self, company, registration, lead):
        known = lead._attribution_customer() if lead else None
        return ap.decide_registration(registration, known, self._attribution_policy_for(company))

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
        return self._attribution_decide(company, registration, lead), lead

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
        decision = self._attribution_decide(
            company, registration, lead if lead.attribution_state else None
        )

        values = self._attribution_values(decision.customer, decision.reason, at)
        if decision.is_new and lead and not lead.active:
            values["active"] = True
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
            lead._attribution_cancel_first_follow_up()

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
    def _attribution_adoptable(self, company, phone_e164, lead_hint=None):
        """An open lead of this phone that was never registered (A3).

        Unregistered contact creates no ownership: such a lead is taken over
        as the customer's lead, and the receiver becomes its owner.
        """
        domain = [
            ("phone_sanitized", "=", phone_e164),
            ("company_id", "in", [company.id, False]),
            ("attribution_state", "=", False),
            ("active", "=", True),
        ]
        if lead_hint:
            hinted = self.search(domain + [("id", "=", lead_hint.id)], limit=1)
            if hinted:
                return hinted
        return self.search(domain, order="create_date desc, id desc", limit=1)

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
            policy = self._attribution_policy_for(lead.company_id or self.env.company)
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
            owner_follow_up = actor.id == lead.user_id.id and result.rule != "E3"
            if owner_follow_up:
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
    # BUSINESS: closing and manager decisions (E7, H5)
    # ------------------------------------------------------------------

    def _attribution_close(self, at):
        for lead in self:
            customer, reason = ap.decide_close(lead._attribution_customer(), at)
            lead._attribution_write(self._attribution_values(customer, reason, at))
            lead._attribution_log("closing", reason, at, ownership_changed=False)
        self.sudo().env.flush_all()

    def _attribution_reopen(self, at):
        for lead in self:
            policy = self._attribution_policy_for(lead.company_id or self.env.company)
            customer, reason = ap.decide_reopen(lead._attribution_customer(), at, policy)
            lead._attribution_write(self._attribution_values(customer, reason, at))
            lead._attribution_log("closing", reason, at, ownership_changed=False)

    def _attribution_apply_reassign(self, before, at):
        """H5: a sales manager changed the owner in the form or by import."""
        for lead in self:
            known = before[lead.id]
            policy = self._attribution_policy_for(lead.company_id or self.env.company)
            new_owner = lead.user_id.id or None
            if new_owner is None:
                raise UserError(
                    self.env._(
                        "A registered customer cannot be left without an owner by editing "
                        "the salesperson (H5)."
                    )
                )
            customer, reason = ap.decide_reassign(known, new_owner, at, policy)
            lead._attribution_write(self._attribution_values(customer, reason, at))
            lead._attribution_cancel_first_follow_up()
            lead._attribution_log(
                "ownership",
                reason,
                at,
                previous_owner_id=known.owner_id or False,
                ownership_changed=True,
            )

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
        follow_up(zhou, "visit", 12, "带家人二次看房")
        zhou.with_user(liu).with_context(attribution_now=ago(2)).action_set_won()

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
        return True

from dataclasses import replace
from datetime import timedelta

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.phone_validation.models.mail_thread_phone import PHONE_REGEX_PATTERN
from odoo.addons.phone_validation.tools import phone_validation

from ..const import DECISION_FIELDS, MANAGER_GROUP, REMINDER_TYPE, WRITE_FLAG
from ..tools import pool_policy as pp
from ..tools import registration_policy as rp
from ..tools import vocabulary as v

try:
    import phonenumbers
except ImportError:  # pragma: no cover - declared in external_dependencies
    phonenumbers = None


class CrmAttributionDesk(models.AbstractModel):
    """The registration desk (登记 / 判客, A1-A4, B2, B3, C1, E3, E7, F1): a
    service that identifies a customer by phone, previews the decision and
    registers a visit, a call or a channel report.

    It reads the customer's lead into the policy's plain inputs, asks the
    pure policy (``tools/registration_policy.py``) and writes the result:
    the customer's lead and contact, the ledger entry, the chatter note and
    the first follow-up (E2). The reception dialog
    (``crm.attribution.register``), the lead's *Register Visit* button and the
    demo history all go through it.
    """

    _name = "crm.attribution.desk"
    _description = "Customer Attribution: Registration Desk"

    # ------------------------------------------------------------------
    # Phone identity (A1, A2)
    # ------------------------------------------------------------------

    @api.model
    def _parse_phone(self, raw, company):
        """Validate ``raw`` as a phone of the company's customer country.

        :return: ``(e164, international)`` strings, e.g.
          ``('+8613800138000', '+86 138 0013 8000')``
        :raise ValidationError: not a number, or a number of another country
        """
        country = company._attribution_phone_country()
        raw = rp.clean_phone(raw)
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
                    phone=rp.shorten(raw),
                    error=rp.shorten(error.args[0], 200),
                )
            ) from error
        if parsed.country_code != country.phone_code:
            raise ValidationError(
                self.env._(
                    "%(phone)s is a phone number of another country: customers are "
                    "identified by %(country)s phone numbers (A2).",
                    phone=rp.shorten(raw),
                    country=country.name,
                )
            )
        return (
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        )

    @api.model
    def _international(self, phone_e164):
        """A stored phone in its international writing (``+86 138 0013 8000``)."""
        try:
            parsed = phonenumbers.parse(phone_e164)
        except phonenumbers.NumberParseException:
            return phone_e164
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    @api.model
    def _check_registration(self, name, phone, receiver, company, kind=v.VISIT, channel=False):
        """A1 / A3 / A4: a name, a real phone of the customer country, a known
        kind and channel, and a salesperson of the company as receiver;
        returns the phone's forms."""
        problems = rp.registration_problems(
            name, phone, receiver.id if receiver else None, kind, channel or ""
        )
        if problems:
            raise ValidationError(
                "\n".join(self.env._(rp.PROBLEM_MESSAGES[code], **args) for code, args in problems)
            )
        phone_e164, international = self._parse_phone(phone, company)
        if not receiver._attribution_can_own(company):
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
    def _find_customer(self, company, phone_e164):
        """The registered lead of a phone (判客), or an empty recordset (A2)."""
        identity = self.env["crm.attribution.identity"]._find(company, phone_e164)
        lead = identity.lead_id.with_context(active_test=False).exists()
        # read what the decision needs, not the lead's hundred other fields
        lead.fetch(DECISION_FIELDS)
        return lead

    # ------------------------------------------------------------------
    # Deciding (判客)
    # ------------------------------------------------------------------

    @api.model
    def _decide(self, company, registration, lead, receiver):
        """Decide a registration with the policy of the customer's team, or
        of the receiver's team for a new customer."""
        known = lead._attribution_customer() if lead else None
        team = lead.team_id if lead else receiver.sale_team_id
        policy = self.env["crm.team"]._attribution_policy_of(company, team)
        return rp.decide_registration(registration, known, policy)

    @api.model
    def _preview(self, name, phone, kind, receiver, source_channel=False, at=None):
        """What registering now would decide, without saving anything.

        :return: ``(decision, lead)``; raises ValidationError on bad input.
        """
        company = self.env.company
        at = at or self.env["crm.lead"]._attribution_now()
        phone_e164, _international = self._check_registration(
            name, phone, receiver, company, kind, source_channel
        )
        lead = self.sudo()._find_customer(company, phone_e164)
        registration = v.Registration(
            kind, phone_e164, rp.clean_name(name), receiver.id, at, source_channel or ""
        )
        decision = self._decide(company, registration, lead, receiver)
        if not self.env.user._attribution_registers_for_others() and (
            decision.outcome == v.NEW or decision.outcome in v.TAKEN_AS_NEW
        ):
            # F3: a salesperson's preview of a phone nobody holds is that of a
            # new phone (decided as such, with the receiver's policy): no
            # oracle of the pool's masked numbers
            new = self._decide(company, registration, self.env["crm.lead"], receiver)
            decision = pp.blind_preview(new)
        return decision, lead

    # ------------------------------------------------------------------
    # Registering (登记)
    # ------------------------------------------------------------------

    @api.model
    def _register_customer(
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
        referral=None,
    ):
        """Register a visit, a call or a channel report of a customer.

        Identifies the customer by phone, decides with the policy, creates or
        updates the customer's lead, appends the ledger entry, posts the
        registration in the lead's chatter and schedules the E2 follow-up.

        :return: ``(decision, lead)``
        """
        company = self.env.company
        at = at or self.env["crm.lead"]._attribution_now()
        actor = self.env.user
        name = rp.clean_name(name)
        phone_e164, international = self._check_registration(
            name, phone, receiver, company, kind, source_channel
        )
        identity, lead = self._identify(company, phone_e164)
        registration = v.Registration(kind, phone_e164, name, receiver.id, at, source_channel or "")
        known = lead._attribution_customer() if lead.attribution_state else None
        decision = self._decide(company, registration, lead if known else None, receiver)
        decision = self._referral_decision(decision, referral)
        claimant = self._check_claim(lead, known, decision, actor, at) if known else None
        desk = self._writer(actor, decision)
        lead = lead.with_env(desk._lead_model().env)
        if not lead:
            lead = desk._adoptable(company, phone_e164, lead_hint)
            lead._attribution_lock()
        lead = desk._save(company, identity, lead, decision, name, international, receiver, at)
        desk._apply_effects(lead, decision, known)
        desk._record(lead, decision, kind, receiver, actor, claimant, note, named_user, at)
        if decision.outcome == v.NEW and decision.customer.state == v.HANDOVER:
            # D4: a company-relations customer waits on the manager's list
            self.env["crm.attribution.sweep"].sudo()._notify_managers(lead.sudo())
        if referral and decision.reason.rule in ("D1", "D3", "D4"):
            self.env["crm.attribution.referral"]._record_at_desk(lead, referral)
        # Recompute what the sudo writes left pending while still in sudo: the
        # acting user may not be allowed to read the customer (reception).
        lead.env.flush_all()
        if decision.ownership_changed or decision.first_follow_up_due:
            # the queued notifications go out now, from the cron worker
            queue = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
            if queue:
                queue.sudo()._trigger()
        return decision, lead.with_env(self.env)

    @api.model
    def _identify(self, company, phone_e164):
        """The phone identity (claimed for a new customer) and the customer's
        lead, locked (A2)."""
        Identity = self.env["crm.attribution.identity"]
        identity = Identity._find(company, phone_e164)
        if not identity:
            identity = Identity._claim(company, phone_e164) or Identity._find(company, phone_e164)
        lead = self._lead_model().browse(identity.lead_id.id).exists()
        lead._attribution_lock()
        return identity, lead

    @api.model
    def _lead_model(self):
        """``crm.lead`` as the rules write it (sudo, with the write flag). The
        registration's e-mails (the receiver's assignment, the E2 activity)
        go to the mail queue, whose cron is triggered, instead of being sent
        over SMTP within the desk's request."""
        return (
            self.env["crm.lead"]
            .sudo()
            .with_context(
                **{WRITE_FLAG: True, "active_test": False, "mail_notify_force_send": False}
            )
        )

    @api.model
    def _writer(self, actor, decision):
        """The desk in the environment the registration writes in: the
        actor's when the actor holds the customer afterwards (or is a sales
        manager); else the system's (OdooBot), so that nothing the actor
        would author about a customer they do not hold (the chatter note,
        its tracking, the contact's creation message, the activity's
        notification) stays readable to them once the customer is gone (F3)."""
        if decision.customer.owner_id == actor.id or actor.has_group(MANAGER_GROUP):
            return self.sudo()
        return self.with_user(SUPERUSER_ID)

    @api.model
    def _check_claim(self, lead, known, decision, actor, at):
        """F2 / E3 / F4: a registration that takes a customer nobody holds
        any more is a claim of its receiver, unless the reception desk or a
        sales manager made it for someone else; returns the claimant."""
        for_others = actor._attribution_registers_for_others()
        claimant_id = pp.registration_claimant(decision, actor.id, for_others=for_others)
        if claimant_id is None:
            return None
        claimant = self.env["res.users"].sudo().browse(claimant_id)
        Pool = self.env["crm.attribution.pool"]
        Pool._serialize_claims(claimant, at)
        try:
            pp.check_registration_claim(
                known, decision, claimant_id, at, lead._attribution_policy(),
                Pool._claim_context(lead, claimant, at), for_others=for_others,
            )  # fmt: skip
        except v.Refusal as refusal:
            raise UserError(lead._attribution_render(refusal.reason)) from refusal
        return claimant

    @api.model
    def _save(self, company, identity, lead, decision, name, international, receiver, at):
        """Write the decision on the customer's lead, creating the lead and
        its contact for a new customer; the identity points to the lead."""
        values = lead._attribution_values(decision.customer, decision.reason, at)
        if decision.ownership_changed:
            values["attribution_first_follow_up_due"] = decision.first_follow_up_due or False
        if lead:
            identity.lead_id = lead
            if not lead.partner_id or not (lead.attribution_state or self._own_contact(lead)):
                values["partner_id"] = self._new_partner(company, name, international).id
            lead.write(lead._attribution_owner_kept(values))
            # the customer is back: a lost lead returns to the owner's pipeline
            lead._attribution_restore()
            return lead
        lead = self._create_customer(company, name, international, receiver, values)
        identity.lead_id = lead
        return lead

    @api.model
    def _apply_effects(self, lead, decision, known):
        """What a change of owner or of deadline leaves behind: the former
        owner's activities and following (F3), a moot reminder (B3, E6)."""
        if decision.ownership_changed and decision.previous_owner_id:
            lead._attribution_drop_activities(decision.previous_owner_id)
            lead._attribution_unfollow(decision.previous_owner_id)
        elif known and decision.customer.protected_until != known.protected_until:
            # B3 / E6: the visit moved the deadline; reminders of the old one are moot
            lead._attribution_activities((REMINDER_TYPE,)).unlink()

    @api.model
    def _record(self, lead, decision, kind, receiver, actor, claimant, note, named_user, at):
        """The ledger entry (I1), the chatter note and the E2 follow-up."""
        event = "reception" if decision.outcome == v.RETURNING else "registration"
        lead._attribution_log(
            event,
            decision.reason,
            at,
            actor_id=actor.id,
            channel=kind,
            outcome=decision.outcome,
            receiver_id=receiver.id,
            claimant_id=claimant.id if claimant else False,
            previous_owner_id=decision.previous_owner_id or False,
            ownership_changed=decision.ownership_changed,
            note=note or False,
            evidence_user_id=named_user.id if named_user else False,
        )
        self._post(lead, decision, kind, receiver, actor, note, named_user)
        if decision.first_follow_up_due:
            if not decision.ownership_changed:  # else written with the ownership
                lead._attribution_write(
                    {"attribution_first_follow_up_due": decision.first_follow_up_due}
                )
            lead._attribution_schedule_first_follow_up(
                decision.first_follow_up_due, cancel=decision.outcome != v.NEW
            )

    @api.model
    def _adoptable(self, company, phone_e164, lead_hint=None):
        """An open lead of this phone that was never registered (A3).

        Unregistered contact creates no ownership: such a lead is taken over
        as the customer's lead, and the receiver becomes its owner.
        """
        Lead = self._lead_model()
        domain = [
            ("id", "in", self._leads_typed_with(phone_e164)),
            ("company_id", "in", [company.id, False]),
            ("attribution_state", "=", False),
            ("active", "=", True),
        ]
        candidates = Lead.search(domain, order="create_date desc, id desc", limit=20)

        def same_phone(lead):
            # the lead's own country may differ (an Odoo company set to another
            # country): read its numbers as the customer country's (A2)
            for number in (lead.phone, lead.mobile):
                if number:
                    try:
                        if self._parse_phone(number, company)[0] == phone_e164:
                            return True
                    except ValidationError:
                        continue
            return False

        matching = candidates.filtered(same_phone)
        if lead_hint and lead_hint in matching:
            return lead_hint.with_env(Lead.env)
        return matching[:1]

    @api.model
    def _leads_typed_with(self, phone_e164):
        """Ids of the leads whose phone or mobile is written as one of the
        usual writings of ``phone_e164`` (A2, A3): +86…, 0086…, 86…, national
        with or without the trunk 0, separators removed as phone_validation
        does, anything after (an extension); or whose sanitized phone is it.

        A prefix match is answered by phone_validation's b-tree indexes on
        ``crm_lead`` (the database's C collation, as Odoo creates it); a match
        anywhere in the number went through trigram indexes and cost tens of
        milliseconds at 1,000,000 leads. Each condition has its index, so
        the planner takes them rather than scanning another one. Candidates
        are parsed afterwards (``_adoptable``)."""
        parsed = phonenumbers.parse(phone_e164)
        digits = phonenumbers.national_significant_number(parsed)
        code = str(parsed.country_code)
        writings = [f"+{code}{digits}%", f"00{code}{digits}%", f"{code}{digits}%"]
        writings += [f"{digits}%", f"0{digits}%"]
        self.env["crm.lead"].flush_model(["phone", "mobile", "phone_sanitized"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crm_lead WHERE phone_sanitized = %(phone)s OR %(typed)s",
                phone=phone_e164,
                typed=SQL(" OR ").join(
                    SQL(
                        "(%(field)s IS NOT NULL"
                        " AND regexp_replace(%(field)s, %(separators)s, '', 'g') LIKE %(writing)s)",
                        field=SQL.identifier(fname),
                        separators=PHONE_REGEX_PATTERN,
                        writing=writing,
                    )
                    for fname in ("phone", "mobile")
                    for writing in writings
                ),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _own_contact(self, lead):
        """A3 / F3: a lead taken over keeps its contact only if that contact is
        the customer's own: a person, not a company nor a user, on no other
        lead. Registering would hide the contact from everyone but the owner:
        a colleague's contact, a company or another lead's customer is not
        the registering salesperson's to take (the customer gets its own)."""
        partner = lead.partner_id.sudo().with_context(active_test=False)
        if not partner or partner.is_company or partner.user_ids or partner.child_ids:
            return False
        return not self._lead_model().search_count(
            [("partner_id", "=", partner.id), ("id", "!=", lead.id)], limit=1
        )

    @api.model
    def _new_partner(self, company, name, international):
        country = company._attribution_phone_country()
        # its creator does not follow the customer's contact (its messages)
        return (
            self.env["res.partner"]
            .sudo()
            .with_context(mail_create_nosubscribe=True)
            .create({"name": name, "phone": international, "country_id": country.id})
        )

    @api.model
    def _create_customer(self, company, name, international, receiver, values):
        """Create the partner and the lead of a new customer (B2, C1)."""
        partner = self._new_partner(company, name, international)
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
            user_id=values.get("user_id", receiver.id),  # none on the manager's list (D4)
        )
        team = receiver.sale_team_id
        if team:
            vals["team_id"] = team.id
        return self._lead_model().with_context(mail_create_nosubscribe=True).create(vals)

    @api.model
    def _post(self, lead, decision, kind, receiver, actor, note, named_user):
        """Post the registration in the lead's chatter, naming its actor."""
        kinds = dict(lead._fields["attribution_ownership_kind"]._description_selection(self.env))
        lines = [
            self.env._(
                "%(kind)s registered by %(actor)s, received by %(receiver)s.",
                kind=kinds[kind],
                actor=actor.name,
                receiver=receiver.name,
            ),
            "%s: %s" % (decision.rule, lead._attribution_render(decision.reason)),
        ]
        if named_user:
            lines.append(self.env._("The customer named %(user)s (B3).", user=named_user.name))
        if note:
            lines.append(note)
        lead.message_post(body=Markup("<br/>").join(lines), subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------
    # A buyer's friends (B10)
    # ------------------------------------------------------------------

    @api.model
    def _buyer(self, phone):
        """B10: the closed customer (a buyer) with this phone, whose owner owns
        the friends they bring; the desk's lookup, refused to salespeople (it
        would tell them who owns a number)."""
        if not self.env.user._attribution_registers_for_others():
            raise UserError(
                self.env._("The reception desk registers the friends a buyer brings (B10).")
            )
        company = self.env.company
        phone_e164, international = self._parse_phone(phone, company)
        lead = self._find_customer(company, phone_e164)
        if lead.attribution_state != v.LOCKED or not lead.user_id:
            raise ValidationError(
                self.env._(
                    "%(phone)s is not the phone of a buyer (a customer with a closed deal and "
                    "an owner): register the visitor as a new or returning customer (B10).",
                    phone=international,
                )
            )
        return lead

    # ------------------------------------------------------------------
    # Referrals and reports (D1-D4, crm.attribution.referral)
    # ------------------------------------------------------------------

    @api.model
    def _referral_decision(self, decision, referral):
        """D1 / D3 / D4: a visitor nobody holds, brought by a referrer or
        reported beforehand, is registered for the rule that decided who
        receives them (the receiver was chosen by it)."""
        if not referral or not referral[0].counted:
            return decision
        if decision.outcome != v.NEW and decision.outcome not in v.TAKEN_AS_NEW:
            return decision  # B3: a customer someone holds stays theirs (A2)
        return replace(decision, reason=referral[0].reason)

    # ------------------------------------------------------------------
    # The rotation's hand-off (B9)
    # ------------------------------------------------------------------

    @api.model
    def _hand_off(self, lead, to_user, at):
        """B9: the new walk-in ``lead`` goes to ``to_user``, next in rotation,
        who owns it from now on: the first follow-up (E2) with it, the first
        receiver's activities and following dropped, the ledger told."""
        lead = lead.sudo().with_context(active_test=False)
        lead._attribution_lock()
        known = lead._attribution_customer()
        if known is None:
            raise UserError(self.env._("This lead is not a registered customer."))
        lead._attribution_check_salesperson(to_user)
        try:
            customer, reason = rp.decide_hand_off(known, known.owner_id, to_user.id, at)
        except v.Refusal as refusal:
            raise UserError(lead._attribution_render(refusal.reason)) from refusal
        lead._attribution_write(lead._attribution_values(customer, reason, at))
        lead._attribution_drop_activities(known.owner_id)
        lead._attribution_unfollow(known.owner_id)
        if lead.attribution_first_follow_up_due:
            lead._attribution_schedule_first_follow_up(lead.attribution_first_follow_up_due)
        lead._attribution_log(
            "ownership",
            reason,
            at,
            actor_id=self.env.uid,
            receiver_id=to_user.id,
            previous_owner_id=known.owner_id,
            ownership_changed=True,
        )
        lead.message_post(
            body=self.env._(
                "%(rule)s: %(reason)s", rule=reason.rule, reason=lead._attribution_render(reason)
            ),
            subtype_xmlid="mail.mt_note",
        )
        return customer, reason

    # ------------------------------------------------------------------
    # DEMO
    # ------------------------------------------------------------------

    @api.model
    def _demo_history(self):
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
                ._register_customer(name, phone, kind, receiver, at=ago(days), **kwargs)
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
        follow_up(zhou, "message", 6, "微信发送认购合同草稿")
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
        Sweep = self.env["crm.attribution.sweep"]
        Sweep._cron_release()
        Sweep._cron_remind()
        return True

    @api.model
    def _demo_rotation(self):
        """Demo data: today's reception rotation at the sales office (B1, B4,
        B11): two walk-ins received in turn, Wang out, and a violation."""
        ref = self.env.ref
        team = ref("crm_lead_attribution.demo_team_sales_office")
        reception = ref("crm_lead_attribution.demo_user_reception")
        manager = ref("crm_lead_attribution.demo_user_manager")
        desk = team.with_user(reception)
        for _walk_in in range(2):
            receiver = desk._attribution_receive_next()
            desk._attribution_set_status(receiver, "available")
        member = team.crm_team_member_ids.filtered(
            lambda member: member.user_id == ref("crm_lead_attribution.demo_user_wang")
        )
        member.with_user(reception).action_attribution_out()
        self.env["crm.attribution.violation"].with_user(manager).create(
            {
                "team_id": team.id,
                "user_id": ref("crm_lead_attribution.demo_user_zhang").id,
                "kind": "drop",
                "note": "接待途中离开，客户无人跟进",
            }
        )
        return True

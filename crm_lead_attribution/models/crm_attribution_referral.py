from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import MANAGER_GROUP, REPORT_KINDS, REPORT_STATES
from ..tools import referral_policy as rf

# What only the rules and the manager's decision write.
DECIDED_FIELDS = ("state", "confirmed_by_id", "confirmed_date", "lead_id", "user_id", "date")


class CrmAttributionReferral(models.Model):
    """A report (报备) made before the person comes: an existing customer will
    bring someone (D2), or a salesperson's relative or friend will ask for
    them (D4). It counts at the desk once a sales manager confirmed it, until
    it expires; a chance meeting without a report does not count."""

    _name = "crm.attribution.referral"
    _description = "Referral Report (报备)"
    _inherit = ["crm.attribution.guard"]
    _attribution_guarded = {"referrer_lead_id": "read"}
    _attribution_texts = {"name": True, "phone": True, "note": False}
    _attribution_selections = ("kind",)
    _order = "date desc, id desc"

    kind = fields.Selection(REPORT_KINDS, required=True, default=rf.REFERRAL)
    name = fields.Char(string="Person's Name", required=True, help="Who will come (A1).")
    phone = fields.Char(required=True, help="The phone of the person who will come (A2).")
    phone_e164 = fields.Char(string="Phone (E.164)", readonly=True, index=True)
    referrer_lead_id = fields.Many2one(
        "crm.lead",
        string="Referring Customer",
        index="btree_not_null",
        ondelete="set null",
        domain="[('attribution_state', 'in', ('protected', 'locked'))]",
        help="D2: the existing customer who will bring this person.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Reported By",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.user,
    )
    date = fields.Datetime(
        string="Reported On", required=True, readonly=True, default=fields.Datetime.now
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    state = fields.Selection(REPORT_STATES, default="draft", required=True, readonly=True)
    confirmed_by_id = fields.Many2one("res.users", string="Decided By", readonly=True)
    confirmed_date = fields.Datetime(string="Decided On", readonly=True)
    expires_at = fields.Datetime(string="Expires On", compute="_compute_expires_at")
    lead_id = fields.Many2one(
        "crm.lead", string="Registered As", readonly=True, ondelete="set null"
    )
    note = fields.Text()

    @api.depends("date", "kind", "referrer_lead_id", "user_id")
    def _compute_expires_at(self):
        for report in self:
            report.expires_at = rf.report_expires_at(report.date, report._policy())

    def _policy(self):
        """The policy of the referring customer's team, or of the reporter's."""
        self.ensure_one()
        team = self.sudo().referrer_lead_id.team_id or self.sudo().user_id.sale_team_id
        return self.env["crm.team"]._attribution_policy_of(self.company_id, team)

    def _as_report(self):
        """This report as the pure policy reads it."""
        self.ensure_one()
        reporter = self.sudo().user_id
        return rf.Report(
            self.kind,
            reporter.id,
            self.date,
            self.state == "confirmed",
            reporter._attribution_can_own(self.company_id),
        )

    @api.model_create_multi
    def create(self, vals_list):
        """Record the report (D2 / D4) as the reporting user, after checking it."""
        manager = self.env.user.has_group(MANAGER_GROUP)
        desk = self.env["crm.attribution.desk"]
        for vals in vals_list:
            for fname in DECIDED_FIELDS:
                vals.pop(fname, None)
            vals["user_id"] = self.env.uid
            vals["date"] = self.env["crm.lead"]._attribution_now()
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            vals["company_id"] = company.id
            kind = vals.get("kind") or rf.REFERRAL
            if kind not in rf.REPORT_KINDS:
                raise ValidationError(self.env._("Choose the kind of report (D2, D4)."))
            phone_e164, _international = desk._parse_phone(vals.get("phone") or "", company)
            vals["phone_e164"] = phone_e164
            if not (vals.get("name") or "").strip():
                raise ValidationError(self.env._("Give the name of the person who will come (A1)."))
            self._check_referrer(kind, vals.get("referrer_lead_id"), manager)
            if kind == rf.RELATION:
                vals["referrer_lead_id"] = False
        reports = super(CrmAttributionReferral, self.sudo()).create(vals_list)
        for report in reports:
            report._log("reported")
        return reports.with_env(self.env)

    def _check_referrer(self, kind, lead_id, manager):
        """D2: a referral is reported about a customer the reporter holds (a
        sales manager: any customer held by someone)."""
        if kind != rf.REFERRAL:
            return
        lead = self.env["crm.lead"].browse(lead_id).exists()
        if not lead:
            raise ValidationError(
                self.env._("Choose the customer who will bring this person (D2).")
            )
        lead.check_access("read")
        held = lead.sudo()
        if held.attribution_state not in rf.HELD or not held.user_id:
            raise ValidationError(
                self.env._(
                    "The referring customer must be a registered customer held by a "
                    "salesperson (D2)."
                )
            )
        if not manager and held.user_id != self.env.user:
            raise UserError(self.env._("You report the referrals of your own customers only (D2)."))

    def write(self, vals):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "A report stays as it was made: a sales manager confirms or refuses it; "
                    "make a new report instead (D2, D4)."
                )
            )
        return super().write(vals)

    def unlink(self):
        manager = self.env.su or self.env.user.has_group(MANAGER_GROUP)
        if not manager and any(
            report.state != "draft" or report.user_id != self.env.user for report in self
        ):
            raise UserError(
                self.env._("Only your own reports not yet decided can be deleted (D2, D4).")
            )
        return super().unlink()

    def action_confirm(self):
        self._decide("confirmed")
        return True

    def action_refuse(self):
        self._decide("refused")
        return True

    def _decide(self, state):
        """A sales manager confirms or refuses the reports (D2, D4)."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("A sales manager confirms or refuses reports (D2, D4)."))
        if any(report.state != "draft" for report in self):
            raise UserError(self.env._("This report has already been decided."))
        at = self.env["crm.lead"]._attribution_now()
        self.sudo().write({"state": state, "confirmed_by_id": self.env.uid, "confirmed_date": at})
        for report in self:
            report._log(state)

    def _log(self, event):
        """The report made or decided, in the ledger (I1): on the referring
        customer's entries, or, for a relative or friend, on its own."""
        report = self.sudo()
        reason = rf.report_reason(
            event,
            report.kind,
            report.name,
            report.phone_e164,
            report.user_id.id,
            report.referrer_lead_id.partner_id.name or report.referrer_lead_id.name,
            report.expires_at,
        )
        at = report.confirmed_date if event != "reported" else report.date
        Ledger = self.env["crm.attribution.ledger"]
        if report.referrer_lead_id:
            report.referrer_lead_id._attribution_log(
                "referral", reason, at, ownership_changed=False, note=report.note or False
            )
            return
        Ledger._append(
            [
                {
                    "event": "referral",
                    "rule": reason.rule,
                    "reason_message": reason.message,
                    "reason_args": Ledger._attribution_dump_args(reason.args),
                    "date": at,
                    "company_id": report.company_id.id,
                    "customer_name": report.name,
                    "phone": report.phone_e164,
                    "owner_id": report.user_id.id,
                    "actor_id": self.env.uid,
                    "note": report.note or False,
                }
            ]
        )

    # ------------------------------------------------------------------
    # At the desk
    # ------------------------------------------------------------------

    @api.model
    def _for_phone(self, company, phone_e164, at):
        """The report that decides a visitor with this phone: the earliest
        still counting (confirmed, not expired, not used), else the latest
        made (to say why it does not count); in sudo, for the desk."""
        reports = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("phone_e164", "=", phone_e164),
                ("state", "!=", "used"),
            ],
            order="date, id",
        )
        for report in reports:
            if rf.report_valid(report._as_report(), at, report._policy()):
                return report
        return reports[-1:] if reports else reports

    @api.model
    def _at_desk(self, phone, referrer_phone=False, present=False, team=None, at=None):
        """D1-D4: who owns a new visitor with this phone: brought by the
        customer with ``referrer_phone`` (``present``: who came along), or
        reported beforehand (报备). Returns ``(ReferralDecision, referrer lead,
        report)``, or ``None`` when neither a referrer nor a report applies.
        Typing a referrer is the desk's (reception, sales managers): it tells
        who holds a number."""
        company = self.env.company
        at = at or self.env["crm.lead"]._attribution_now()
        desk = self.env["crm.attribution.desk"]
        try:
            phone_e164, _international = desk._parse_phone(phone, company)
        except ValidationError:
            return None  # the registration refuses the phone with its own message (A1)
        if desk.sudo()._find_customer(company, phone_e164).attribution_state:
            return None  # D1-D4 decide for a new visitor only; A2, B3, F1 decide the others
        report = self._for_phone(company, phone_e164, at)
        referrer = self.env["crm.lead"]
        if referrer_phone:
            if not self.env.user._attribution_registers_for_others():
                raise UserError(
                    self.env._("The reception desk registers who brought a visitor (D1, D2).")
                )
            referrer_e164, international = desk._parse_phone(referrer_phone, company)
            referrer = desk.sudo()._find_customer(company, referrer_e164)
            if not referrer.partner_id or referrer_e164 == phone_e164:
                raise ValidationError(
                    self.env._(
                        "%(phone)s is not the phone of a registered customer: register the "
                        "visitor without a referrer (D1).",
                        phone=international,
                    )
                )
        elif report.kind == rf.REFERRAL and report.referrer_lead_id:
            referrer = report.sudo().referrer_lead_id
        if not referrer and not report:
            return None
        chain = referrer.partner_id._attribution_referral_chain(company, team) if referrer else []
        reported = (
            report if report.kind == rf.RELATION or report.referrer_lead_id == referrer else None
        )
        decision = rf.decide_referral(
            chain,
            bool(present and referrer),
            reported._as_report() if reported else None,
            at,
            reported._policy()
            if reported
            else self.env["crm.team"]._attribution_policy_of(company, team),
            report_status=reported.state if reported else "",
        )
        return decision, referrer, reported or self.env["crm.attribution.referral"]

    @api.model
    def _record_at_desk(self, lead, referral):
        """D1: the visitor joins the referrer's chain; the report is used."""
        decision, referrer, report = referral
        partner = lead.sudo().partner_id
        if (
            decision.counted
            and referrer.partner_id
            and partner
            and not partner.attribution_referrer_id
            and partner != referrer.partner_id
        ):
            partner.attribution_referrer_id = referrer.partner_id
        if decision.counted and report:
            report.sudo().write({"state": "used", "lead_id": lead.id})

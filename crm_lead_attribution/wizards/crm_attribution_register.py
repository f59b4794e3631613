from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import OUTCOMES, REGISTRATION_KINDS, SALESMAN_GROUP, SOURCE_CHANNELS
from ..tools import referral_policy as rf
from ..tools import registration_policy as rp
from ..tools import rotation_policy as rot
from ..tools import vocabulary as v

# The outcome shown by the desk: computed while typing, then the saved result.
PREVIEW_FIELDS = (
    "outcome",
    "owner_id",
    "owner_since",
    "protected_until",
    "rule",
    "reason",
    "problem",
    "referral_rule",
    "referral_reason",
)
# What the rotation desk sets when it opens the dialog, never changed after.
DESK_FIELDS = ("team_id", "rotation_receiver_id")
# What only the desk writes (a client cannot forge an outcome).
RESULT_FIELDS = (
    "state",
    *PREVIEW_FIELDS,
    "result_lead_id",
    "customer_lead_id",
    "rotation_user_id",
    "rotation_rule",
    "rotation_reason",
)


class CrmAttributionRegister(models.TransientModel):
    """The reception desk (登记 / 判客): register a visit, a call or a channel
    report, see at once whether the customer is new or whose they are and why."""

    _name = "crm.attribution.register"
    _inherit = ["crm.attribution.guard"]
    _description = "Register a Customer Visit, Call or Channel Report"
    _attribution_guarded = {"lead_hint_id": "read", "receiver_id": "read", "named_user_id": "read"}
    _attribution_texts = {"note": False}

    state = fields.Selection(
        [("draft", "Draft"), ("done", "Registered")], default="draft", required=True
    )
    kind = fields.Selection(
        REGISTRATION_KINDS, string="Registration", required=True, default="visit"
    )
    receiver_id = fields.Many2one(
        "res.users",
        default=lambda self: self._default_receiver(),
        domain=lambda self: self._receiver_domain(),
        help="The salesperson who receives the customer (the one in rotation for a walk-in).",
    )
    name = fields.Char(string="Customer Name", help="Full name, or at least the surname (A1).")
    phone = fields.Char(help="Mobile or landline; any usual writing of the number (A2).")
    source_channel = fields.Selection(
        SOURCE_CHANNELS,
        compute="_compute_source_channel",
        store=True,
        readonly=False,
        help="A4: how the customer came to know us.",
    )
    named_user_id = fields.Many2one(
        "res.users",
        string="Customer Asked For",
        domain=[("share", "=", False)],
        help="B3: the salesperson the customer named or described, kept as evidence.",
    )
    note = fields.Text()
    buyer_phone = fields.Char(
        string="Friends of the Buyer",
        help="B10: the phone of the buyer (a customer with a closed deal) who brought these "
        "visitors: the buyer's owner owns them, present or not.",
    )
    company_relations = fields.Boolean(
        string="Company Relations (公司关系)",
        help="D4: a customer introduced or brought by the company's relations: registered "
        "to the sales manager's list, who assigns the customer; not to the rotation.",
    )
    arranged_signing = fields.Boolean(
        string="Came to Sign as Arranged",
        help="G3: the returning customer came to sign as arranged with the owner: if a "
        "colleague receives them, a deal won today stays whole with the owner.",
    )
    referrer_phone = fields.Char(
        string="Brought By (Phone)",
        help="D1: the phone of the existing customer who brought this visitor; the "
        "customer's owner owns the visitor if the referrer came along, or if the "
        "referral was reported beforehand and confirmed (D2).",
    )
    referrer_present = fields.Boolean(
        string="Referrer Came Along",
        help="D2: the referrer came in person with the visitor. A chance meeting at the "
        "sales office does not count.",
    )
    referral_rule = fields.Char(compute="_compute_preview", store=True, readonly=True)
    referral_reason = fields.Text(
        string="Referral", compute="_compute_preview", store=True, readonly=True
    )
    lead_hint_id = fields.Many2one("crm.lead", readonly=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Office",
        readonly=True,
        help="B1: the sales office whose reception rotation this desk runs.",
    )
    rotation_receiver_id = fields.Many2one(
        "res.users",
        string="Chosen by the Rotation",
        readonly=True,
        help="B1: the salesperson whose turn it was when the walk-in came.",
    )
    # What the rotation did for a returning visitor (B3-B8).
    rotation_user_id = fields.Many2one("res.users", string="Receives Now", readonly=True)
    rotation_rule = fields.Char(readonly=True)
    rotation_reason = fields.Text(string="Rotation", readonly=True)

    # The outcome: previewed while typing, then the saved result.
    outcome = fields.Selection(OUTCOMES, compute="_compute_preview", store=True, readonly=True)
    owner_id = fields.Many2one("res.users", compute="_compute_preview", store=True, readonly=True)
    owner_since = fields.Datetime(compute="_compute_preview", store=True, readonly=True)
    protected_until = fields.Datetime(compute="_compute_preview", store=True, readonly=True)
    rule = fields.Char(compute="_compute_preview", store=True, readonly=True)
    reason = fields.Text(compute="_compute_preview", store=True, readonly=True)
    problem = fields.Text(
        string="To Correct", compute="_compute_preview", store=True, readonly=True
    )
    result_lead_id = fields.Many2one("crm.lead", string="Customer Lead", readonly=True)
    customer_lead_id = fields.Many2one(
        "crm.lead",
        string="Customer Registered",
        readonly=True,
        groups="base.group_system",
        help="Technical: the customer registered, whoever may read it; the record "
        "rules hide the desk's records of customers that left their owner (F3).",
    )

    @api.model
    def _default_receiver(self):
        if self.env.user.has_group(SALESMAN_GROUP):
            return self.env.user
        return self.env["res.users"]

    @api.model
    def _receiver_domain(self):
        salesman = self.env.ref(SALESMAN_GROUP)
        return [("share", "=", False), ("groups_id", "in", salesman.ids)]

    @api.model_create_multi
    def create(self, vals_list):
        # The outcome is the desk's to compute (a client cannot make the desk
        # show another customer's record through it); the lead hint must be a
        # lead the user may read (crm.attribution.guard).
        for vals in vals_list:
            self._check_choices(vals)
            for fname in RESULT_FIELDS:
                vals.pop(fname, None)
        return super().create(vals_list)

    def write(self, vals):
        self._check_choices(vals)
        if not self.env.su:
            kept = RESULT_FIELDS + DESK_FIELDS
            if any(wizard.state == "done" for wizard in self):
                # B10 / D1: what was registered stays as registered
                kept += (
                    "buyer_phone",
                    "referrer_phone",
                    "referrer_present",
                    "arranged_signing",
                    "company_relations",
                )
            vals = {key: value for key, value in vals.items() if key not in kept}
        return super().write(vals)

    def onchange(self, values, field_names, fields_spec):
        self._check_choices(values)
        return super().onchange(values, field_names, fields_spec)

    @api.model
    def _check_choices(self, vals):
        """A3 / A4: the kind and the channel are among the known ones (a
        clear message instead of the ORM's bare error on a bad selection); the
        name and phone typed lose the control characters that cannot be saved."""
        for fname in ("name", "phone", "buyer_phone", "referrer_phone"):
            if isinstance(vals.get(fname), str):
                vals[fname] = rp.printable(vals[fname])
        problems = []
        if "kind" in vals and vals["kind"] not in v.REGISTRATION_KINDS:
            problems.append(("kind_unknown", {"kind": rp.shorten(vals["kind"])}))
        channel = vals.get("source_channel")
        if channel and channel not in v.SOURCE_CHANNELS:
            problems.append(("channel_unknown", {"channel": rp.shorten(channel)}))
        if problems:
            raise ValidationError(
                "\n".join(self.env._(rp.PROBLEM_MESSAGES[code], **args) for code, args in problems)
            )

    @api.depends("kind", "referrer_phone", "company_relations")
    def _compute_source_channel(self):
        for wizard in self:
            if wizard.company_relations and wizard.kind != v.CHANNEL:
                wizard.source_channel = rp.COMPANY_RELATIONS  # D4 (A4)
            elif wizard.kind == v.VISIT and wizard.referrer_phone:
                wizard.source_channel = "referral"  # D1 (A4)
            else:
                wizard.source_channel = v.DEFAULT_SOURCE_CHANNEL.get(wizard.kind, "other")

    @api.onchange("buyer_phone")
    def _onchange_buyer_phone(self):
        """B10: the buyer's owner receives the friends (owns them)."""
        if self.buyer_phone:
            try:
                self.receiver_id = self._buyer_owner()
            except (UserError, ValidationError) as error:
                return {
                    "warning": {"title": self.env._("Friends of a Buyer"), "message": error.args[0]}
                }
        return None

    def _buyer_owner(self):
        """B10: the owner of the buyer whose phone the desk typed."""
        buyer = self.env["crm.attribution.desk"]._buyer(self.buyer_phone)
        return self.env["res.users"].browse(buyer.user_id.id)

    @api.depends(
        "name",
        "phone",
        "kind",
        "receiver_id",
        "source_channel",
        "referrer_phone",
        "referrer_present",
    )
    def _compute_preview(self):
        Ledger = self.env["crm.attribution.ledger"]
        for wizard in self:
            if wizard.state == "done":
                continue
            values = dict.fromkeys(PREVIEW_FIELDS, False)
            if wizard.phone and wizard.receiver_id and wizard.name:
                try:
                    decision, _lead = self.env["crm.attribution.desk"]._preview(
                        wizard.name,
                        wizard.phone,
                        wizard.kind,
                        wizard.receiver_id,
                        wizard.source_channel,
                    )
                except ValidationError as error:
                    values["problem"] = error.args[0]
                else:
                    customer = decision.customer
                    values.update(
                        outcome=decision.outcome,
                        owner_id=customer.owner_id,
                        owner_since=customer.owner_since,
                        protected_until=customer.protected_until or False,
                        rule=decision.rule,
                        reason=Ledger._attribution_render(decision.reason),
                    )
                    wizard._preview_referral(decision, values)
            wizard.update(values)

    def _preview_referral(self, decision, values):
        """D1-D4 in the preview, at the desk only (a salesperson's preview of
        a new phone stays blind, F3)."""
        if not self.env.user._attribution_registers_for_others() or self.kind != v.VISIT:
            return
        try:
            referral = self._referral()
        except (UserError, ValidationError) as error:
            values["problem"] = error.args[0]
            return
        if not referral:
            return
        result = referral[0]
        Ledger = self.env["crm.attribution.ledger"]
        values.update(
            referral_rule=result.reason.rule,
            referral_reason=Ledger._attribution_render(result.reason),
        )
        decided = self.env["crm.attribution.desk"]._referral_decision(decision, referral)
        if decided is not decision:
            values.update(rule=decided.rule, reason=values["referral_reason"])
            if result.owner_id:
                values["owner_id"] = result.owner_id

    def _referral(self):
        """D1-D4: the referral or report deciding this walk-in, or None."""
        if self.kind != v.VISIT or self.buyer_phone or self.company_relations:
            return None
        return self.env["crm.attribution.referral"]._at_desk(
            self.phone, self.referrer_phone, self.referrer_present, team=self.team_id
        )

    def action_register(self):
        """Save the registration and show its outcome. A dialog registered
        already shows what it recorded and records nothing again (a desk that
        clicks twice, a client that retries)."""
        self.ensure_one()
        if self.state == "done":
            return self._reopen()
        company = self.company_relations or self.source_channel == rp.COMPANY_RELATIONS
        if company and not self.env.user._attribution_registers_for_others():
            raise UserError(
                self.env._("The reception desk registers the company's relations (D4).")
            )
        buyer = self._buyer_lead()
        referral = self._referral()
        receiver = self.receiver_id
        if buyer:
            receiver = self.env["res.users"].browse(buyer.user_id.id)
        elif referral and referral[0].owner_id:
            receiver = self.env["res.users"].browse(referral[0].owner_id)  # D1 / D4
        decision, lead = self.env["crm.attribution.desk"]._register_customer(
            self.name,
            self.phone,
            self.kind,
            receiver,
            source_channel=self.source_channel,
            note=self.note,
            named_user=self.named_user_id,
            lead_hint=self.lead_hint_id,
            referral=referral,
        )
        customer = decision.customer
        self.sudo().write(
            {
                "state": "done",
                "outcome": decision.outcome,
                "owner_id": customer.owner_id,
                "owner_since": customer.owner_since,
                "protected_until": customer.protected_until or False,
                "rule": decision.rule,
                "reason": self.env["crm.attribution.ledger"]._attribution_render(decision.reason),
                "problem": False,
                "result_lead_id": lead.id if lead.has_access("read") else False,
                "customer_lead_id": lead.id,
                "receiver_id": receiver.id,
                **self._referral_result(referral, decision),
                **self._rotate(decision, lead, buyer),
            }
        )
        return self._reopen()

    def _referral_result(self, referral, decision):
        """D1-D4 as the desk shows them after registering; a salesperson who
        registered the visitor is told the rule and the owner only (F3)."""
        Ledger = self.env["crm.attribution.ledger"]
        if not self.env.user._attribution_registers_for_others():
            if decision.rule not in ("D1", "D3", "D4"):
                return {"referral_rule": False, "referral_reason": False}
            reason = rf.blind_reason(decision.reason, decision.owner_id)
            return {
                "referral_rule": False,
                "referral_reason": False,
                "reason": Ledger._attribution_render(reason),
            }
        if not referral:
            return {"referral_rule": False, "referral_reason": False}
        reason = referral[0].reason
        return {
            "referral_rule": reason.rule,
            "referral_reason": Ledger._attribution_render(reason),
        }

    def _buyer_lead(self):
        """B10: the buyer who brought these visitors (a new walk-in at the
        desk of a sales office), or an empty recordset."""
        if not self.buyer_phone:
            return self.env["crm.lead"]
        if self.kind != v.VISIT or not self.team_id or self.rotation_receiver_id:
            raise UserError(
                self.env._(
                    "A buyer's friends are registered as a visit at the rotation desk, with "
                    "Returning Customer, not in a turn of the rotation (B10)."
                )
            )
        return self.env["crm.attribution.desk"]._buyer(self.buyer_phone)

    def action_hand_off(self):
        """B9: a language barrier: the receiver of this new walk-in hands the
        visitor to the next in rotation, who becomes the owner; the first
        receiver keeps the reception count."""
        self.ensure_one()
        self.team_id._attribution_check_desk()
        wizard = self.sudo()
        if not (
            wizard.state == "done"
            and wizard.outcome == v.NEW
            and wizard.kind == v.VISIT
            and wizard.team_id
            and wizard.rotation_receiver_id == wizard.owner_id
            and not wizard.buyer_phone
            and wizard.rotation_rule != "B9"
            and wizard._turn_taken()
        ):
            raise UserError(
                self.env._(
                    "Only a new walk-in received in turn at the rotation desk can be handed to "
                    "the next in rotation, once (B9)."
                )
            )
        lead = wizard.customer_lead_id
        at = self.env["crm.lead"]._attribution_now()
        team = wizard.team_id
        if team._attribution_day(wizard.owner_since) != team._attribution_day(at):
            raise UserError(
                self.env._(
                    "A visitor is handed to the next in rotation on the day of the visit only "
                    "(B9); later, a sales manager gives the customer to someone else (H5)."
                )
            )
        outcome = self.team_id._attribution_hand_off(wizard.owner_id, at=at, lead=lead)
        to_user = self.env["res.users"].browse(outcome.receiver_id)
        customer, reason = self.env["crm.attribution.desk"]._hand_off(lead, to_user, at)
        Ledger = self.env["crm.attribution.ledger"]
        turn = rot.main_turn(outcome)
        wizard.write(
            {
                "owner_id": customer.owner_id,
                "owner_since": customer.owner_since,
                "rule": reason.rule,
                "reason": Ledger._attribution_render(reason),
                "result_lead_id": lead.id if lead.with_env(self.env).has_access("read") else False,
                "rotation_user_id": outcome.receiver_id,
                "rotation_rule": turn.reason.rule,
                "rotation_reason": Ledger._attribution_render(turn.reason),
            }
        )
        return self._reopen()

    def _turn_taken(self):
        """B9: the rotation did give this walk-in's receiver a turn today, at
        this desk's sales office, before the dialog was registered."""
        team = self.team_id
        return bool(
            self.env["crm.attribution.turn"]
            .sudo()
            .search_count(
                [
                    ("team_id", "=", team.id),
                    ("user_id", "=", self.rotation_receiver_id.id),
                    ("event", "in", (rot.TAKEN, rot.OVERRIDE)),
                    ("day", "=", team._attribution_day(self.owner_since)),
                    ("date", "<=", self.owner_since),
                ],
                limit=1,
            )
        )

    def _rotate(self, decision, lead, buyer=None):
        """The reception rotation after a visit (B1, B3-B8): a returning
        visitor at the desk of a sales office goes to the owner or a helper;
        a walk-in a salesperson registered for themselves takes their turn,
        or is recorded as received out of turn."""
        if self.kind != v.VISIT:
            return {}
        user = self.env.user
        try:
            if buyer and decision.outcome == v.NEW:
                outcome = self._rotate_friends(buyer, lead)
            elif decision.rule in ("D1", "D4") and decision.owner_id:
                outcome = self._rotate_referral(decision, lead)
            elif user._attribution_registers_for_others():
                outcome = self._rotate_at_desk(decision, lead)
            else:
                outcome = self._rotate_self_registered(decision, lead)
        except UserError as nobody:  # nobody free: the visit is registered all the same
            return {"rotation_rule": "B1", "rotation_reason": str(nobody.args[0])}
        if not outcome:
            return {}
        turn = rot.main_turn(outcome)
        return {
            "rotation_user_id": outcome.receiver_id,
            "rotation_rule": turn.reason.rule,
            "rotation_reason": self.env["crm.attribution.ledger"]._attribution_render(turn.reason),
        }

    def _rotate_at_desk(self, decision, lead):
        """B3-B8: who receives a returning visitor at the desk's sales office."""
        if not self.team_id or decision.outcome != v.RETURNING or self.rotation_receiver_id:
            return None  # no rotation here, or the walk-in took a turn at the door
        owner = self.env["res.users"].browse(decision.customer.owner_id)
        return self.team_id._attribution_receive_returning(
            owner,
            closed=decision.customer.state == v.LOCKED,
            lead=lead.sudo(),
            arranged=self.arranged_signing,
        )

    def _rotate_friends(self, buyer, lead):
        """B10: a buyer's friends go to the buyer's owner, or, the owner away,
        to the last in rotation for them; the chain of referrals starts at the
        buyer (D1)."""
        partner = lead.sudo().partner_id
        if partner and not partner.attribution_referrer_id and partner != buyer.partner_id:
            partner.attribution_referrer_id = buyer.partner_id
        owner = self.env["res.users"].browse(buyer.user_id.id)
        return self.team_id._attribution_receive_friends(owner, lead=lead.sudo())

    def _rotate_referral(self, decision, lead):
        """D1 / D4: the chain's owner (or the salesperson whose relative it is)
        receives the visitor without using a turn, as a buyer's friends (B10);
        the owner away, the last in rotation receives them, uncounted. A
        visitor already received in a turn is not received twice."""
        if not self.team_id or self.rotation_receiver_id:
            return None
        owner = self.env["res.users"].browse(decision.owner_id)
        return self.team_id._attribution_receive_friends(owner, lead=lead.sudo())

    def _rotate_self_registered(self, decision, lead):
        """B1: a salesperson registering a new walk-in for themselves takes
        their turn in their sales office's rotation, or, out of turn, is
        recorded as such (and counted)."""
        user = self.env.user
        team = user.sudo().sale_team_id
        if decision.outcome == v.RETURNING or decision.owner_id != user.id or not team:
            return None
        return team._attribution_walk_in_by(user, lead=lead.sudo())

    def action_register_another(self):
        """A fresh desk for the next customer, keeping receiver and kind."""
        self.ensure_one()
        wizard = self.create(
            {"kind": self.kind, "receiver_id": self.receiver_id.id, "team_id": self.team_id.id}
        )
        return wizard._reopen()

    def action_open_lead(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.result_lead_id.id,
            "view_mode": "form",
            "target": "current",
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": self.env.context.get("attribution_desk_target", "new"),
            "context": self.env.context,
        }

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, create_index

from ..const import (
    ATTRIBUTION_STATES,
    CUSTOMER_FIELDS,
    EXCLUDE_OWNERLESS,
    MANAGER_GROUP,
    OWNERSHIP_KINDS,
    PROTECTED_FIELDS,
    SHARE_FIELDS,
    SOURCE_CHANNELS,
    WRITE_FLAG,
)
from ..contention import execute_contended
from ..tools import pool_policy as pp
from ..tools import registration_policy as rp
from ..tools import vocabulary as v

# Context key set while Odoo's lost or archive action runs, with a value no
# client can send (JSON has no such object): the customers are given up once
# the action is done (E5).
LOSING = "crm_lead_attribution_losing"
_LOSING = object()


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.attribution.guard", "crm.lead"]
    # F3: a lead cannot be given a contact the user may not read (its name,
    # phone and address would be copied onto the lead in sudo)
    _attribution_guarded = {"partner_id": "read", "attribution_group_lead_ids": "read"}

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
        # readonly like every protected field: the form (a new lead's form
        # sends all its editable fields) must not send it back (I1)
        readonly=True,
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

    # Performance splits (G1-G4, C3): the won deal's shares, and what the
    # sales manager records for them.
    attribution_share_ids = fields.One2many(
        "crm.attribution.share", "lead_id", string="Shares", readonly=True
    )
    attribution_group_lead_ids = fields.Many2many(
        "crm.lead",
        "crm_lead_attribution_group_rel",
        "lead_id",
        "member_id",
        string="Same Family or Group",
        copy=False,
        help="G2: customers of one family or group met by different salespeople without "
        "knowing (set by a sales manager): the commission of this deal is split evenly "
        "among their receivers, the performance goes to the first receiver.",
    )
    attribution_caller_id = fields.Many2one(
        "res.users",
        string="Caller Named",
        copy=False,
        help="C3: the salesperson who took the customer's call, named by the customer.",
    )
    attribution_caller_after_booking = fields.Boolean(
        string="Named After Booking",
        copy=False,
        help="C3: the customer named the caller only after booking: the performance goes "
        "to the receiver, the commission is split 50/50 with the caller.",
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
            lead.attribution_days_left = rp.days_left(until, now) if protected else 0
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
            for policy, domain in self.env["crm.attribution.sweep"]._policy_scopes()
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
            domain = expression.AND([domain, [("attribution_state", "not in", v.OWNERLESS)]])
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _attribution_trusted(self):
        """Writes made by the attribution services: in sudo, with the flag.
        (A client can put any key in its context, but cannot get sudo.)"""
        return self.env.su and self.env.context.get(WRITE_FLAG)

    @api.model_create_multi
    def create(self, vals_list):
        if not self._attribution_trusted():
            if any(PROTECTED_FIELDS.intersection(vals) for vals in vals_list):
                raise UserError(
                    self.env._(
                        "The attribution of a customer is set by the attribution rules only: "
                        "register the customer at the desk instead (I1)."
                    )
                )
            for vals in vals_list:
                self._attribution_check_share_fields(vals)
        return super().create(vals_list)

    def _attribution_check_share_fields(self, vals):
        """G2 / C3: what decides a deal's shares is the sales manager's to record
        (on a new lead, a copy or an existing one)."""
        manager = self.env.su or self.env.user.has_group(MANAGER_GROUP)
        if not manager and any(vals.get(fname) for fname in SHARE_FIELDS):
            raise UserError(
                self.env._(
                    "A sales manager records a family or group and a caller named by the "
                    "customer, which decide the deal's shares (G2, C3)."
                )
            )

    def unlink(self):
        if self.filtered("attribution_state") and not (
            self.env.su or self.env.user.has_group(MANAGER_GROUP)
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

    def _compute_potential_lead_duplicates(self):
        # F3: Odoo searches duplicates as superuser; a user is shown only the
        # duplicates they may read, or the lead form would tell which lead
        # holds any phone typed into it (and unmask the pool's numbers)
        super()._compute_potential_lead_duplicates()
        if self.env.su:
            return
        for lead in self:
            readable = lead.duplicate_lead_ids.with_env(self.env)._filtered_access("read")
            lead.duplicate_lead_ids = readable
            lead.duplicate_lead_count = len(readable)

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
        if vals.get("phone"):
            self.env["crm.attribution.identity"]._refuse_shared(self)
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
        if "company_id" in vals and self.filtered(
            lambda lead: lead.attribution_state and lead.company_id.id != vals["company_id"]
        ):
            # A2: the phone identifies the customer within its company, whose
            # (or whose team's) policy applies: a registered customer stays there
            raise UserError(
                self.env._(
                    "A registered customer stays in the company it was registered in: its "
                    "phone identifies it there and that company's policy applies (A2)."
                )
            )
        manager = self.env.su or self.env.user.has_group(MANAGER_GROUP)
        self._attribution_check_share_fields(vals)
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
            # G4: a deal won gets its shares; reopened or lost, it loses them
            watched["shares"] = {lead.id: lead._attribution_is_won() for lead in self}
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
        deferred = self.env.context.get(LOSING) is _LOSING
        if "active" in vals and not vals["active"] and not deferred:
            # E5: marking a held customer Lost is giving it up (at once for a
            # plain write; after the whole action for Odoo's lost and archive
            # actions, which write the lead again as the user meanwhile)
            watched["lost"] = managed._attribution_losing().ids
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
        if "shares" in watched:
            self._attribution_update_shares(watched["shares"], now)
        if watched.get("lost"):
            leads(watched["lost"])._attribution_mark_lost(now)

    def _attribution_update_shares(self, was_won, at):
        """G4: shares for the deals this write won; none for those it reopened."""
        Share = self.env["crm.attribution.share"]
        won = self.browse([i for i, was in was_won.items() if not was])
        Share._compute_for(won.filtered(lambda lead: lead._attribution_is_won()), at)
        reopened = self.browse([i for i, was in was_won.items() if was])
        Share._drop_for(reopened.filtered(lambda lead: not lead._attribution_is_won()))

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
        if not self.env.user.has_group(MANAGER_GROUP):
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

    def action_attribution_edit_shares(self):
        """H5: the sales manager sets this won deal's shares, with a reason."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Set the Shares"),
            "res_model": "crm.attribution.share.edit",
            "view_mode": "form",
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
    # BUSINESS: the customer as the policy reads it (one field map)
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
        """This lead's attribution as the policy reads it (``CUSTOMER_FIELDS``)."""
        self.ensure_one()
        if not self.attribution_state:
            return None
        values = {}
        for fname, attribute in CUSTOMER_FIELDS.items():
            field, value = self._fields[fname], self[fname]
            if field.type == "many2one":
                value = value.id or None
            elif field.type == "boolean":
                value = bool(value)
            elif field.type in ("char", "selection"):
                value = value or ""
            else:
                value = value or None
            values[attribute] = value
        values["ownership_kind"] = values["ownership_kind"] or v.VISIT
        return v.Customer(**values)

    @api.model
    def _attribution_values(self, customer, reason=None, at=None):
        """Field values of a ``Customer`` (``CUSTOMER_FIELDS``), and of the reason."""
        values = {
            fname: getattr(customer, attribute) or False
            for fname, attribute in CUSTOMER_FIELDS.items()
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
        return (
            self.sudo()
            .with_context(**{WRITE_FLAG: True})
            .write(self._attribution_owner_kept(values))
        )

    def _attribution_owner_kept(self, values):
        """``values`` without ``user_id`` when it is the owner these leads have:
        writing ``user_id`` makes Odoo subscribe it and send it "You have been
        assigned to ..." (rendered, e-mailed) whether it changed or not, and
        the rules write the whole attribution, owner included."""
        if "user_id" in values and all(
            lead.user_id.id == (values["user_id"] or False) for lead in self
        ):
            values = {key: value for key, value in values.items() if key != "user_id"}
        return values

    def _attribution_restore(self):
        """Lost customers back in the pipeline (a returning visit, a claim, an
        assignment): active again, without a lost reason, probabilities
        recomputed, as Odoo's restore does."""
        lost = self.filtered(lambda lead: not lead.active)
        if lost:
            lost._attribution_write({"active": True, "lost_reason_id": False})
            lost._compute_probabilities()

    def _attribution_lock(self):
        """Lock the leads' rows until the end of the transaction.

        Waits for a concurrent registration or follow-up of the same customer;
        if that one changed the row, PostgreSQL raises a serialization failure
        under REPEATABLE READ and Odoo retries the request with fresh data
        (logged at INFO, not as a bad query: ``contention.py``).
        """
        if self.ids:
            execute_contended(
                self.env.cr,
                SQL("SELECT id FROM crm_lead WHERE id IN %s FOR NO KEY UPDATE", tuple(self.ids)),
            )
            self.invalidate_recordset()

    def _attribution_log(self, event, reason, at, **values):
        """Append one entry to the attribution ledger (I1), dated ``at``."""
        self.ensure_one()
        Ledger = self.env["crm.attribution.ledger"]
        return Ledger._append([Ledger._attribution_prepare(self, event, reason, date=at, **values)])

    def _attribution_render(self, reason):
        return self.env["crm.attribution.ledger"]._attribution_render(reason)

    def _attribution_policy(self):
        """The policy in force for this customer (its team's or its company's)."""
        self.ensure_one()
        return self.env["crm.team"]._attribution_policy_of(
            self.company_id or self.env.company, self.team_id
        )

    def _attribution_sync_identity(self):
        """Keep the phone identity in step with the registered phone (A2)."""
        self.env["crm.attribution.identity"]._sync(self.filtered("attribution_state"))

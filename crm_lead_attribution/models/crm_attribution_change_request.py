from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import CHANGE_REQUEST_TYPE, MANAGER_GROUP
from ..tools import pool_policy as pp
from ..tools import vocabulary as v


class CrmAttributionChangeRequest(models.Model):
    """H1: a customer asks for another salesperson before signing. The
    request is recorded; the change needs the owner's consent (the owner
    accepts in Odoo) or the sales manager's decision (H5)."""

    _name = "crm.attribution.change.request"
    _description = "Customer Request for Another Salesperson"
    _inherit = ["crm.attribution.guard", "mail.thread"]
    _attribution_guarded = {"lead_id": "read"}
    _attribution_texts = {"reason": True}
    _order = "create_date desc, id desc"

    lead_id = fields.Many2one(
        "crm.lead", string="Customer", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)
    owner_id = fields.Many2one(
        "res.users",
        readonly=True,
        required=True,
        index=True,
        help="The owner when the customer asked.",
    )
    requested_user_id = fields.Many2one(
        "res.users",
        string="Requested Salesperson",
        required=True,
        readonly=True,
        index=True,
        domain=[("share", "=", False)],
    )
    reason = fields.Text(required=True, readonly=True, help="What the customer said, and when.")
    state = fields.Selection(
        [("pending", "Waiting"), ("accepted", "Accepted"), ("declined", "Declined")],
        default="pending",
        required=True,
        readonly=True,
        tracking=True,
    )
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_on = fields.Datetime(readonly=True)
    decision_rule = fields.Char(
        readonly=True, help="H1: the owner consented; H5: the manager decided."
    )
    can_decide = fields.Boolean(compute="_compute_can_decide")

    @api.depends_context("uid")
    @api.depends("state", "owner_id")
    def _compute_can_decide(self):
        manager = self.env.user.has_group(MANAGER_GROUP)
        for request in self:
            request.can_decide = request.state == "pending" and (
                manager or request.owner_id == self.env.user
            )

    @api.depends("lead_id", "requested_user_id")
    def _compute_display_name(self):
        for request in self:
            request.display_name = self.env._(
                "%(customer)s: asks for %(user)s",
                customer=request.lead_id.name or "",
                user=request.requested_user_id.name or "",
            )

    @api.model_create_multi
    def create(self, vals_list):
        """Record the request (H1), after checking it may be made."""
        Lead = self.env["crm.lead"]
        now = Lead._attribution_now()
        for vals in vals_list:
            # the decision is the owner's or the manager's, never the creator's
            for fname in ("state", "decided_by_id", "decided_on", "decision_rule", "owner_id"):
                vals.pop(fname, None)
            lead = Lead.browse(vals.get("lead_id")).exists()
            if len(lead) != 1:
                raise UserError(self.env._("Choose the customer who asks for someone else (H1)."))
            lead.check_access("read")
            known = lead.sudo()._attribution_customer()
            if known is None:
                raise UserError(self.env._("This lead is not a registered customer."))
            requested = self.env["res.users"].sudo().browse(vals.get("requested_user_id"))
            if not requested.exists():
                raise UserError(self.env._("Choose the salesperson the customer asks for (H1)."))
            lead._attribution_check_salesperson(requested)
            try:
                pp.check_change_request(known, vals.get("requested_user_id"))
            except v.Refusal as refusal:
                raise UserError(lead._attribution_render(refusal.reason)) from refusal
            vals["owner_id"] = known.owner_id
        requests = super(CrmAttributionChangeRequest, self.sudo()).create(vals_list)
        for request in requests:
            lead = request.lead_id.sudo()
            reason = pp.check_change_request(
                lead._attribution_customer(), request.requested_user_id.id
            )
            lead._attribution_log(
                "request", reason, now, note=request.reason, ownership_changed=False
            )
            lead.activity_schedule(
                CHANGE_REQUEST_TYPE,
                user_id=request.owner_id.id,
                note=self.env._(
                    "The customer asks for %(user)s instead of you: accept or decline in the "
                    "change request (H1).",
                    user=request.requested_user_id.name,
                ),
            )
        return requests.with_env(self.env)

    def action_accept(self):
        """The owner consents (H1) or the sales manager decides (H5)."""
        for request in self:
            request._decide(accept=True)

    def action_decline(self):
        for request in self:
            request._decide(accept=False)

    def _decide(self, accept):
        self.ensure_one()
        user = self.env.user
        manager = user.has_group(MANAGER_GROUP)
        if self.state != "pending":
            raise UserError(self.env._("This request has already been decided."))
        lead = self.lead_id.sudo()
        lead._attribution_lock()
        known = lead._attribution_customer()
        if not manager and user.id != known.owner_id:
            raise UserError(
                self.env._("Only the owner or a sales manager can decide on this request (H1).")
            )
        at = lead._attribution_now()
        by_manager = user.id != known.owner_id
        claimant = None
        if accept and not by_manager:
            # F2: the owner's consent passes the customer on, but the new owner
            # takes it within their own limits (no laundering of pool claims)
            claimant = self.requested_user_id.sudo()
            Pool = self.env["crm.attribution.pool"]
            Pool._serialize_claims(claimant, at)
            try:
                pp.check_claim_limits(
                    claimant.id, at, lead._attribution_policy(),
                    Pool._claim_context(lead, claimant, at),
                )  # fmt: skip
            except v.Refusal as refusal:
                raise UserError(lead._attribution_render(refusal.reason)) from refusal
        if accept:
            lead._attribution_check_salesperson(self.requested_user_id)

            def decide(known, new_owner, at, policy):
                return pp.decide_change(known, new_owner, at, policy, by_manager=by_manager)

            _customer, reason = lead._attribution_apply(
                decide,
                known,
                self.requested_user_id.id,
                at,
                lead._attribution_policy(),
                note=self.reason,
                claimant=claimant,
            )
        else:
            reason = pp.decline_change(known, self.requested_user_id.id)
            if by_manager:
                reason = v.Reason("H5", reason.message, reason.args)
            lead._attribution_log("request", reason, at, note=self.reason, ownership_changed=False)
        lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(CHANGE_REQUEST_TYPE)
        ).sudo().unlink()
        self.sudo().write(
            {
                "state": "accepted" if accept else "declined",
                "decided_by_id": user.id,
                "decided_on": at,
                "decision_rule": reason.rule,
            }
        )
        self.sudo().message_post(body=lead._attribution_render(reason))

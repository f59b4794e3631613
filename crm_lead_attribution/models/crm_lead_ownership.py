from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import FIRST_FOLLOW_UP_TYPE, MANAGER_GROUP, REMINDER_TYPE, SKIP_ACTIVITY_FOLLOW_UP
from ..tools import pool_policy as pp
from ..tools import registration_policy as rp
from ..tools import vocabulary as v
from .crm_lead import _LOSING, LOSING


class CrmLeadOwnership(models.Model):
    """The owner's side of a registered customer: the owner's activities and
    following, follow-ups, closing, the manager's decisions, giving up and
    claiming (fields, guards and the field map are in ``crm_lead.py``)."""

    _inherit = "crm.lead"

    # ------------------------------------------------------------------
    # BUSINESS: activities and followers of the owner (E2, E6, F3)
    # ------------------------------------------------------------------

    def _attribution_activities(self, types=(FIRST_FOLLOW_UP_TYPE,)):
        """The add-on's activities of these types on these leads."""
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

    def _attribution_complete_first_follow_up(self):
        """The owner followed up: the E2 first follow-up and the E6 reminders
        are done (without counting as follow-ups twice)."""
        activities = self._attribution_activities((FIRST_FOLLOW_UP_TYPE, REMINDER_TYPE))
        if activities:
            activities.with_context(**{SKIP_ACTIVITY_FOLLOW_UP: True}).action_feedback(
                feedback=self.env._("Done by the follow-up logged by the owner (E2, E6).")
            )

    def _attribution_schedule_first_follow_up(self, due, cancel=True):
        """E2: an activity for the owner, due by ``due`` in the owner's time
        zone; ``cancel``: drop the former E2 activity first (a new customer
        has none)."""
        self.ensure_one()
        owner = self.user_id
        if cancel:
            self._attribution_activities().unlink()
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

    def _attribution_unfollow(self, *former_owner_ids):
        """Former owners no longer follow the customers' messages (F3)."""
        users = self.env["res.users"].sudo().browse([uid for uid in former_owner_ids if uid])
        if users and self:
            self.sudo().message_unsubscribe(partner_ids=users.partner_id.ids)

    def _attribution_drop_activities(self, *former_owner_ids):
        """The former owners' open activities on customers they no longer own."""
        user_ids = [user_id for user_id in former_owner_ids if user_id]
        if user_ids and self:
            self.env["mail.activity"].sudo().search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("user_id", "in", user_ids),
                ]
            ).unlink()

    # ------------------------------------------------------------------
    # BUSINESS: follow-ups (E1, E2)
    # ------------------------------------------------------------------

    def _attribution_log_follow_up(self, kind, note=False, at=None, actor=None, raise_refusal=True):
        """Record a follow-up on the managed leads of ``self`` (E1, E2).

        :return: the list of ``FollowUp`` decisions taken
        """
        at = at or self._attribution_now()
        actor = actor or self.env.user
        results = []
        managed = self.sudo().filtered("attribution_state")
        managed._attribution_lock()
        for lead in managed:
            try:
                result = rp.decide_follow_up(
                    lead._attribution_customer(), actor.id, at, kind, lead._attribution_policy()
                )
            except v.Refusal as refusal:
                if raise_refusal:
                    raise UserError(lead._attribution_render(refusal.reason)) from refusal
                continue
            values = self._attribution_values(result.customer, result.reason, at)
            if result.by_owner:
                values["attribution_first_follow_up_due"] = result.first_follow_up_due or False
                lead._attribution_complete_first_follow_up()
            lead._attribution_write(values)
            lead._attribution_log(
                "follow_up", result.reason, at, actor_id=actor.id, follow_up_kind=kind,
                note=note or False,
            )  # fmt: skip
            if result.first_follow_up_due:
                lead._attribution_schedule_first_follow_up(result.first_follow_up_due)
            results.append(result)
        # computed in sudo: the actor may not read the customer afterwards
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
        if not self._attribution_is_manager():
            for lead in self:
                try:
                    rp.check_close(lead._attribution_customer(), at)
                except v.Refusal as refusal:
                    raise UserError(lead._attribution_render(refusal.reason)) from refusal
        for lead in self:
            lead._attribution_close_by(lead.user_id.id or None, at)
        # computed in sudo: the actor may not read the customer afterwards
        self.sudo().env.flush_all()

    def _attribution_reopen(self, at, lost=False):
        """A won deal reopened or marked lost: protected again (E7). A signed
        deal is undone by the sales manager only: otherwise marking a deal won
        and reopening it would free and refill the holding limit (F2) at will."""
        if self and not self._attribution_is_manager():
            raise UserError(
                self.env._(
                    "A closed deal of a registered customer is reopened or cancelled by a "
                    "sales manager only (E7)."
                )
            )
        for lead in self:
            customer, reason = rp.decide_reopen(
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
            if customer_lead and pp.reorder_moves_customer(
                customer_lead._attribution_policy(), deal.user_id.id, customer_lead.user_id.id
            ):
                customer_lead._attribution_lock()
                customer_lead._attribution_close_by(deal.user_id.id, at)

    def _attribution_close_by(self, closer_id, at):
        """E7 / E8: a deal of this customer was won by ``closer_id``."""
        self.ensure_one()
        customer, reason = rp.decide_close(
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
    # BUSINESS: the manager's decisions (E4, F1, F4, H5) and giving up (E5)
    # ------------------------------------------------------------------

    def _attribution_apply_reassign(self, before, at):
        """H5 / F1 / F4 / E4: a sales manager changed the owner in the form or by import."""
        for lead in self:
            if not lead.user_id:
                raise UserError(
                    self.env._(
                        "A registered customer cannot be left without an owner by editing the "
                        "salesperson: give the customer up to the public pool instead (E5)."
                    )
                )
            lead._attribution_check_salesperson(lead.user_id)
            lead._attribution_apply(
                pp.decide_assign, before[lead.id], lead.user_id.id, at, lead._attribution_policy()
            )

    def _attribution_apply(
        self, decide, known, new_owner, at, policy, note=False, event="ownership", claimant=None
    ):
        """Apply a manager's or owner's decision moving ownership; log it."""
        self.ensure_one()
        try:
            customer, reason = decide(known, new_owner, at, policy)
        except v.Refusal as refusal:
            raise UserError(self._attribution_render(refusal.reason)) from refusal
        values = self._attribution_values(customer, reason, at)
        values["attribution_first_follow_up_due"] = False  # E2 was the former owner's
        self._attribution_write(values)
        self._attribution_restore()  # a lost customer given to someone is in the pipeline again
        self._attribution_drop_activities(known.owner_id)
        self._attribution_unfollow(known.owner_id)
        self._attribution_log(
            event,
            reason,
            at,
            previous_owner_id=known.owner_id or False,
            ownership_changed=True,
            note=note or False,
            claimant_id=claimant.id if claimant else False,
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
        if from_pool:
            self.env["crm.attribution.pool"]._check_in_pool(leads)
        for lead in leads:
            lead._attribution_apply(
                pp.decide_assign,
                lead._attribution_customer(),
                user.id,
                at,
                lead._attribution_policy(),
                note=note,
            )
        # computed in sudo: the actor may not read the customer afterwards
        leads.env.flush_all()
        return leads

    @api.model
    def _attribution_is_manager(self):
        """The sales managers (and the services in sudo) decide what salespeople may not."""
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _attribution_check_salesperson(self, user):
        company = self.company_id[:1] or self.env.company
        if not user._attribution_can_own(company):
            raise UserError(
                self.env._(
                    "%(user)s cannot own customers: the owner must be an active salesperson "
                    "of %(company)s.",
                    user=user.name,
                    company=company.name,
                )
            )

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
                known, actor.id, at, is_manager=self.env.su or actor.has_group(MANAGER_GROUP)
            )
        except v.Refusal as refusal:
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
        # computed in sudo: the actor may not read the customer afterwards
        lead.env.flush_all()
        return reason

    def _attribution_losing(self):
        """The customers a Lost mark gives up (E5): held, not a won deal (a
        cancelled deal is protected again for the owner instead, E7)."""
        return self.filtered(
            lambda lead: (
                lead.active
                and lead.attribution_state == v.PROTECTED
                and not lead._attribution_is_won()
            )
        )

    def _attribution_mark_lost(self, at):
        """E5: the owner (or a manager) marked these customers Lost: they are
        given up to the public pool at once, the lost reason as the reason,
        and stay there visible and claimable (a claim restores the lead)."""
        for lead in self:
            reason = self.env.context.get("attribution_lost_reason") or lead.lost_reason_id.name
            feedback = self.env.context.get("attribution_lost_feedback")
            note = self.env._("Marked lost: %(reason)s", reason=reason or self.env._("no reason"))
            lead._attribution_give_up("\n".join(filter(None, [note, feedback])), at=at)

    def _attribution_lose(self, action, **context):
        """Run Odoo's lost or archive ``action`` on these leads, then give up
        the held customers it archived (E5), once the action is done."""
        if self.env.context.get(LOSING) is _LOSING:
            return action(self)
        losing = self.sudo().filtered("attribution_state")._attribution_losing()
        result = action(self.with_context(**{LOSING: _LOSING}, **context))
        lost = losing.filtered(lambda lead: not lead.active).with_env(self.env)
        lost.with_context(**context)._attribution_mark_lost(self._attribution_now())
        return result

    def action_set_lost(self, **additional_values):
        # E5: the lost reason is the reason the customer was given up
        reason = self.env["crm.lost.reason"].browse(additional_values.get("lost_reason_id"))
        return self._attribution_lose(
            lambda leads: super(CrmLeadOwnership, leads).action_set_lost(**additional_values),  # noqa: UP008
            attribution_lost_reason=reason.exists().name or False,
        )

    def action_archive(self):
        return self._attribution_lose(lambda leads: super(CrmLeadOwnership, leads).action_archive())  # noqa: UP008

    def _attribution_hand_over(self, at=None):
        """F4: the owner of these customers left; hand them to the manager."""
        return self.env["crm.attribution.sweep"]._hand_over(self, at=at)

    # ------------------------------------------------------------------
    # BUSINESS: claiming from the public pool (F1, F2)
    # ------------------------------------------------------------------

    def _attribution_claim(self, user=None, at=None):
        """F1 / F2: ``user`` claims this pool customer (see ``crm.attribution.pool``)."""
        self.ensure_one()
        return self.env["crm.attribution.pool"]._claim_customer(self, user or self.env.user, at)

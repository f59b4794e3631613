from odoo.exceptions import UserError
from odoo.tests import Form, tagged, users

from .common import DAY, T0, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestChangeRequests(LifecycleCase):
    """H1: a customer's request for another salesperson; H5 the manager decides."""

    def ask(self, lead, user, requested, reason="客户希望换人"):
        action = lead.with_user(user).action_attribution_change_request()
        form = Form(
            self.env["crm.attribution.change.request"]
            .with_user(user)
            .with_context(**action["context"]),
            view="crm_lead_attribution.crm_attribution_change_request_view_form_new",
        )
        form.requested_user_id = requested
        form.reason = reason
        return form.save()

    def test_h1_owner_accepts(self):
        """H1: recorded, the owner gets an activity, accepts, and the customer moves."""
        lead = self.register("张三", "13800138000", self.alice)
        with self.at(T0 + DAY):
            request = self.ask(lead, self.alice, self.bob)
        self.assertEqual((request.state, request.owner_id), ("pending", self.alice))
        self.assertEqual(self.ledger(lead)[-1].event, "request")
        change_type = self.env.ref("crm_lead_attribution.mail_activity_type_change_request")
        self.assertEqual(
            lead.activity_ids.filtered(lambda a: a.activity_type_id == change_type).user_id,
            self.alice,
        )
        self.assertTrue(request.with_user(self.alice).can_decide)
        self.assertFalse(request.with_user(self.bob).can_decide)
        with self.assertRefused(UserError, "Only the owner or a sales manager"):
            request.with_user(self.bob).action_accept()
        with self.at(T0 + 2 * DAY):
            request.with_user(self.alice).action_accept()
        self.assertEqual((request.state, request.decision_rule), ("accepted", "H1"))
        self.assertEqual(lead.user_id, self.bob)
        self.assertEqual(lead.attribution_owner_since, T0 + 2 * DAY)
        entry = self.ledger(lead)[-1]
        self.assertEqual(
            (entry.event, entry.rule, entry.previous_owner_id, entry.owner_id),
            ("ownership", "H1", self.alice, self.bob),
        )

    @users("cla_manager")
    def test_h5_manager_decides_and_declines(self):
        lead = self.register("张三", "13800138000", self.alice)
        request = self.ask(lead, self.env.user, self.bob)
        request.action_decline()
        self.assertEqual(
            (request.state, request.decision_rule, lead.user_id), ("declined", "H5", self.alice)
        )
        again = self.ask(lead, self.env.user, self.carol)
        again.action_accept()
        self.assertEqual((again.decision_rule, lead.user_id), ("H5", self.carol))

    def test_h1_refused_after_signing_or_to_the_owner(self):
        lead = self.register("张三", "13800138000", self.alice)
        with self.assertRefused(UserError, "already owns"):
            self.ask(lead, self.alice, self.alice)
        lead.with_user(self.alice).action_set_won()
        with self.assertRefused(UserError, "has signed"):
            self.ask(lead, self.alice, self.bob)
        self.assertFalse(
            self.env["crm.attribution.change.request"].sudo().search([("lead_id", "=", lead.id)])
        )

    @users("cla_alice")
    def test_h1_a_change_request_cannot_be_created_decided(self):
        lead = self.register("张三", "13800138000", self.alice)
        request = self.env["crm.attribution.change.request"].create(
            {
                "lead_id": lead.id,
                "requested_user_id": self.bob.id,
                "reason": "x",
                "state": "accepted",
                "decision_rule": "H5",
                "decided_by_id": self.manager.id,
            }
        )
        self.assertEqual(
            (request.state, request.decision_rule, request.decided_by_id.id),
            ("pending", False, False),
        )
        self.assertEqual(lead.user_id, self.alice)

from odoo.exceptions import UserError
from odoo.tests import Form, tagged, users

from .common import DAY, T0, LifecycleCase, PoolCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestManagerReassignment(LifecycleCase):
    """E4 not converted; F1 / H5 the manager's assignments, from list, form and action menu."""

    @users("cla_manager")
    def test_e4_not_converted_listed_and_reassigned_from_the_action_menu(self):
        """E4: after 30 days the manager lists and reassigns, with a reason."""
        lead = self.register("张三", "13800138000", self.alice)
        other = self.register("李四", "13900139000", self.alice, at=T0 + 20 * DAY)
        Lead = self.env["crm.lead"]
        with self.at(T0 + 31 * DAY):
            overdue = Lead.search([("attribution_conversion_overdue", "=", True)])
            self.assertIn(lead, overdue)
            self.assertNotIn(other, overdue)
            self.assertTrue(lead.attribution_conversion_overdue)
            server_action = self.env.ref(
                "crm_lead_attribution.crm_attribution_reassign_server_action"
            )
            action = server_action.with_context(
                active_model="crm.lead", active_ids=(lead | other).ids, active_id=lead.id
            ).run()
            form = Form(self.env["crm.attribution.reassign"].with_context(**action["context"]))
            self.assertEqual(form.lead_count, 2)
            form.user_id = self.bob
            form.reason = "三十天未成交，转给张伟跟进"
            form.save().action_reassign()
        self.assertEqual((lead.user_id, other.user_id), (self.bob, self.bob))
        self.assertEqual(self.ledger(lead)[-1].rule, "E4")
        self.assertEqual(self.ledger(lead)[-1].note, "三十天未成交，转给张伟跟进")
        self.assertEqual(self.ledger(other)[-1].rule, "H5", "not overdue: the manager's decision")
        self.assertEqual(lead.attribution_owner_since, T0 + 31 * DAY)

    def test_h5_reassign_from_the_form_button_and_refusals(self):
        lead = self.register("张三", "13800138000", self.alice)
        with self.assertRefused(UserError, "Only a sales manager"):
            lead.with_user(self.alice).action_attribution_reassign()
        action = lead.with_user(self.manager).action_attribution_reassign()
        wizard = (
            self.env["crm.attribution.reassign"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"user_id": self.reception.id, "reason": "x"})
        )
        with self.assertRefused(UserError, "cannot own customers"):
            wizard.action_reassign()
        wizard.user_id = self.carol
        wizard.action_reassign()
        self.assertEqual(lead.user_id, self.carol)

    def test_team_change_is_the_managers(self):
        """The team's policy applies: only a manager moves a customer to another team."""
        lead = self.register("张三", "13800138000", self.alice)
        other = self.env["crm.team"].create(
            {"name": "No release", "attribution_override": True, "attribution_release": False}
        )
        with self.assertRefused(UserError, "Only a sales manager can move"):
            lead.with_user(self.alice).write({"team_id": other.id})
        lead.with_user(self.manager).write({"team_id": other.id})
        self.assertEqual(lead.team_id, other)

    def test_a2_a_registered_customer_stays_in_its_company(self):
        """A2: the phone identifies the customer within its company, whose policy
        applies: nobody, the manager included, moves it out or clears its company."""
        lead = self.register("张三", "13800138000", self.alice)
        other = self.env["res.company"].create({"name": "Other Office"})
        for company in (False, other.id):
            with self.assertRefused(UserError, "stays in the company"):
                lead.with_user(self.manager).write({"company_id": company})
        self.assertEqual(lead.company_id, self.company)


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestPoolAssignment(PoolCase):
    """F1: the manager assigns a customer of the public pool."""

    def test_f1_manager_assigns_from_the_pool(self):
        """F1: the manager assigns a pool customer to anyone, without the limits."""
        self.company.attribution_daily_claim_limit = 0
        action = self.pool_row(self.lead, self.manager).action_assign()
        wizard = (
            self.env["crm.attribution.reassign"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"user_id": self.alice.id, "reason": "老客户熟悉情况"})
        )
        with self.at(T0 + 11 * DAY):
            wizard.action_reassign()
        self.assertEqual(self.lead.user_id, self.alice)
        self.assertEqual(self.ledger(self.lead)[-1].rule, "F1")
        with self.assertRaises(UserError):
            self.pool_row(self.lead, self.bob).action_assign()

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import T0, AttributionCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestRegistration(AttributionCase):
    """Registration at the desk (登记 / 判客): A2, A3, A4, B2, B3, C1, E3, E7, F1."""

    def test_b2_new_walk_in_belongs_to_the_receiver(self):
        """B2 / A3: the receptionist registers a new walk-in; the receiver owns it."""
        wizard = self.desk(
            self.reception, "张三", "138 0013 8000", receiver=self.alice, note="看了样板间"
        )
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.outcome, "new")
        self.assertEqual(wizard.owner_id, self.alice)
        self.assertEqual(wizard.rule, "B2")
        self.assertEqual(wizard.owner_since, T0)
        self.assertEqual(wizard.protected_until, T0 + timedelta(days=10))
        self.assertIn("10 days", wizard.reason)
        self.assertFalse(wizard.result_lead_id, "reception cannot open the customer's lead")

        lead = self.lead_of("13800138000")
        self.assertEqual(lead.user_id, self.alice)
        self.assertEqual(lead.attribution_state, "protected")
        self.assertEqual(lead.attribution_first_receiver_id, self.alice)
        self.assertEqual(lead.attribution_first_contact_date, T0)
        self.assertEqual(lead.attribution_source_channel, "visit")
        self.assertEqual(lead.attribution_protected_until, T0 + timedelta(days=10))
        self.assertEqual(lead.attribution_days_left, 10)
        self.assertEqual(lead.attribution_rule, "B2")
        self.assertTrue(lead.attribution_visited)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.team_id, self.team)
        self.assertEqual(lead.partner_id.name, "张三")
        self.assertEqual(lead.phone, "+86 138 0013 8000")
        self.assertEqual(lead.phone_sanitized, "+8613800138000")
        self.assertEqual(lead.country_id, self.env.ref("base.cn"))
        # E2: the first follow-up is due within 2 days, for the owner
        activity = lead.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.alice)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("crm_lead_attribution.mail_activity_type_first_follow_up"),
        )
        self.assertEqual(str(activity.date_deadline), "2026-03-04")
        self.assertEqual(lead.attribution_first_follow_up_due, T0 + timedelta(days=2))
        # the chatter tells who registered and why
        body = lead.message_ids[0].body
        self.assertIn("Reception Amy", body)
        self.assertIn("B2", body)
        self.assertIn("看了样板间", body)

    def test_b2_salesperson_registers_own_walk_in_and_can_open_it(self):
        """B2: a salesperson at the desk receives the walk-in and may open the lead."""
        wizard = self.desk(self.bob, "李四", "13912345678")
        self.assertEqual(wizard.receiver_id, self.bob, "the salesperson receives by default")
        self.assertEqual(wizard.owner_id, self.bob)
        lead = wizard.result_lead_id
        self.assertTrue(lead)
        action = wizard.action_open_lead()
        self.assertEqual(action["res_id"], lead.id)
        self.assertEqual(lead.with_user(self.bob).user_id, self.bob)

    def test_c1_first_caller_belongs_to_the_call_receiver(self):
        """C1: the receiver of the first call owns the customer for the call period."""
        wizard = self.desk(self.carol, "王五", "+86 137 0000 1111", kind="call")
        self.assertEqual(wizard.rule, "C1")
        self.assertEqual(wizard.protected_until, T0 + timedelta(days=15))
        lead = self.lead_of("13700001111")
        self.assertEqual(lead.attribution_ownership_kind, "call")
        self.assertEqual(lead.attribution_source_channel, "call")
        self.assertFalse(lead.attribution_visited)
        self.assertFalse(lead.activity_ids, "E2 counts from a first visit, not a call")

    def test_a3_a4_channel_registration_with_source(self):
        """A3 / A4: a channel registration starts ownership and keeps its source channel."""
        wizard = self.desk(self.reception, "赵六", "13611112222", kind="channel", receiver=self.bob)
        self.assertEqual(wizard.source_channel, "channel")
        self.assertEqual(wizard.rule, "A3")
        self.assertEqual(wizard.protected_until, T0 + timedelta(days=15))
        referral = self.desk(
            self.reception, "钱七", "13611113333", receiver=self.bob, source_channel="referral"
        )
        self.assertEqual(self.lead_of("13611113333").attribution_source_channel, "referral")
        self.assertEqual(referral.rule, "B2")

    def test_a2_wizard_previews_the_outcome_before_saving(self):
        """A2: typing the phone shows new or returning, owner, deadline, rule and reason."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        with self.at(T0 + timedelta(days=3)):
            form = Form(self.env["crm.attribution.register"].with_user(self.reception))
            form.receiver_id = self.bob
            form.name = "张先生"
            form.phone = "138-0013-8000"
            self.assertEqual(form.outcome, "returning")
            self.assertEqual(form.owner_id, self.alice)
            self.assertEqual(form.owner_since, T0)
            self.assertEqual(form.rule, "B3")
            self.assertIn("goes to the owner", form.reason)
            form.phone = "13800138999"
            self.assertEqual(form.outcome, "new")
            self.assertEqual(form.owner_id, self.bob)
            form.phone = "12345"
            self.assertFalse(form.outcome)
            self.assertIn("not a valid phone number", form.problem)
        self.assertEqual(
            self.env["crm.lead"].sudo().search_count([("phone_sanitized", "=", "+8613800138999")]),
            0,
            "previewing saves nothing",
        )

    def test_b3_returning_customer_within_protection_stays_with_owner(self):
        """B3: a returning visitor registered by someone else goes to the owner."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        lead = self.lead_of("13800138000")
        with self.at(T0 + timedelta(days=4)):
            wizard = self.desk(
                self.reception,
                "张三",
                "+86 138 0013 8000",
                receiver=self.bob,
                named_user_id=self.alice,
                note="客户说找李经理",
            )
        self.assertEqual(wizard.outcome, "returning")
        self.assertEqual(wizard.owner_id, self.alice)
        self.assertEqual(wizard.rule, "B3")
        self.assertEqual(lead.user_id, self.alice)
        self.assertEqual(lead.attribution_first_receiver_id, self.alice)
        self.assertEqual(
            lead.attribution_protected_until,
            T0 + timedelta(days=14),
            "the visit extends protection (E1)",
        )
        self.assertEqual(lead.attribution_last_follow_up, T0 + timedelta(days=4))
        self.assertEqual(
            self.env["crm.lead"].sudo().search_count([("phone_sanitized", "=", "+8613800138000")]),
            1,
        )
        entries = self.ledger(lead)
        self.assertEqual(entries.mapped("event"), ["registration", "reception"])
        self.assertEqual(entries[1].receiver_id, self.bob)
        self.assertEqual(entries[1].evidence_user_id, self.alice)
        self.assertFalse(entries[1].ownership_changed)
        self.assertIn("Alice Li", lead.message_ids[0].body, "the customer named the owner (B3)")

    def test_b3_caller_first_visit_schedules_first_follow_up(self):
        """B3 + E2: a caller's first visit keeps the owner and makes the first follow-up due."""
        self.desk(self.carol, "王五", "13700001111", kind="call")
        lead = self.lead_of("13700001111")
        with self.at(T0 + timedelta(days=5)):
            wizard = self.desk(self.reception, "王五", "13700001111", receiver=self.alice)
        self.assertEqual(wizard.owner_id, self.carol)
        self.assertTrue(lead.attribution_visited)
        self.assertEqual(lead.activity_ids.user_id, self.carol)
        self.assertEqual(lead.attribution_protected_until, T0 + timedelta(days=15))

    def test_e3_expired_customer_is_treated_as_new(self):
        """E3: after 10 days without follow-up the former owner has no claim."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        lead = self.lead_of("13800138000")
        self.assertEqual(lead.activity_ids.user_id, self.alice)
        later = T0 + timedelta(days=11)
        with self.at(later):
            self.assertTrue(lead.attribution_expired)
            self.assertIn(lead, self.env["crm.lead"].search([("attribution_expired", "=", True)]))
            wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.bob)
        self.assertEqual(wizard.outcome, "expired")
        self.assertEqual(wizard.rule, "E3")
        self.assertEqual(wizard.owner_id, self.bob)
        self.assertIn("no claim", wizard.reason)
        self.assertEqual(lead.user_id, self.bob)
        self.assertEqual(lead.attribution_first_receiver_id, self.bob)
        self.assertEqual(lead.attribution_owner_since, later)
        self.assertEqual(
            lead.activity_ids.user_id, self.bob, "the former owner's E2 activity is gone"
        )
        entry = self.ledger(lead)[-1]
        self.assertEqual((entry.previous_owner_id, entry.owner_id), (self.alice, self.bob))
        self.assertTrue(entry.ownership_changed)

    def test_e5_lost_customer_registered_again_is_back_in_the_pipeline(self):
        """E5: a customer marked lost went to the pool; registered again, it is new
        for the receiver and its lead is back in the pipeline."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        lead = self.lead_of("13800138000")
        lead.with_user(self.alice).action_set_lost()
        self.assertFalse(lead.active)
        self.assertEqual(lead.attribution_state, "pool")
        with self.at(T0 + timedelta(days=20)):
            wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.carol)
        self.assertEqual(wizard.outcome, "pool")
        self.assertTrue(lead.active)
        self.assertEqual(lead.user_id, self.carol)

    def test_e7_closed_customer_stays_locked_with_owner(self):
        """E7: a won deal locks ownership; a much later visit still goes to the owner."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        lead = self.lead_of("13800138000")
        with self.at(T0 + timedelta(days=5)):
            lead.with_user(self.alice).action_set_won()
        self.assertEqual(lead.attribution_state, "locked")
        self.assertFalse(lead.attribution_protected_until)
        self.assertEqual(lead.attribution_rule, "E7")
        with self.at(T0 + timedelta(days=200)):
            self.assertFalse(lead.attribution_expired)
            wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.bob)
        self.assertEqual(wizard.outcome, "returning")
        self.assertEqual(wizard.rule, "E7")
        self.assertEqual(lead.user_id, self.alice)
        self.assertEqual(
            self.ledger(lead).mapped("event"), ["registration", "closing", "share", "reception"]
        )
        # reopening the deal (a manager's decision) protects the customer again
        with self.at(T0 + timedelta(days=201)):
            lead.with_user(self.manager).write({"stage_id": self.env.ref("crm.stage_lead1").id})
        self.assertEqual(lead.attribution_state, "protected")
        self.assertEqual(lead.attribution_protected_until, T0 + timedelta(days=211))

    def test_a3_unregistered_lead_is_taken_over_by_the_receiver(self):
        """A3: a lead entered without registration creates no ownership."""
        manual = (
            self.env["crm.lead"]
            .with_user(self.alice)
            .create(
                {
                    "name": "Walk-in noted by hand",
                    "phone": "13800138000",
                    "country_id": self.env.ref("base.cn").id,
                }
            )
        )
        self.assertFalse(manual.attribution_state)
        wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.bob)
        self.assertEqual(wizard.outcome, "new")
        self.assertEqual(self.lead_of("13800138000"), manual)
        manual.invalidate_recordset()
        self.assertEqual(manual.sudo().user_id, self.bob)
        self.assertEqual(manual.sudo().attribution_state, "protected")
        self.assertEqual(manual.sudo().partner_id.name, "张三")

    def test_a2_lead_form_register_button_prefills_the_desk(self):
        """The lead form opens the desk for its customer."""
        self.desk(self.alice, "张三", "13800138000")
        lead = self.lead_of("13800138000").with_user(self.alice)
        action = lead.action_attribution_register()
        self.assertEqual(action["res_model"], "crm.attribution.register")
        with self.at(T0 + timedelta(days=1)):
            form = Form(
                self.env["crm.attribution.register"]
                .with_user(self.alice)
                .with_context(**action["context"])
            )
            self.assertEqual(form.phone, "+86 138 0013 8000")
            self.assertEqual(form.name, "张三")
            self.assertEqual(form.outcome, "returning")
            wizard = form.save()
            wizard.action_register()
        self.assertEqual(wizard.rule, "B3")
        again = wizard.action_register_another()
        fresh = self.env["crm.attribution.register"].browse(again["res_id"])
        self.assertEqual(
            (fresh.state, fresh.kind, fresh.receiver_id), ("draft", "visit", self.alice)
        )

    def test_a2_merging_keeps_the_registered_customer(self):
        """A2: merging with a duplicate keeps the registered lead; two customers never merge."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        lead = self.lead_of("13800138000")
        duplicate = self.env["crm.lead"].create(
            {
                "name": "Duplicate",
                "type": "opportunity",
                "user_id": self.alice.id,
                "stage_id": self.env.ref("crm.stage_lead3").id,
            }
        )
        merged = (lead | duplicate).with_user(self.alice).merge_opportunity()
        self.assertEqual(merged, lead)
        self.assertFalse(duplicate.exists())
        self.assertEqual(self.lead_of("13800138000"), lead)
        self.desk(self.reception, "李四", "13900139000", receiver=self.alice)
        with self.assertRefused(UserError, "cannot be merged"):
            (lead | self.lead_of("13900139000")).with_user(self.alice).merge_opportunity()

    def test_e5_the_owners_lost_customer_visiting_again_is_new_for_the_receiver(self):
        """E5: marking a customer lost is giving it up: when it visits again it is
        new for the receiver (from the pool), and its lead is back in the pipeline."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        lead = self.lead_of("13800138000")
        lead.with_user(self.alice).action_set_lost()
        with self.at(T0 + timedelta(days=2)):
            wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.bob)
        self.assertEqual((wizard.outcome, wizard.owner_id), ("pool", self.bob))
        self.assertTrue(lead.active)

    def test_e7_a_won_deal_marked_lost_is_protected_again(self):
        """E7: a cancelled deal (won, then marked lost by the sales manager) is
        protected again for the owner, and says so."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        lead = self.lead_of("13800138000")
        lead.with_user(self.alice).action_set_won()
        with self.at(T0 + timedelta(days=3)):
            lead.with_user(self.manager).action_set_lost()
        self.assertEqual(lead.attribution_state, "protected")
        self.assertIn("marked lost", self.ledger(lead)[-1].reason)

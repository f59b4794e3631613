"""Referrals (老带新) and reports (报备): rules D1-D4, as reception, the
salespeople and the manager would meet them."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import DAY, T0, AttributionCase


@tagged("post_install", "-at_install")
class TestReferral(AttributionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Report = cls.env["crm.attribution.referral"]

    def referred(self, name, phone, referrer_phone, present=True, user=None, receiver=None):
        """Register a walk-in brought by the customer of ``referrer_phone``."""
        return self.desk(
            user or self.reception,
            name,
            phone,
            receiver=receiver or self.carol,
            referrer_phone=referrer_phone,
            referrer_present=present,
        )

    def report(self, user, phone, name="新人", referrer=None, kind="referral"):
        values = {"kind": kind, "name": name, "phone": phone}
        if referrer:
            values["referrer_lead_id"] = referrer.id
        return self.Report.with_user(user).create(values)

    # -- D1 ----------------------------------------------------------------

    def test_d1_a_present_referrer_brings_the_visitor_to_the_referrers_owner(self):
        jia = self.register("甲", "13800001111", self.alice)
        wizard = self.referred("乙", "13800002222", "138 0000 1111")
        yi = self.lead_of("13800002222")
        self.assertEqual((wizard.rule, wizard.owner_id, yi.user_id), ("D1", self.alice, self.alice))
        self.assertEqual(yi.partner_id.attribution_referrer_id, jia.partner_id)
        self.assertEqual(yi.attribution_source_channel, "referral")
        entry = self.ledger(yi)[-1]
        self.assertEqual(
            (entry.rule, entry.event, entry.owner_id), ("D1", "registration", self.alice)
        )
        self.assertIn("Alice Li", entry.reason)
        self.assertNotIn("甲", entry.reason, "no customer's name in the desk's sentence (F3)")

    def test_d1_the_chain_continues_and_has_its_first_customer_and_depth(self):
        jia = self.register("甲", "13800001111", self.alice)
        self.referred("乙", "13800002222", "13800001111")
        self.referred("丙", "13800003333", "13800002222", receiver=self.bob)
        bing = self.lead_of("13800003333")
        self.assertEqual(bing.user_id, self.alice, "丙, brought by 乙, is A's too (D1)")
        self.assertEqual(bing.partner_id.attribution_referral_root_id, jia.partner_id)
        self.assertEqual(bing.partner_id.attribution_referral_depth, 2)
        self.assertEqual(jia.partner_id.attribution_referral_count, 1)

    def test_d1_a_referred_customer_has_its_own_protection(self):
        with self.at(T0 - 5 * DAY):
            self.register("甲", "13800001111", self.alice)
        self.referred("乙", "13800002222", "13800001111")
        yi = self.lead_of("13800002222")
        self.assertEqual(yi.attribution_owner_since, T0)
        self.assertEqual(yi.attribution_protected_until, T0 + 10 * DAY)

    def test_d1_a_cycle_is_refused(self):
        jia = self.register("甲", "13800001111", self.alice)
        self.referred("乙", "13800002222", "13800001111")
        yi = self.lead_of("13800002222")
        with self.assertRefused(ValidationError, "by themselves"):
            jia.partner_id.with_user(self.manager).attribution_referrer_id = yi.partner_id
        self.assertFalse(jia.partner_id.attribution_referrer_id)

    def test_d1_root_and_depth_do_not_depend_on_the_order_of_linking(self):
        Partner = self.root["res.partner"]
        a, b, c = (Partner.create({"name": name}) for name in ("甲", "乙", "丙"))
        c.attribution_referrer_id = b  # 丙 linked to 乙 first
        b.attribution_referrer_id = a  # then 乙 to 甲
        self.assertEqual((c.attribution_referral_root_id, c.attribution_referral_depth), (a, 2))
        x, y, z = (Partner.create({"name": name}) for name in ("甲2", "乙2", "丙2"))
        y.attribution_referrer_id = x
        z.attribution_referrer_id = y
        self.assertEqual((z.attribution_referral_root_id, z.attribution_referral_depth), (x, 2))

    def test_d1_the_chain_opens_as_a_hierarchy_from_any_customer(self):
        jia = self.register("甲", "13800001111", self.alice)
        self.referred("乙", "13800002222", "13800001111")
        yi = self.lead_of("13800002222")
        action = yi.partner_id.with_user(self.manager).action_attribution_referral_chain()
        self.assertEqual(action["view_mode"], "hierarchy")
        self.assertEqual(action["domain"], [("id", "=", jia.partner_id.id)])
        rows = self.root["res.partner"].hierarchy_read(
            action["domain"], ["name"], "attribution_referrer_id", "attribution_referral_ids"
        )
        self.assertEqual({row["name"] for row in rows}, {"甲", "乙"})

    # -- D2 ----------------------------------------------------------------

    def test_d2_a_chance_meeting_does_not_count(self):
        self.register("甲", "13800001111", self.alice)
        wizard = self.referred("乙", "13800002222", "13800001111", present=False)
        yi = self.lead_of("13800002222")
        self.assertEqual((wizard.rule, yi.user_id), ("B2", self.carol))
        self.assertEqual(wizard.referral_rule, "D2")
        self.assertIn("chance meeting", wizard.referral_reason)
        self.assertFalse(yi.partner_id.attribution_referrer_id)

    def test_d2_the_preview_says_which_applied(self):
        self.register("甲", "13800001111", self.alice)
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.reception)
            .create(
                {
                    "name": "乙",
                    "phone": "13800002222",
                    "receiver_id": self.carol.id,
                    "referrer_phone": "13800001111",
                    "referrer_present": True,
                }
            )
        )
        self.assertEqual(
            (wizard.rule, wizard.owner_id, wizard.referral_rule), ("D1", self.alice, "D1")
        )
        self.assertFalse(self.lead_of("13800002222"), "a preview saves nothing")

    def test_d2_a_confirmed_report_counts_without_the_referrer(self):
        jia = self.register("甲", "13800001111", self.alice)
        report = self.report(self.alice, "138 0000 2222", referrer=jia.with_user(self.alice))
        self.assertEqual((report.state, report.user_id), ("draft", self.alice))
        self.assertEqual(self.ledger(jia)[-1].rule, "D2")
        report.with_user(self.manager).action_confirm()
        with self.at(T0 + 3 * DAY):
            wizard = self.desk(self.reception, "乙", "13800002222", receiver=self.carol)
        yi = self.lead_of("13800002222")
        self.assertEqual((wizard.rule, yi.user_id), ("D1", self.alice))
        self.assertEqual((report.state, report.lead_id), ("used", yi))
        self.assertEqual(yi.partner_id.attribution_referrer_id, jia.partner_id)

    def test_d2_an_unconfirmed_or_expired_report_does_not_count(self):
        jia = self.register("甲", "13800001111", self.alice)
        self.report(self.alice, "13800002222", referrer=jia.with_user(self.alice))
        wizard = self.desk(self.reception, "乙", "13800002222", receiver=self.carol)
        self.assertEqual(
            (wizard.rule, wizard.owner_id, wizard.referral_rule), ("B2", self.carol, "D2")
        )
        self.assertIn("not confirmed", wizard.referral_reason)
        report = self.report(self.alice, "13800003333", referrer=jia.with_user(self.alice))
        report.with_user(self.manager).action_confirm()
        with self.at(T0 + 31 * DAY):
            wizard = self.desk(self.reception, "丙", "13800003333", receiver=self.carol)
        self.assertEqual((wizard.rule, wizard.owner_id), ("B2", self.carol))
        self.assertIn("expired", wizard.referral_reason)

    def test_d2_a_report_does_not_take_a_customer_someone_holds(self):
        jia = self.register("甲", "13800001111", self.alice)
        self.register("乙", "13800002222", self.bob)
        report = self.report(self.alice, "13800002222", referrer=jia.with_user(self.alice))
        report.with_user(self.manager).action_confirm()
        with self.at(T0 + DAY):
            wizard = self.desk(self.reception, "乙", "13800002222", receiver=self.carol)
        self.assertEqual((wizard.rule, wizard.owner_id), ("B3", self.bob))
        self.assertEqual(report.state, "confirmed")

    # -- D3 ----------------------------------------------------------------

    def test_d3_the_referrers_owner_left_the_on_duty_salesperson_owns(self):
        self.register("甲", "13800001111", self.alice)
        self.alice.action_archive()  # F4: 甲 goes to the handover list
        wizard = self.referred("乙", "13800002222", "13800001111")
        yi = self.lead_of("13800002222")
        self.assertEqual((wizard.rule, yi.user_id), ("D3", self.carol))
        self.assertEqual(self.ledger(yi)[-1].rule, "D3")

    def test_d3_a_closed_customers_owner_left(self):
        jia = self.register("甲", "13800001111", self.alice)
        jia.with_user(self.alice).action_set_won()
        self.alice.action_archive()  # F4: 甲 stays closed, marked for handover
        wizard = self.referred("乙", "13800002222", "13800001111")
        self.assertEqual((wizard.rule, wizard.owner_id), ("D3", self.carol))

    # -- D4 ----------------------------------------------------------------

    def test_d4_a_reported_relative_belongs_to_the_salesperson(self):
        report = self.report(self.bob, "13800004444", name="王姐", kind="relation")
        report.with_user(self.manager).action_confirm()
        wizard = self.desk(self.reception, "王姐", "13800004444", receiver=self.carol)
        self.assertEqual((wizard.rule, wizard.owner_id), ("D4", self.bob))
        self.assertEqual(report.state, "used")
        entries = self.root["crm.attribution.ledger"].search(
            [("event", "=", "referral"), ("phone", "=", "+8613800004444")]
        )
        self.assertEqual(entries.mapped("rule"), ["D4", "D4"])

    def test_d4_an_unreported_relative_is_the_on_duty_salespersons(self):
        wizard = self.desk(self.reception, "王姐", "13800004444", receiver=self.carol)
        self.assertEqual((wizard.rule, wizard.owner_id), ("B2", self.carol))

    # -- who may do what ---------------------------------------------------

    def test_d2_a_salesperson_reports_only_their_own_customers_referrals(self):
        jia = self.register("甲", "13800001111", self.alice)
        with self.assertRaises(AccessError):
            self.report(self.bob, "13800002222", referrer=jia.with_user(self.bob))
        self.assertFalse(self.Report.search([("phone_e164", "=", "+8613800002222")]))

    def test_d2_a_salesperson_cannot_confirm_forge_or_read_others_reports(self):
        jia = self.register("甲", "13800001111", self.alice)
        report = self.report(self.alice, "13800002222", referrer=jia.with_user(self.alice))
        with self.assertRefused(UserError, "sales manager confirms"):
            report.with_user(self.alice).action_confirm()
        with self.assertRefused(UserError, "stays as it was made"):
            report.with_user(self.alice).write({"state": "confirmed"})
        forged = self.Report.with_user(self.alice).create(
            {
                "name": "丙",
                "phone": "13800003333",
                "referrer_lead_id": jia.id,
                "state": "confirmed",
                "user_id": self.bob.id,
                "date": T0 - 40 * DAY,
            }
        )
        self.assertEqual((forged.state, forged.user_id, forged.date), ("draft", self.alice, T0))
        self.assertFalse(
            self.Report.with_user(self.bob).search([("id", "in", (report | forged).ids)])
        )
        self.assertEqual(
            self.Report.with_user(self.manager).search_count([("id", "=", report.id)]), 1
        )

    def test_d1_a_salesperson_cannot_look_up_a_referrer_at_the_desk(self):
        self.register("甲", "13800001111", self.alice)
        # the field is not on a salesperson's dialog; over RPC it is refused
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.bob)
            .create(
                {
                    "name": "乙",
                    "phone": "13800002222",
                    "receiver_id": self.bob.id,
                    "referrer_phone": "13800001111",
                    "referrer_present": True,
                }
            )
        )
        self.assertFalse(wizard.referral_reason, "no preview of who holds the number")
        self.assertNotEqual(wizard.owner_id, self.alice)
        with self.assertRefused(UserError, "reception desk registers who brought"):
            wizard.action_register()
        self.assertFalse(self.lead_of("13800002222"))

    def test_d1_an_unknown_referrer_phone_is_refused_with_the_reason(self):
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.reception)
            .create(
                {
                    "name": "乙",
                    "phone": "13800002222",
                    "receiver_id": self.carol.id,
                    "referrer_phone": "13900009999",
                    "referrer_present": True,
                }
            )
        )
        self.assertIn("not the phone of a registered customer", wizard.problem)
        with self.assertRefused(ValidationError, "not the phone of a registered customer"):
            wizard.action_register()
        self.assertFalse(self.lead_of("13800002222"))

    def test_d2_settings_report_expiry(self):
        self.company.attribution_referral_report_days = 5
        jia = self.register("甲", "13800001111", self.alice)
        report = self.report(self.alice, "13800002222", referrer=jia.with_user(self.alice))
        self.assertEqual(report.expires_at, T0 + 5 * DAY)
        with self.assertRefused(ValidationError, "Reports Expire"):
            self.company.attribution_referral_report_days = 0

    # -- the RPC break-in round ---------------------------------------------

    def test_d1_a_hidden_referrer_is_not_named_on_a_readable_contact(self):
        self.register("甲", "13800001111", self.alice)
        self.referred("乙", "13800002222", "13800001111")
        yi = self.lead_of("13800002222")
        self.assertEqual(yi.partner_id.with_user(self.alice).attribution_referred_by, "甲")
        yi.with_user(self.manager).user_id = self.bob  # 乙 given to Bob (H5); 甲 stays Alice's
        contact = yi.partner_id.with_user(self.bob)
        self.assertFalse(contact.attribution_referred_by)
        self.assertEqual(contact.attribution_referral_depth, 1)
        for fname in ("attribution_referrer_id", "attribution_referral_root_id"):
            with self.assertRaises(AccessError):
                contact.read([fname])
        with self.assertRaises(AccessError):
            contact.read(["attribution_referral_ids"])

    def test_d1_a_salesperson_registering_a_reported_visitor_learns_only_the_owner(self):
        jia = self.register("甲", "13800001111", self.alice)
        report = self.report(self.alice, "13800002222", referrer=jia.with_user(self.alice))
        report.with_user(self.manager).action_confirm()
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.bob)
            .create({"name": "乙", "phone": "13800002222", "receiver_id": self.bob.id})
        )
        self.assertEqual(wizard.owner_id, self.bob, "the preview stays blind (F3)")
        wizard.action_register()
        self.assertEqual((wizard.rule, wizard.owner_id), ("D1", self.alice))
        self.assertFalse(wizard.referral_reason)
        self.assertNotIn("甲", wizard.reason)
        self.assertIn("Alice Li", wizard.reason)

    def test_d2_a_draft_report_is_not_told_to_a_salesperson(self):
        jia = self.register("甲", "13800001111", self.alice)
        self.report(self.alice, "13800002222", referrer=jia.with_user(self.alice))
        wizard = self.desk(self.bob, "乙", "13800002222", receiver=self.bob)
        self.assertEqual((wizard.rule, wizard.owner_id), ("B2", self.bob))
        self.assertFalse(wizard.referral_rule or wizard.referral_reason)

    def test_d4_a_report_on_a_held_customer_changes_nothing_of_the_visit(self):
        self.register("甲", "13800001111", self.alice)
        report = self.report(self.bob, "13800001111", name="甲", kind="relation")
        report.with_user(self.manager).action_confirm()
        with self.at(T0 + DAY):
            wizard = self.desk(self.reception, "甲", "13800001111", receiver=self.carol)
        self.assertEqual(
            (wizard.rule, wizard.owner_id, wizard.receiver_id), ("B3", self.alice, self.carol)
        )
        self.assertEqual(self.ledger(self.lead_of("13800001111"))[-1].receiver_id, self.carol)
        self.assertEqual(report.state, "confirmed")

    def test_d4_a_report_does_not_take_a_pool_customer(self):
        pooled = self.released("甲", "13800001111", owner=self.alice)
        report = self.report(self.bob, "13800001111", name="甲", kind="relation")
        report.with_user(self.manager).action_confirm()
        with self.at(T0 + 11 * DAY):
            wizard = self.desk(self.reception, "甲", "13800001111", receiver=self.carol)
        self.assertEqual((wizard.rule, pooled.user_id), ("F1", self.carol))

    def test_d1_a_referrer_id_sent_as_text_gets_a_clear_answer(self):
        jia = self.register("甲", "13800001111", self.alice)
        Partner = self.env["res.partner"].with_user(self.manager)
        other = Partner.create({"name": "丁"})
        other.write({"attribution_referrer_id": str(jia.partner_id.id)})  # no crash
        with self.assertRefused(ValidationError, "Choose the customer"):
            other.write({"attribution_referrer_id": "abc"})

    # -- D4: company relations --------------------------------------------

    def test_d4_company_relations_go_to_the_managers_list(self):
        wizard = self.desk(
            self.reception, "王总", "13800005555", receiver=self.carol, company_relations=True
        )
        lead = self.lead_of("13800005555")
        self.assertEqual((wizard.rule, wizard.owner_id), ("D4", self.env["res.users"]))
        self.assertEqual(
            (lead.user_id, lead.attribution_state), (self.env["res.users"], "handover")
        )
        self.assertEqual(lead.attribution_source_channel, "company")
        self.assertFalse(lead.activity_ids, "no first follow-up without an owner")
        self.assertTrue(self.notified(self.manager, "王总"), "the manager is told")
        self.env["crm.lead"].browse(lead.id).with_user(self.manager)._attribution_assign(
            self.bob, "公司关系，交给 Bob"
        )
        self.assertEqual((lead.user_id, lead.attribution_state), (self.bob, "protected"))

    def test_d4_a_salesperson_cannot_send_their_walk_in_to_the_managers_list(self):
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.bob)
            .create(
                {
                    "name": "王总",
                    "phone": "13800005555",
                    "receiver_id": self.bob.id,
                    "company_relations": True,
                }
            )
        )
        with self.assertRefused(UserError, "registers the company's relations"):
            wizard.action_register()
        self.assertFalse(self.lead_of("13800005555"))
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.bob)
            .create(
                {
                    "name": "王总",
                    "phone": "13800005555",
                    "receiver_id": self.bob.id,
                    "source_channel": "company",
                }
            )
        )
        with self.assertRefused(UserError, "registers the company's relations"):
            wizard.action_register()
        self.assertFalse(self.lead_of("13800005555"))

    def test_d1_a_salesperson_opens_their_customers_contact_form(self):
        """RPC round 3: the form's referral count read the referrer field,
        which only users seeing all leads may read."""
        self.register("甲", "13800001111", self.alice)
        self.referred("乙", "13800002222", "13800001111")
        jia = self.lead_of("13800001111").partner_id.with_user(self.alice)
        values = jia.web_read(
            {"display_name": {}, "attribution_referral_count": {}, "attribution_referral_depth": {}}
        )
        self.assertEqual(values[0]["attribution_referral_count"], 1)
        form = Form(jia)
        self.assertEqual(form.name, "甲")

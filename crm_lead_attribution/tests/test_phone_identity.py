from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import T0, AttributionCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestPhoneIdentity(AttributionCase):
    """Phone identity (A2) and bad input (A1): clear errors, nothing half-saved."""

    def counts(self):
        sudo = self.env["crm.lead"].sudo().with_context(active_test=False)
        return (
            sudo.search_count([("attribution_state", "!=", False)]),
            self.env["res.partner"].sudo().search_count([]),
            self.env["crm.attribution.ledger"].sudo().search_count([]),
            self.env["crm.attribution.identity"].sudo().search_count([]),
        )

    def test_a2_every_writing_of_a_mobile_is_one_customer(self):
        """A2: +86 138 0013 8000, 13800138000, 138-0013-8000 and +8613800138000 are one customer."""
        first = self.desk(self.reception, "张三", "+86 138 0013 8000", receiver=self.alice)
        self.assertEqual(first.outcome, "new")
        for writing in (
            "13800138000",
            "138-0013-8000",
            "+8613800138000",
            " 138 0013 8000 ",
            "0086 138 0013 8000",
        ):
            wizard = self.desk(self.reception, "张三", writing, receiver=self.bob)
            self.assertEqual((wizard.outcome, wizard.owner_id), ("returning", self.alice), writing)
        lead = self.lead_of("13800138000")
        self.assertEqual(len(self.ledger(lead)), 6)
        self.assertEqual(
            self.env["crm.lead"].sudo().search_count([("phone_sanitized", "=", "+8613800138000")]),
            1,
        )

    def test_a2_landlines_are_identified_too(self):
        """A2: a Beijing landline written three ways is one customer."""
        self.desk(self.alice, "刘先生", "010-6552 9988", kind="call")
        for writing in ("(010) 65529988", "+86 10 6552 9988"):
            self.assertEqual(
                self.desk(self.bob, "刘先生", writing, kind="call").outcome, "returning"
            )
        self.assertEqual(self.lead_of("01065529988").phone_sanitized, "+861065529988")

    def test_a2_lookup_finds_the_owner_without_the_name(self):
        """B3 / A2: the phone finds the owner even under another name."""
        self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        wizard = self.desk(self.reception, "张先生", "13800138000", receiver=self.bob)
        self.assertEqual(wizard.owner_id, self.alice)

    def test_a1_bad_input_is_refused_and_nothing_is_saved(self):
        """A1: no name, no phone, 12345, abc, a foreign number: clear error, nothing saved."""
        before = self.counts()
        cases = [
            ("", "13800138000", "name is missing"),
            ("123", "13800138000", "is not a name"),
            ("张三", "12345", "not a valid phone number"),
            ("张三", "abc", "is not a phone number"),
            ("张三", "+1 650 253 0000", "another country"),
            ("张三", "+44 20 7946 0958", "another country"),
        ]
        Register = self.env["crm.attribution.register"].with_user(self.reception)
        for name, phone, message in cases:
            wizard = Register.create({"name": name, "phone": phone, "receiver_id": self.alice.id})
            with self.assertRaises(ValidationError) as error:
                wizard.action_register()
            self.assertIn(message, error.exception.args[0], (name, phone))
            self.assertEqual(wizard.state, "draft")
        wizard = Register.create({"name": "张三", "phone": False, "receiver_id": self.alice.id})
        with self.assertRefused(ValidationError, "phone number is missing"):
            wizard.action_register()
        self.assertEqual(self.counts(), before)

    def test_a1_form_requires_name_phone_and_receiver(self):
        form = Form(self.env["crm.attribution.register"].with_user(self.reception))
        with self.assertRaises(AssertionError):
            form.save()  # receiver, name and phone are required on the desk

    def test_a3_receiver_must_be_a_salesperson(self):
        """A3: only a salesperson of the company can receive a customer."""
        before = self.counts()
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.reception)
            .create({"name": "张三", "phone": "13800138000", "receiver_id": self.reception.id})
        )
        with self.assertRefused(ValidationError, "cannot receive customers"):
            wizard.action_register()
        self.assertEqual(self.counts(), before)

    def test_a2_register_twice_returns_the_existing_customer(self):
        """A2: registering the same phone twice never makes a second customer."""
        self.desk(self.alice, "张三", "13800138000")
        before = self.counts()
        self.desk(self.alice, "张三", "13800138000")
        leads, partners, entries, identities = self.counts()
        self.assertEqual((leads, partners, identities), before[:2] + before[3:])
        self.assertEqual(entries, before[2] + 1)

    def test_a2_editing_the_phone_keeps_the_old_number_until_protection_ends(self):
        """A2: a customer who changes phone is not a new customer: the change is
        in the ledger, the old number still leads to the customer for the rest of
        the protection period, then it is free; a taken phone is refused."""
        self.desk(self.alice, "张三", "13800138000")
        self.desk(self.bob, "李四", "13900139000")
        lead = self.lead_of("13800138000").with_user(self.alice)
        with self.at(T0 + timedelta(days=1)):
            lead.phone = "138 0013 8001"
        self.assertEqual(self.lead_of("13800138001"), lead)
        entry = self.ledger(lead)[-1]
        self.assertEqual((entry.event, entry.rule, entry.actor_id), ("phone", "A2", self.alice))
        self.assertIn("+86 138 0013 8000", entry.reason)
        self.assertIn("+86 138 0013 8001", entry.reason)
        with self.at(T0 + timedelta(days=2)):
            wizard = self.desk(self.carol, "张三", "13800138000")
        self.assertEqual((wizard.outcome, wizard.owner_id), ("returning", self.alice))
        until = lead.attribution_protected_until  # when the phone changed: T0 + 10 days
        with self.at(until - timedelta(days=1)):
            lead._attribution_log_follow_up("call")  # Alice keeps the customer longer...
        with self.at(until + timedelta(hours=1)):
            # ... but the old number led to them only for the protection it was changed in
            self.assertEqual(self.desk(self.carol, "王五", "13800138000").outcome, "new")
        self.assertEqual(lead.user_id, self.alice)
        with self.assertRefused(
            ValidationError, "already the phone of another registered customer"
        ):
            lead.phone = "13900139000"
        with self.assertRefused(ValidationError, "must keep a phone number"):
            lead.phone = False

    def test_a2_changing_the_contacts_phone_moves_the_identity(self):
        """A2: the phone changed on the contact is the customer's phone from then on."""
        self.desk(self.alice, "张三", "13800138000")
        lead = self.lead_of("13800138000")
        lead.partner_id.with_user(self.alice).phone = "139 3333 4444"
        self.assertEqual(lead.phone, "139 3333 4444")
        self.assertEqual(self.lead_of("13933334444"), lead)
        self.assertEqual(self.desk(self.bob, "张三", "13933334444").outcome, "returning")

    def test_a3_unregistered_lead_of_a_company_in_another_country_is_adopted(self):
        """A2 / A3: a hand-entered number is read as the customer phone country's."""
        self.company.country_id = self.env.ref("base.us")
        manual = (
            self.env["crm.lead"]
            .with_user(self.alice)
            .create(
                {"name": "Walk-in noted by hand", "phone": "13855556666", "user_id": self.alice.id}
            )
        )
        self.assertNotEqual(manual.phone_sanitized, "+8613855556666")
        wizard = self.desk(self.reception, "张三", "138 5555 6666", receiver=self.bob)
        self.assertEqual(wizard.outcome, "new")
        self.assertEqual(self.lead_of("13855556666"), manual)
        self.assertEqual(manual.sudo().user_id, self.bob)

    def test_a2_phone_country_cannot_change_under_registered_customers(self):
        """A2: once customers are identified by +86 numbers, the country stays."""
        self.desk(self.alice, "张三", "13800138000")
        with self.assertRefused(ValidationError, "changing the country"):
            self.company.attribution_phone_country_id = self.env.ref("base.us")
        self.assertEqual(self.company.attribution_phone_country_id, self.env.ref("base.cn"))

from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..const import PROTECTED_FIELDS
from .common import T0, AttributionCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestSecurity(AttributionCase):
    """Reception, salespeople and managers each see what the rules let them (B3, H1, H5, I1)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Desk = cls.env["crm.attribution.desk"].with_user(cls.reception)
        Desk._register_customer("张三", "13800138000", "visit", cls.alice, at=T0)
        Desk._register_customer("李四", "13900139000", "visit", cls.bob, at=T0)

    def setUp(self):
        super().setUp()
        self.alice_lead = self.lead_of("13800138000")
        self.bob_lead = self.lead_of("13900139000")

    def test_b3_reception_sees_outcome_but_no_customer_record(self):
        """Reception registers and sees owner and reason, but cannot read leads."""
        with self.at(T0 + timedelta(hours=1)):
            wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.carol)
        self.assertEqual(wizard.owner_id.name, "Alice Li")
        self.assertTrue(wizard.reason)
        self.assertFalse(wizard.result_lead_id)
        Lead = self.env["crm.lead"].with_user(self.reception)
        with self.assertRaises(AccessError):
            Lead.search([])
        with self.assertRaises(AccessError):
            self.alice_lead.with_user(self.reception).read(["name"])
        # the desk form itself renders for reception
        self.assertTrue(
            self.env["crm.attribution.register"]
            .with_user(self.reception)
            .get_views([(False, "form")])
        )
        menu = self.env.ref("crm_lead_attribution.crm_attribution_reception_menu_root")
        self.assertIn(
            menu, self.env["ir.ui.menu"].with_user(self.reception).search([("id", "=", menu.id)])
        )

    def test_f3_salesperson_sees_and_edits_only_own_customers(self):
        """Salespeople see and edit their own customers only."""
        Lead = self.env["crm.lead"].with_user(self.alice)
        visible = Lead.search([("attribution_state", "!=", False)])
        self.assertEqual(visible, self.alice_lead)
        self.alice_lead.with_user(self.alice).write({"description": "喜欢南向"})
        with self.assertRaises(AccessError):
            self.bob_lead.with_user(self.alice).read(["name"])
        with self.assertRaises(AccessError):
            self.bob_lead.with_user(self.alice).write({"description": "x"})

    def test_i1_salesperson_views_render_with_attribution(self):
        """The lead form, kanban, list and search views show the attribution."""
        Lead = self.env["crm.lead"].with_user(self.alice)
        views = Lead.get_views(
            [(False, "form"), (False, "kanban"), (False, "list"), (False, "search")]
        )["views"]
        self.assertIn("attribution_reason", views["form"]["arch"])
        self.assertIn("attribution_ledger_ids", views["form"]["arch"])
        self.assertIn("attribution_days_left", views["kanban"]["arch"])
        self.assertIn("attribution_expired", views["search"]["arch"])
        with Form(self.alice_lead.with_user(self.alice)) as form:
            self.assertEqual(form.attribution_state, "protected")
            self.assertEqual(form.attribution_days_left, 10)
            self.assertIn("New customer", form.attribution_reason)

    def test_i1_attribution_fields_are_not_writable(self):
        """I1: nobody sets protection or state by hand, not even the manager."""
        for user in (self.alice, self.manager):
            with self.assertRefused(UserError, "attribution rules only"):
                self.alice_lead.with_user(user).write(
                    {"attribution_protected_until": T0 + timedelta(days=99)}
                )
        with self.assertRefused(UserError, "attribution rules only"):
            self.alice_lead.sudo().write({"attribution_state": "locked"})
        self.assertEqual(self.alice_lead.attribution_protected_until, T0 + timedelta(days=10))

    def test_i1_every_protected_field_is_readonly_so_no_form_sends_it(self):
        """I1 / issue 11: a new lead's form sends all its editable fields; a
        protected field shown editable would be sent back and refused."""
        Lead = self.env["crm.lead"]
        editable = sorted(name for name in PROTECTED_FIELDS if not Lead._fields[name].readonly)
        self.assertEqual(editable, [])
        views = Lead.with_user(self.manager).get_views([(False, "form")])
        form_fields = views["models"]["crm.lead"]["fields"]
        shown = PROTECTED_FIELDS.intersection(form_fields)
        self.assertTrue(shown)
        self.assertEqual(sorted(n for n in shown if not form_fields[n].get("readonly")), [])

    def test_i1_unregistered_lead_created_in_the_form_by_a_sales_manager(self):
        """Issue 11: a sales manager creates a plain (unregistered) lead in the
        form, clears the salesperson and the team and saves: nothing is forged,
        nothing is refused; editing it in the form is not refused either."""
        form = Form(self.env["crm.lead"].with_user(self.manager))
        form.name = "Plain lead"
        form.phone = "13700137000"
        form.user_id = self.env["res.users"]
        form.team_id = self.env["crm.team"]
        lead = form.save()
        self.assertEqual((lead.attribution_state, lead.user_id.id, lead.team_id.id), (False,) * 3)
        with Form(lead.with_user(self.manager)) as form:
            form.user_id = self.alice
            form.description = "wants a south-facing flat"
        self.assertEqual((lead.user_id, lead.attribution_state), (self.alice, False))

    def test_h1_salesperson_cannot_hand_over_a_customer(self):
        """H1: changing the owner needs the manager."""
        with self.assertRefused(UserError, "Only a sales manager"):
            self.alice_lead.with_user(self.alice).write({"user_id": self.carol.id})
        self.assertEqual(self.alice_lead.user_id, self.alice)

    def test_h5_manager_reassigns_and_it_is_recorded(self):
        """H5: the manager's decision moves ownership, restarts protection and is in the ledger."""
        at = T0 + timedelta(days=3)
        with self.at(at):
            self.alice_lead.with_user(self.manager).write({"user_id": self.carol.id})
        self.assertEqual(self.alice_lead.user_id, self.carol)
        self.assertEqual(self.alice_lead.attribution_owner_since, at)
        self.assertEqual(self.alice_lead.attribution_protected_until, at + timedelta(days=10))
        self.assertEqual(self.alice_lead.attribution_rule, "H5")
        entry = self.ledger(self.alice_lead)[-1]
        self.assertEqual(
            (entry.event, entry.actor_id, entry.previous_owner_id, entry.owner_id),
            ("ownership", self.manager, self.alice, self.carol),
        )
        self.assertFalse(self.alice_lead.activity_ids.filtered(lambda a: a.user_id == self.alice))
        with self.assertRefused(UserError, "without an owner"):
            self.alice_lead.with_user(self.manager).write({"user_id": False})

    def test_h5_manager_sees_everything(self):
        Lead = self.env["crm.lead"].with_user(self.manager)
        both = self.alice_lead | self.bob_lead
        self.assertEqual(Lead.search([("id", "in", both.ids)]), both)
        self.assertEqual(both.with_user(self.manager).mapped("user_id"), self.alice | self.bob)
        identities = (
            self.env["crm.attribution.identity"]
            .with_user(self.manager)
            .search([("lead_id", "in", both.ids)])
        )
        self.assertEqual(len(identities), 2)
        with self.assertRaises(AccessError):
            self.env["crm.attribution.identity"].with_user(self.alice).search([])

    def test_i1_a_context_key_does_not_unlock_the_guard(self):
        """I1 / H1: the services' context flag means nothing outside sudo."""
        trick = {"crm_lead_attribution_write": True}
        lead = self.alice_lead.with_user(self.alice).with_context(**trick)
        with self.assertRefused(UserError, "attribution rules only"):
            lead.write({"attribution_protected_until": T0 + timedelta(days=999)})
        with self.assertRefused(UserError, "Only a sales manager"):
            lead.write({"user_id": self.bob.id})
        with self.assertRefused(UserError, "attribution rules only"):
            self.env["crm.lead"].with_user(self.alice).with_context(**trick).create(
                {"name": "Forged", "attribution_state": "locked", "attribution_rule": "B2"}
            )
        self.assertEqual(self.alice_lead.attribution_protected_until, T0 + timedelta(days=10))

    def test_i1_time_is_not_taken_from_the_context(self):
        """B3 / E3: a client cannot register "in the future" to make a customer expire."""
        forged = {"attribution_now": T0 + timedelta(days=30)}
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.bob)
            .with_context(**forged)
            .create({"name": "张三", "phone": "13800138000", "receiver_id": self.bob.id})
        )
        wizard.with_context(**forged).action_register()
        self.assertEqual((wizard.outcome, wizard.owner_id), ("returning", self.alice))
        self.assertEqual(self.ledger(self.alice_lead)[-1].date, T0)

    def test_b3_the_desk_cannot_be_made_to_show_another_customer(self):
        """B3 / F3: the desk's outcome fields are its own; a lead hint must be readable."""
        Desk = self.env["crm.attribution.register"].with_user(self.reception)
        wizard = Desk.create(
            {
                "name": "x",
                "phone": "13700137000",
                "receiver_id": self.bob.id,
                "result_lead_id": self.alice_lead.id,
                "state": "done",
                "rule": "X9",
            }
        )
        self.assertFalse(wizard.result_lead_id)
        self.assertEqual(wizard.state, "draft")
        wizard.write({"result_lead_id": self.alice_lead.id})
        self.assertFalse(wizard.result_lead_id)
        with self.assertRaises(AccessError):
            Desk.create({"name": "x", "phone": "1", "lead_hint_id": self.alice_lead.id})

    def test_i1_salesperson_cannot_delete_a_registered_customer(self):
        """I1 / E5: a salesperson gives a customer up instead of deleting it."""
        with self.assertRefused(UserError, "cannot be deleted"):
            self.alice_lead.with_user(self.alice).unlink()
        self.alice_lead.with_user(self.manager).unlink()
        self.assertFalse(self.alice_lead.exists())
        self.assertEqual(
            self.desk(self.reception, "张三", "13800138000", receiver=self.carol).outcome, "new"
        )

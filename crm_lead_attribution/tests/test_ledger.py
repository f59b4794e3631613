from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import T0, AttributionCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestLedger(AttributionCase):
    """The attribution ledger (I1): append-only, one entry per event, visible per owner."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Desk = cls.env["crm.attribution.desk"]
        Desk.with_user(cls.reception)._register_customer(
            "张三", "13800138000", "visit", cls.alice, at=T0
        )
        Desk.with_user(cls.reception)._register_customer(
            "李四", "13900139000", "visit", cls.bob, at=T0
        )
        Desk.with_user(cls.reception)._register_customer(
            "张三", "13800138000", "visit", cls.carol, at=T0 + timedelta(hours=5), note="二次到访"
        )

    def test_i1_one_entry_per_event_with_time_actor_rule_and_reason(self):
        """I1: entries carry time, actor, customer, lead, rule, reason and channel."""
        lead = self.lead_of("13800138000")
        entries = self.ledger(lead)
        self.assertEqual(len(entries), 2)
        first, second = entries
        self.assertEqual((first.event, first.rule, first.outcome), ("registration", "B2", "new"))
        self.assertEqual(
            (second.event, second.rule, second.outcome), ("reception", "B3", "returning")
        )
        self.assertEqual(first.date, T0)
        self.assertEqual(second.date, T0 + timedelta(hours=5))
        self.assertEqual(second.actor_id, self.reception)
        self.assertEqual(second.receiver_id, self.carol)
        self.assertEqual(second.owner_id, self.alice)
        self.assertEqual(second.partner_id, lead.partner_id)
        self.assertEqual(second.customer_name, "张三")
        self.assertEqual(second.phone, "+8613800138000")
        self.assertEqual(second.channel, "visit")
        self.assertEqual(second.note, "二次到访")
        self.assertIn("goes to the owner", second.reason)
        self.assertEqual(lead.attribution_ledger_ids, entries)

    def test_i1_reason_is_rendered_in_the_readers_language(self):
        """I1: the stored reason is translated when read (zh_CN ships with the add-on)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "crm_lead_attribution")]
        )._update_translations(["zh_CN"])
        first, returning = self.ledger(self.lead_of("13800138000"))
        self.assertIn("新客户", first.with_context(lang="zh_CN").reason)
        self.assertIn("New customer", first.with_context(lang="en_US").reason)
        # the kind of registration inside the sentence is translated too
        chinese = returning.with_context(lang="zh_CN").reason
        self.assertIn("来访", chinese)
        self.assertNotIn("visit", chinese)

    def test_i1_nobody_edits_or_deletes_entries(self):
        """I1: not the salesperson, not the manager, not the superuser."""
        entry = self.ledger(self.lead_of("13800138000"))[0]
        for env in (entry.with_user(self.alice), entry.with_user(self.manager), entry.sudo()):
            with self.assertRefused(UserError, "cannot be changed"):
                env.write({"rule": "X9"})
            with self.assertRefused(UserError, "cannot be deleted"):
                env.unlink()
        with self.assertRaises(UserError):  # written by the rules only (or no access)
            self.env["crm.attribution.ledger"].with_user(self.manager).create(
                {"event": "registration", "rule": "B2", "lead_id": entry.lead_id.id}
            )
        self.assertEqual(entry.rule, "B2")

    def test_i1_salespeople_see_only_their_customers_entries(self):
        """I1: Alice sees Zhang San's entries, not Bob's customer's; the manager sees all."""
        Ledger = self.env["crm.attribution.ledger"]
        alice_entries = Ledger.with_user(self.alice).search([])
        self.assertEqual(set(alice_entries.mapped("customer_name")), {"张三"})
        self.assertEqual(len(alice_entries), 2)
        self.assertEqual(
            set(Ledger.with_user(self.bob).search([]).mapped("customer_name")), {"李四"}
        )
        self.assertFalse(
            Ledger.with_user(self.carol).search([]), "Carol received, but does not own"
        )
        mine = [("lead_id", "in", (self.lead_of("13800138000") | self.lead_of("13900139000")).ids)]
        self.assertEqual(len(Ledger.with_user(self.manager).search(mine)), 3)
        with self.assertRaises(AccessError):
            Ledger.browse(alice_entries[0].id).with_user(self.bob).read(["reason"])

    def test_i1_reception_sees_its_own_registrations_only(self):
        Ledger = self.env["crm.attribution.ledger"].with_user(self.reception)
        self.assertEqual(len(Ledger.search([])), 3)
        self.env["crm.attribution.desk"].with_user(self.alice)._register_customer(
            "王五", "13700137000", "call", self.alice
        )
        self.assertEqual(len(Ledger.search([])), 3)
        rows = Ledger.search_read([], ["customer_name", "owner_id", "outcome", "reason"])
        self.assertEqual(len(rows), 3)

    def test_i1_ledger_views_load(self):
        """The ledger's list, pivot, search and form views render for a salesperson."""
        Ledger = self.env["crm.attribution.ledger"].with_user(self.alice)
        for view_type in ("list", "form", "search", "pivot"):
            self.assertTrue(Ledger.get_views([(False, view_type)])["views"][view_type]["arch"])
        groups = Ledger.read_group([], ["rule"], ["event"])
        self.assertEqual({group["event"] for group in groups}, {"registration", "reception"})

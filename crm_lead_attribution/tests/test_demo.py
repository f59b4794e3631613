from collections import Counter

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestDemoData(TransactionCase):
    """The demo: one sales office and a month of its registers (A3, B2, B3,
    C1, E1, E3, E5, E6, E7, F1, H1), made through the real services."""

    def test_demo_sales_office_and_history(self):
        team = self.env.ref("crm_lead_attribution.demo_team_sales_office", raise_if_not_found=False)
        if not team:
            self.skipTest("the add-on was installed without demo data")
        ref = self.env.ref
        self.assertEqual(team.user_id, ref("crm_lead_attribution.demo_user_manager"))
        self.assertEqual(len(team.member_ids), 4)
        self.assertTrue(
            ref("crm_lead_attribution.demo_user_reception").has_group(
                "crm_lead_attribution.group_reception"
            )
        )
        self.assertTrue(team.user_id.has_group("sales_team.group_sale_manager"))
        demo_users = (
            team.member_ids | team.user_id | ref("crm_lead_attribution.demo_user_reception")
        )
        entries = self.env["crm.attribution.ledger"].search([("actor_id", "in", demo_users.ids)])
        rules = Counter(entries.mapped("rule"))
        for rule in ("B2", "C1", "A3", "B3", "E1", "E3", "E5", "E7", "H1"):
            self.assertTrue(rules[rule], f"the demo shows {rule}")
        leads = self.env["crm.lead"].search(
            [("user_id", "in", team.member_ids.ids), ("attribution_state", "!=", False)]
        )
        self.assertGreaterEqual(len(leads), 6)
        self.assertIn("locked", leads.mapped("attribution_state"))
        pool = self.env["crm.attribution.pool"].search(
            [("former_owner_id", "in", team.member_ids.ids)]
        )
        self.assertGreaterEqual(len(pool), 2, "an expired and a given-up customer in the pool")
        self.assertTrue(
            self.env["crm.attribution.change.request"].search(
                [("state", "=", "pending"), ("owner_id", "in", team.member_ids.ids)]
            )
        )

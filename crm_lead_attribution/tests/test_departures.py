from odoo.tests import tagged

from .common import DAY, T0, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestDepartures(LifecycleCase):
    """F4: a departing salesperson's customers go to the sales manager's handover list."""

    def test_f4_archived_salesperson(self):
        """F4: no order: handover, treated as new; with an order: locked until reassigned."""
        open_lead = self.register("张三", "13800138000", self.alice)
        closed = self.register("李四", "13900139000", self.alice)
        closed.with_user(self.alice).action_set_won()
        with self.at(T0 + 2 * DAY):
            self.alice.action_archive()
        self.assertEqual((open_lead.attribution_state, open_lead.user_id.id), ("handover", False))
        self.assertEqual(open_lead.attribution_previous_owner_id, self.alice)
        self.assertEqual(self.ledger(open_lead)[-1].rule, "F4")
        self.assertEqual((closed.attribution_state, closed.attribution_handover), ("locked", True))
        self.assertTrue(self.notified(self.manager, "handover list"))
        handover = (
            self.env["crm.lead"]
            .with_user(self.manager)
            .search(
                [
                    ("id", "in", (open_lead | closed).ids),
                    "|",
                    ("attribution_state", "=", "handover"),
                    ("attribution_handover", "=", True),
                ]
            )
        )
        self.assertEqual(handover, open_lead | closed)
        self.assertFalse(self.pool_row(open_lead, self.bob), "not in the public pool")
        # the next receiver gets the open customer as new (F4)
        with self.at(T0 + 3 * DAY):
            wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.bob)
        self.assertEqual(
            (wizard.outcome, wizard.rule, wizard.owner_id), ("handover", "F4", self.bob)
        )
        # the closed one stays locked until the manager gives it to someone
        with self.at(T0 + 3 * DAY):
            self.assertEqual(
                self.desk(self.reception, "李四", "13900139000", receiver=self.bob).rule, "F4"
            )
            closed.with_user(self.manager)._attribution_assign(self.carol, "李明离职，由王芳接手")
        self.assertEqual(
            (closed.user_id, closed.attribution_state, closed.attribution_handover),
            (self.carol, "locked", False),
        )
        self.assertEqual(self.ledger(closed)[-1].rule, "F4")

    def test_f4_removed_from_the_sales_team(self):
        lead = self.register("张三", "13800138000", self.alice)
        self.team.crm_team_member_ids.filtered(lambda m: m.user_id == self.alice).unlink()
        self.assertEqual(lead.attribution_state, "handover")

    def test_f4_e8_a_customer_with_an_order_waits_for_the_manager(self):
        """F4 / E8: under the first-deal policy a leaver's customer with an order is kept."""
        self.company.write({"attribution_first_deal": True})
        lead = self.register("张三", "13800138000", self.alice)
        lead.with_user(self.alice).action_set_won()
        with self.at(T0 + DAY):
            self.alice.action_archive()
        self.assertEqual(
            (lead.attribution_state, lead.user_id, lead.attribution_handover),
            ("protected", self.alice, True),
        )
        self.sweep_all(T0 + 90 * DAY)
        self.assertEqual(
            lead.attribution_state, "protected", "not released while on the handover list"
        )
        with self.at(T0 + 90 * DAY):
            self.assertNotIn(
                lead, self.env["crm.lead"].search([("attribution_conversion_overdue", "=", True)])
            )

    def test_f4_notifies_the_managers_when_the_leader_leaves(self):
        """F4: the team leader leaving, the company's sales managers are told."""
        self.team.user_id = self.alice
        self.register("张三", "13800138000", self.alice)
        self.alice.action_archive()
        self.assertTrue(self.notified(self.manager, "handover list"))

from odoo.tests import tagged, users

from .common import DAY, T0, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestFirstDeal(LifecycleCase):
    """E8: the first-deal policy for repeat-purchase businesses."""

    @users("cla_alice")
    def test_e8_first_deal_owner_released_after_a_month_without_contact_or_reorder(self):
        """E8: the first deal's salesperson owns; a reorder extends; a month idle releases."""
        self.company.write({"attribution_first_deal": True, "attribution_first_deal_days": 30})
        lead = self.register("张三", "13800138000", self.alice)
        with self.at(T0 + 2 * DAY):
            lead.with_user(self.env.user).action_set_won()
        self.assertEqual(
            (lead.attribution_state, lead.attribution_ownership_kind), ("protected", "deal")
        )
        self.assertEqual(lead.attribution_rule, "E8")
        self.assertEqual(lead.attribution_protected_until, T0 + 32 * DAY)
        # a reorder: another opportunity of the same customer, won by its owner
        reorder = self.root["crm.lead"].create(
            {
                "name": "二期车位",
                "partner_id": lead.partner_id.id,
                "user_id": self.alice.id,
                "type": "opportunity",
            }
        )
        with self.at(T0 + 20 * DAY):
            reorder.with_user(self.env.user).action_set_won()
        self.assertEqual(lead.user_id, self.alice, "the first deal still owns")
        self.assertEqual(lead.attribution_protected_until, T0 + 50 * DAY)
        self.sweep_all(T0 + 49 * DAY)
        self.assertEqual(lead.attribution_state, "protected")
        self.sweep_all(T0 + 50 * DAY)
        self.assertEqual((lead.attribution_state, lead.attribution_release_rule), ("pool", "E8"))

    @users("cla_manager")
    def test_e8_someone_elses_deal_does_not_take_the_customer(self):
        """E8: a deal of Bob's on Alice's protected customer, won (the manager
        records it: Bob does not see Alice's customer, F3), moves nothing."""
        self.company.write({"attribution_first_deal": True})
        lead = self.register("张三", "13800138000", self.alice)
        deal = self.root["crm.lead"].create(
            {
                "name": "Bob's deal",
                "partner_id": lead.partner_id.id,
                "user_id": self.bob.id,
                "type": "opportunity",
            }
        )
        deal.with_user(self.env.user).action_set_won()
        self.assertEqual((lead.user_id, lead.attribution_ownership_kind), (self.alice, "visit"))

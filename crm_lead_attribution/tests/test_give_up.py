from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged, users

from .common import DAY, T0, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestGiveUp(LifecycleCase):
    """E5: the owner gives a customer up to the pool; whoever closes it then owns it all."""

    def test_e5_give_up_sends_to_the_pool_and_the_closer_gets_it_all(self):
        """E5: the owner gives up; another salesperson claims and closes with full ownership."""
        lead = self.register("张三", "13800138000", self.alice)
        action = lead.with_user(self.alice).action_attribution_give_up()
        with self.at(T0 + DAY):
            form = Form(
                self.env["crm.attribution.give.up"]
                .with_user(self.alice)
                .with_context(**action["context"])
            )
            form.reason = "客户预算不足，明确拒绝"
            result = form.save().action_give_up()
        self.assertEqual(result["params"]["next"]["res_model"], "crm.lead")
        self.assertEqual((lead.attribution_state, lead.attribution_release_rule), ("pool", "E5"))
        entry = self.ledger(lead)[-1]
        self.assertEqual(
            (entry.event, entry.rule, entry.note), ("release", "E5", "客户预算不足，明确拒绝")
        )
        with self.assertRaises(AccessError):
            lead.with_user(self.alice).read(["name"])
        with self.at(T0 + 2 * DAY):
            self.pool_row(lead, self.bob).action_claim()
            lead.with_user(self.bob).action_set_won()
        self.assertEqual((lead.user_id, lead.attribution_state), (self.bob, "locked"))

    def test_e5_only_the_owner_gives_up(self):
        lead = self.register("张三", "13800138000", self.alice)
        lead.with_user(self.alice).action_set_won()
        with self.assertRefused(UserError, "cannot be given up"):
            lead.with_user(self.alice)._attribution_give_up("no")
        other = self.register("李四", "13900139000", self.alice)
        with self.assertRaises(AccessError):
            self.env["crm.attribution.give.up"].with_user(self.bob).create(
                {"lead_id": other.id, "reason": "x"}
            ).action_give_up()

    @users("cla_manager")
    def test_e5_closing_a_pool_customer_needs_an_owner(self):
        lead = self.released()
        with self.assertRefused(UserError, "has no owner"):
            lead.with_user(self.env.user).action_set_won()

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged, users

from .common import DAY, T0, LifecycleCase, PoolCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestPool(PoolCase):
    """F1-F3: the pool screen, claims and their limits."""

    def test_f3_pool_screen_masks_contact_details_and_hides_the_record(self):
        """F3: salespeople see 张** and 138****8000, not the customer's record."""
        row = self.pool_row(self.lead, self.bob)
        self.assertEqual(row.masked_name, "张**")
        self.assertEqual(row.masked_phone, "138****8000")
        self.assertEqual(
            (row.source_channel, row.release_rule, row.former_owner_id), ("visit", "E3", self.alice)
        )
        self.assertEqual(row.team_id, self.team)
        with self.at(T0 + 13 * DAY):
            self.assertEqual(self.pool_row(self.lead, self.bob).days_in_pool, 3)
        with self.assertRaises(AccessError):
            self.lead.with_user(self.bob).read(["phone"])
        self.assertFalse(
            self.env["crm.lead"].with_user(self.bob).search([("id", "=", self.lead.id)])
        )
        with self.assertRaises(AccessError):
            row.read(["lead_id"])
        self.assertEqual(self.lead.with_user(self.manager).phone, "+86 138 0013 8000")
        Pool = self.env["crm.attribution.pool"].with_user(self.bob)
        for view_type in ("kanban", "list", "search"):
            self.assertTrue(Pool.get_views([(False, view_type)])["views"][view_type]["arch"])
        self.assertEqual(
            Pool.search_count(
                [("source_channel", "=", "visit"), ("former_owner_id", "=", self.alice.id)]
            ),
            1,
        )

    def test_f1_claim_makes_the_salesperson_owner_with_fresh_protection(self):
        """F1: Claim gives the customer to the claimer; others are told who has it."""
        at = T0 + 12 * DAY
        with self.at(at):
            result = self.pool_row(self.lead, self.bob).action_claim()
        self.assertEqual(result["params"]["next"]["res_id"], self.lead.id)
        self.assertEqual((self.lead.user_id, self.lead.attribution_state), (self.bob, "protected"))
        self.assertEqual(self.lead.attribution_protected_until, at + 10 * DAY)
        self.assertEqual(
            self.lead.with_user(self.bob).phone, "+86 138 0013 8000", "details show once claimed"
        )
        entry = self.ledger(self.lead)[-1]
        self.assertEqual(
            (entry.event, entry.rule, entry.actor_id, entry.owner_id),
            ("claim", "F1", self.bob, self.bob),
        )
        with (
            self.at(at),
            self.assertRefused(UserError, "no longer in the public pool: Bob Wang owns them"),
        ):
            self.lead.with_user(self.carol)._attribution_claim()
        self.assertFalse(self.pool_row(self.lead, self.carol))

    @users("cla_bob")
    def test_f2_holding_limit(self):
        """F2: a salesperson holding the limit is refused, told when it lifts."""
        self.company.attribution_holding_limit = 1
        self.register("李四", "13900139000", self.bob, at=T0 + 11 * DAY)
        with (
            self.at(T0 + 12 * DAY),
            self.assertRefused(UserError, "Holding limit reached: you hold 1"),
        ):
            self.lead.with_user(self.env.user)._attribution_claim()
        self.company.attribution_holding_limit = 0
        with self.at(T0 + 12 * DAY):
            self.lead.with_user(self.env.user)._attribution_claim()
        self.assertEqual(self.lead.user_id, self.bob)

    @users("cla_bob")
    def test_f2_daily_claim_limit(self):
        """F2: N claims a day, then refused until the next day (the salesperson's time zone)."""
        self.company.attribution_daily_claim_limit = 1
        self.register("李四", "13900139000", self.carol, at=T0)
        second = self.lead_of("13900139000")
        second._attribution_give_up("x", at=T0 + 10 * DAY)  # as superuser: a manager's give-up
        at = T0 + 12 * DAY  # 2026-03-14 10:00 in Shanghai
        with self.at(at):
            self.lead.with_user(self.env.user)._attribution_claim()
            with self.assertRefused(UserError, "Daily claim limit reached") as refusal:
                second.with_user(self.env.user)._attribution_claim()
        self.assertIn("3/15/26, 12:00 AM", str(refusal.exception))
        with self.at(at + DAY):
            second.with_user(self.env.user)._attribution_claim()
        self.assertEqual(second.user_id, self.bob)

    @users("cla_alice")
    def test_f2_cool_down_for_the_former_owner(self):
        """F2: Alice lost the customer; she may claim it back only after 7 days."""
        with (
            self.at(T0 + 12 * DAY),
            self.assertRefused(UserError, "Cool-down: you lost this customer"),
        ):
            self.lead.with_user(self.env.user)._attribution_claim()
        with self.at(T0 + 17 * DAY):
            self.lead.with_user(self.env.user)._attribution_claim()
        self.assertEqual(self.lead.user_id, self.alice)

    def test_f1_odoo_lead_assignment_leaves_the_pool_alone(self):
        """F1: Odoo's rule-based assignment hands out unassigned leads, never pool customers."""
        self.team.crm_team_member_ids.filtered(
            lambda m: m.user_id == self.carol
        ).assignment_max = 30
        self.team.crm_team_member_ids.filtered(lambda m: m.user_id != self.carol).assignment_max = 0
        ordinary = self.env["crm.lead"].create(
            {
                "name": "Web enquiry",
                "team_id": self.team.id,
                "type": "opportunity",
                "user_id": False,
            }
        )
        self.assertFalse(ordinary.user_id)
        self.team._action_assign_leads(force_quota=True)
        self.assertEqual(ordinary.user_id, self.carol, "the assignment ran")
        self.assertFalse(self.lead.user_id, "the pool customer was not handed out")
        self.assertEqual(self.lead.attribution_state, "pool")


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestPoolSafeguards(LifecycleCase):
    """F1 / F2 / F3: the ways around the claim limits and the masking stay closed."""

    def test_f3_pool_customers_contact_is_hidden_and_former_owner_unfollowed(self):
        """F3: the contact and the messages of a pool customer are not the former owner's."""
        lead = self.released()
        self.assertNotIn(self.alice.partner_id, lead.message_partner_ids)
        Partner = self.env["res.partner"]
        for user in (self.alice, self.bob, self.reception):
            self.assertFalse(Partner.with_user(user).search([("phone", "like", "8000")]))
            with self.assertRaises(AccessError):
                lead.partner_id.with_user(user).read(["phone"])
        self.assertTrue(Partner.with_user(self.manager).search([("id", "=", lead.partner_id.id)]))
        with self.at(T0 + 11 * DAY):
            self.pool_row(lead, self.bob).action_claim()
        self.assertEqual(lead.partner_id.with_user(self.bob).phone, "+86 138 0013 8000")

    @users("cla_bob")
    def test_f3_masking_of_landlines_and_short_numbers(self):
        """F3: at least four digits are hidden, whatever the number."""
        lead = self.released("刘先生", "010-6552 9988")  # Beijing: 10 national digits
        self.assertEqual(self.pool_row(lead, self.env.user).masked_phone, "10******88")

    def test_f2_registering_a_pool_customer_to_oneself_is_a_claim(self):
        """F2: registering a pool customer to oneself obeys the limits of a claim."""
        lead = self.released()
        with self.at(T0 + 12 * DAY), self.assertRefused(UserError, "Cool-down"):
            self.env["crm.attribution.desk"].with_user(self.alice)._register_customer(
                "张三", "13800138000", "call", self.alice
            )
        self.company.attribution_daily_claim_limit = 1
        with self.at(T0 + 12 * DAY):
            self.register("李四", "13900139000", self.bob, at=T0).with_user(
                self.bob
            )._attribution_give_up("x")
            self.pool_row(lead, self.bob).action_claim()
            with self.assertRefused(UserError, "Daily claim limit"):
                self.env["crm.attribution.desk"].with_user(self.bob)._register_customer(
                    "李四", "13900139000", "call", self.bob
                )
            # the desk registering the customer for a receiver is not a claim
            wizard = self.desk(self.reception, "李四", "13900139000", receiver=self.alice)
        self.assertEqual((wizard.outcome, wizard.owner_id), ("pool", self.alice))

    def test_f2_cool_down_counts_from_the_former_owners_own_loss(self):
        """F2: a later claim and give-up by someone else does not restart Alice's cool-down."""
        lead = self.released()  # Alice lost it at T0 + 10 days
        with self.at(T0 + 16 * DAY):
            lead.with_user(self.bob)._attribution_claim()
            lead.with_user(self.bob)._attribution_give_up("客户不买")
        with self.at(T0 + 17 * DAY):
            lead.with_user(self.alice)._attribution_claim()
        self.assertEqual(lead.user_id, self.alice)

    @users("cla_bob")
    def test_f1_claim_refusal_names_nobody_who_never_was_in_the_pool(self):
        lead = self.register("张三", "13800138000", self.alice)
        with self.assertRefused(UserError, "not in the public pool") as refusal:
            lead.with_user(self.env.user)._attribution_claim()
        self.assertNotIn("Alice", str(refusal.exception))

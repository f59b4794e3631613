from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import DAY, T0, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestRemindersAndRelease(LifecycleCase):
    """E6 reminders; E3 / C2 release; E7 never released; the release switch."""

    def test_e6_reminder_once_per_protection_period(self):
        """E6: an activity 3 days before protection ends, once per period, never twice."""
        lead = self.register("张三", "13800138000", self.alice)
        reminder_type = self.env.ref("crm_lead_attribution.mail_activity_type_protection_ending")

        def reminders():
            return lead.activity_ids.filtered(lambda a: a.activity_type_id == reminder_type)

        self.sweep_all(T0 + 6 * DAY, "_cron_remind")
        self.assertFalse(reminders())
        self.sweep_all(T0 + 7 * DAY, "_cron_remind")
        self.assertEqual(len(reminders()), 1)
        self.assertEqual(reminders().user_id, self.alice)
        self.assertEqual(str(reminders().date_deadline), "2026-03-12")
        self.assertEqual(lead.attribution_reminded_until, T0 + 10 * DAY)
        entry = self.ledger(lead)[-1]
        self.assertEqual((entry.event, entry.rule, entry.owner_id), ("reminder", "E6", self.alice))
        self.assertTrue(self.notified(self.alice, "ends within days"))
        self.sweep_all(T0 + 8 * DAY, "_cron_remind")
        self.assertEqual(len(reminders()), 1, "never twice for the same deadline")
        self.assertEqual(self.ledger(lead).mapped("event").count("reminder"), 1)
        # a follow-up opens a new protection period, reminded again in time
        with self.at(T0 + 8 * DAY):
            lead.with_user(self.alice)._attribution_log_follow_up("call")
        self.assertFalse(reminders(), "the follow-up did what the reminder asked")
        self.sweep_all(T0 + 15 * DAY, "_cron_remind")
        self.assertEqual(len(reminders()), 1)
        self.assertEqual(self.ledger(lead).mapped("event").count("reminder"), 2)
        # the reminder is an ordinary activity: done by the owner, it is a follow-up (E1)
        with self.at(T0 + 16 * DAY):
            reminders().with_user(self.alice).action_feedback(feedback="已回访")
        self.assertEqual(self.ledger(lead)[-1].event, "follow_up")
        self.assertEqual(lead.attribution_protected_until, T0 + 26 * DAY)

    def test_e3_release_clears_the_owner_and_notifies(self):
        """E3: protection ended: owner cleared, pool state, ledger, former owner notified."""
        lead = self.register("张三", "13800138000", self.alice)
        self.assertTrue(lead.activity_ids, "the E2 activity of Alice")
        released, _remaining = self.release(T0 + 10 * DAY)
        self.assertGreaterEqual(released, 1)
        self.assertEqual(lead.attribution_state, "pool")
        self.assertFalse(lead.user_id)
        self.assertEqual(lead.attribution_previous_owner_id, self.alice)
        self.assertEqual(lead.attribution_release_rule, "E3")
        self.assertEqual(lead.attribution_pool_since, T0 + 10 * DAY)
        self.assertEqual(lead.company_id, self.company, "a pool customer keeps its company")
        self.assertEqual(lead.team_id, self.team)
        self.assertFalse(lead.activity_ids, "the former owner's activities are gone")
        entry = self.ledger(lead)[-1]
        self.assertEqual(
            (entry.event, entry.rule, entry.previous_owner_id.id, entry.owner_id.id),
            ("release", "E3", self.alice.id, False),
        )
        self.assertTrue(entry.ownership_changed)
        self.assertIn("public pool", entry.reason)
        self.assertTrue(self.notified(self.alice, "went to the public pool"))
        self.sweep_all(T0 + 11 * DAY)
        self.assertEqual(self.ledger(lead).mapped("event").count("release"), 1, "released once")

    def test_c2_caller_released_after_the_call_period(self):
        """C2: a caller never brought to a visit goes to the pool after 15 days."""
        caller = self.register("王五", "13700137000", self.bob, kind="call")
        self.sweep_all(T0 + 14 * DAY)
        self.assertEqual(caller.attribution_state, "protected")
        self.sweep_all(T0 + 15 * DAY)
        self.assertEqual(caller.attribution_release_rule, "C2")
        self.assertEqual(self.ledger(caller)[-1].rule, "C2")

    def test_e7_closed_customer_never_released(self):
        """E7: a won customer stays locked with the owner."""
        lead = self.register("张三", "13800138000", self.alice)
        lead.with_user(self.alice).action_set_won()
        self.sweep_all(T0 + 400 * DAY)
        self.assertEqual((lead.attribution_state, lead.user_id), ("locked", self.alice))

    def test_e3_release_switched_off(self):
        """E3: with release off, an ended protection stays with the owner, marked ended."""
        self.company.attribution_release = False
        lead = self.register("张三", "13800138000", self.alice)
        self.sweep_all(T0 + 30 * DAY)
        with self.at(T0 + 30 * DAY):
            self.assertTrue(lead.attribution_expired)
        self.assertEqual(lead.user_id, self.alice)

    def test_e3_e6_scheduled_actions_exist_and_run(self):
        """The crons are active and their code runs the sweeps."""
        self.register("张三", "13800138000", self.alice, at=T0 - 20 * DAY)
        for xmlid in ("ir_cron_attribution_release", "ir_cron_attribution_remind"):
            cron = self.env.ref(f"crm_lead_attribution.{xmlid}")
            self.assertTrue(cron.active)
            cron.method_direct_trigger()
        self.assertEqual(self.lead_of("13800138000").attribution_state, "pool")


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestFirstDealAndGiveUp(LifecycleCase):
    """E8 first-deal policy; E5 giving up."""

    def test_e8_first_deal_owner_released_after_a_month_without_contact_or_reorder(self):
        """E8: the first deal's salesperson owns; a reorder extends; a month idle releases."""
        self.company.write({"attribution_first_deal": True, "attribution_first_deal_days": 30})
        lead = self.register("张三", "13800138000", self.alice)
        with self.at(T0 + 2 * DAY):
            lead.with_user(self.alice).action_set_won()
        self.assertEqual(
            (lead.attribution_state, lead.attribution_ownership_kind), ("protected", "deal")
        )
        self.assertEqual(lead.attribution_rule, "E8")
        self.assertEqual(lead.attribution_protected_until, T0 + 32 * DAY)
        # a reorder: another opportunity of the same customer, won by its owner
        reorder = (
            self.env["crm.lead"]
            .sudo()
            .create(
                {
                    "name": "二期车位",
                    "partner_id": lead.partner_id.id,
                    "user_id": self.alice.id,
                    "type": "opportunity",
                }
            )
        )
        with self.at(T0 + 20 * DAY):
            reorder.with_user(self.alice).action_set_won()
        self.assertEqual(lead.user_id, self.alice, "the first deal still owns")
        self.assertEqual(lead.attribution_protected_until, T0 + 50 * DAY)
        self.sweep_all(T0 + 49 * DAY)
        self.assertEqual(lead.attribution_state, "protected")
        self.sweep_all(T0 + 50 * DAY)
        self.assertEqual((lead.attribution_state, lead.attribution_release_rule), ("pool", "E8"))

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


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestManagerReassignment(LifecycleCase):
    """E4 not converted; F1 / H5 the manager's assignments, from list, form and action menu."""

    def test_e4_not_converted_listed_and_reassigned_from_the_action_menu(self):
        """E4: after 30 days the manager lists and reassigns, with a reason."""
        lead = self.register("张三", "13800138000", self.alice)
        other = self.register("李四", "13900139000", self.alice, at=T0 + 20 * DAY)
        Lead = self.env["crm.lead"].with_user(self.manager)
        with self.at(T0 + 31 * DAY):
            overdue = Lead.search([("attribution_conversion_overdue", "=", True)])
            self.assertIn(lead, overdue)
            self.assertNotIn(other, overdue)
            self.assertTrue(lead.attribution_conversion_overdue)
            server_action = self.env.ref(
                "crm_lead_attribution.crm_attribution_reassign_server_action"
            )
            action = (
                server_action.with_user(self.manager)
                .with_context(
                    active_model="crm.lead", active_ids=(lead | other).ids, active_id=lead.id
                )
                .run()
            )
            form = Form(
                self.env["crm.attribution.reassign"]
                .with_user(self.manager)
                .with_context(**action["context"])
            )
            self.assertEqual(form.lead_count, 2)
            form.user_id = self.bob
            form.reason = "三十天未成交，转给张伟跟进"
            form.save().action_reassign()
        self.assertEqual((lead.user_id, other.user_id), (self.bob, self.bob))
        self.assertEqual(self.ledger(lead)[-1].rule, "E4")
        self.assertEqual(self.ledger(lead)[-1].note, "三十天未成交，转给张伟跟进")
        self.assertEqual(self.ledger(other)[-1].rule, "H5", "not overdue: the manager's decision")
        self.assertEqual(lead.attribution_owner_since, T0 + 31 * DAY)

    def test_h5_reassign_from_the_form_button_and_refusals(self):
        lead = self.register("张三", "13800138000", self.alice)
        with self.assertRefused(UserError, "Only a sales manager"):
            lead.with_user(self.alice).action_attribution_reassign()
        action = lead.with_user(self.manager).action_attribution_reassign()
        wizard = (
            self.env["crm.attribution.reassign"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"user_id": self.reception.id, "reason": "x"})
        )
        with self.assertRefused(UserError, "cannot own customers"):
            wizard.action_reassign()
        wizard.user_id = self.carol
        wizard.action_reassign()
        self.assertEqual(lead.user_id, self.carol)


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestPool(LifecycleCase):
    """F1-F3: the pool screen, claims and their limits, the manager's assignment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.attribution.desk"].with_user(cls.reception)._register_customer(
            "张三", "13800138000", "visit", cls.alice, at=T0
        )
        with cls.at(cls, T0 + 10 * DAY):
            cls.env["crm.attribution.sweep"]._cron_release()

    def setUp(self):
        super().setUp()
        self.lead = self.lead_of("13800138000")
        self.assertEqual(self.lead.attribution_state, "pool")

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

    def test_f2_holding_limit(self):
        """F2: a salesperson holding the limit is refused, told when it lifts."""
        self.company.attribution_holding_limit = 1
        self.register("李四", "13900139000", self.bob, at=T0 + 11 * DAY)
        with (
            self.at(T0 + 12 * DAY),
            self.assertRefused(UserError, "Holding limit reached: you hold 1"),
        ):
            self.lead.with_user(self.bob)._attribution_claim()
        self.company.attribution_holding_limit = 0
        with self.at(T0 + 12 * DAY):
            self.lead.with_user(self.bob)._attribution_claim()
        self.assertEqual(self.lead.user_id, self.bob)

    def test_f2_daily_claim_limit(self):
        """F2: N claims a day, then refused until the next day (the salesperson's time zone)."""
        self.company.attribution_daily_claim_limit = 1
        self.register("李四", "13900139000", self.carol, at=T0)
        second = self.lead_of("13900139000")
        second._attribution_give_up("x", at=T0 + 10 * DAY)  # as superuser: a manager's give-up
        at = T0 + 12 * DAY  # 2026-03-14 10:00 in Shanghai
        with self.at(at):
            self.lead.with_user(self.bob)._attribution_claim()
            with self.assertRefused(UserError, "Daily claim limit reached") as refusal:
                second.with_user(self.bob)._attribution_claim()
        self.assertIn("3/15/26, 12:00 AM", str(refusal.exception))
        with self.at(at + DAY):
            second.with_user(self.bob)._attribution_claim()
        self.assertEqual(second.user_id, self.bob)

    def test_f2_cool_down_for_the_former_owner(self):
        """F2: Alice lost the customer; she may claim it back only after 7 days."""
        with (
            self.at(T0 + 12 * DAY),
            self.assertRefused(UserError, "Cool-down: you lost this customer"),
        ):
            self.lead.with_user(self.alice)._attribution_claim()
        with self.at(T0 + 17 * DAY):
            self.lead.with_user(self.alice)._attribution_claim()
        self.assertEqual(self.lead.user_id, self.alice)

    def test_f1_manager_assigns_from_the_pool(self):
        """F1: the manager assigns a pool customer to anyone, without the limits."""
        self.company.attribution_daily_claim_limit = 0
        action = self.pool_row(self.lead, self.manager).action_assign()
        wizard = (
            self.env["crm.attribution.reassign"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"user_id": self.alice.id, "reason": "老客户熟悉情况"})
        )
        with self.at(T0 + 11 * DAY):
            wizard.action_reassign()
        self.assertEqual(self.lead.user_id, self.alice)
        self.assertEqual(self.ledger(self.lead)[-1].rule, "F1")
        with self.assertRaises(UserError):
            self.pool_row(self.lead, self.bob).action_assign()

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


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestChangeRequests(LifecycleCase):
    """H1: a customer's request for another salesperson; H5 the manager decides."""

    def ask(self, lead, user, requested, reason="客户希望换人"):
        action = lead.with_user(user).action_attribution_change_request()
        form = Form(
            self.env["crm.attribution.change.request"]
            .with_user(user)
            .with_context(**action["context"]),
            view="crm_lead_attribution.crm_attribution_change_request_view_form_new",
        )
        form.requested_user_id = requested
        form.reason = reason
        return form.save()

    def test_h1_owner_accepts(self):
        """H1: recorded, the owner gets an activity, accepts, and the customer moves."""
        lead = self.register("张三", "13800138000", self.alice)
        with self.at(T0 + DAY):
            request = self.ask(lead, self.alice, self.bob)
        self.assertEqual((request.state, request.owner_id), ("pending", self.alice))
        self.assertEqual(self.ledger(lead)[-1].event, "request")
        change_type = self.env.ref("crm_lead_attribution.mail_activity_type_change_request")
        self.assertEqual(
            lead.activity_ids.filtered(lambda a: a.activity_type_id == change_type).user_id,
            self.alice,
        )
        self.assertTrue(request.with_user(self.alice).can_decide)
        self.assertFalse(request.with_user(self.bob).can_decide)
        with self.assertRefused(UserError, "Only the owner or a sales manager"):
            request.with_user(self.bob).action_accept()
        with self.at(T0 + 2 * DAY):
            request.with_user(self.alice).action_accept()
        self.assertEqual((request.state, request.decision_rule), ("accepted", "H1"))
        self.assertEqual(lead.user_id, self.bob)
        self.assertEqual(lead.attribution_owner_since, T0 + 2 * DAY)
        entry = self.ledger(lead)[-1]
        self.assertEqual(
            (entry.event, entry.rule, entry.previous_owner_id, entry.owner_id),
            ("ownership", "H1", self.alice, self.bob),
        )

    def test_h5_manager_decides_and_declines(self):
        lead = self.register("张三", "13800138000", self.alice)
        request = self.ask(lead, self.manager, self.bob)
        request.with_user(self.manager).action_decline()
        self.assertEqual(
            (request.state, request.decision_rule, lead.user_id), ("declined", "H5", self.alice)
        )
        again = self.ask(lead, self.manager, self.carol)
        again.with_user(self.manager).action_accept()
        self.assertEqual((again.decision_rule, lead.user_id), ("H5", self.carol))

    def test_h1_refused_after_signing_or_to_the_owner(self):
        lead = self.register("张三", "13800138000", self.alice)
        with self.assertRefused(UserError, "already owns"):
            self.ask(lead, self.alice, self.alice)
        lead.with_user(self.alice).action_set_won()
        with self.assertRefused(UserError, "has signed"):
            self.ask(lead, self.alice, self.bob)
        self.assertFalse(
            self.env["crm.attribution.change.request"].sudo().search([("lead_id", "=", lead.id)])
        )


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestLifecycleSettings(LifecycleCase):
    """Settings of the lifecycle, per company and per sales team."""

    def test_f2_e6_e8_settings_validate_limits(self):
        settings = Form(self.env["res.config.settings"].with_user(self.admin))
        settings.attribution_reminder_days = 0
        settings.attribution_holding_limit = 0
        settings.attribution_cooldown_days = 0
        settings.attribution_first_deal = True
        settings.attribution_first_deal_days = 45
        settings.save().execute()
        self.assertEqual(self.company._attribution_policy_values().first_deal_days, 45)
        for field in (
            "attribution_reminder_days",
            "attribution_daily_claim_limit",
            "attribution_first_deal_days",
        ):
            settings = Form(self.env["res.config.settings"].with_user(self.admin))
            setattr(settings, field, -1)
            with self.assertRefused(ValidationError, "0 (off) or more"):
                settings.save().execute()

    def test_e3_e6_team_override(self):
        """A sales office with its own policy: its days apply to its customers."""
        with Form(self.team.with_user(self.manager)) as team:
            team.attribution_override = True
            self.assertEqual(team.attribution_visit_days, 10, "starts from the company's policy")
            team.attribution_visit_days = 5
            team.attribution_reminder_days = 1
        lead = self.register("张三", "13800138000", self.alice)
        self.assertEqual(lead.attribution_protected_until, T0 + 5 * DAY)
        self.sweep_all(T0 + 5 * DAY)
        self.assertEqual(lead.attribution_state, "pool")
        other_team = self.env["crm.team"].create(
            {"name": "Other office", "attribution_override": True, "attribution_release": False}
        )
        self.assertTrue(other_team._attribution_policy().release is False)


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestPoolSafeguards(LifecycleCase):
    """F2 / F3 / E7 / E8 / F4 / H1: the ways around the rules stay closed."""

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

    def test_f1_claim_refusal_names_nobody_who_never_was_in_the_pool(self):
        lead = self.register("张三", "13800138000", self.alice)
        with self.assertRefused(UserError, "not in the public pool") as refusal:
            lead.with_user(self.bob)._attribution_claim()
        self.assertNotIn("Alice", str(refusal.exception))

    def test_f3_masking_of_landlines_and_short_numbers(self):
        """F3: at least four digits are hidden, whatever the number."""
        lead = self.released("刘先生", "010-6552 9988")  # Beijing: 10 national digits
        self.assertEqual(self.pool_row(lead, self.bob).masked_phone, "10******88")

    def test_team_change_is_the_managers(self):
        """The team's policy applies: only a manager moves a customer to another team."""
        lead = self.register("张三", "13800138000", self.alice)
        other = self.env["crm.team"].create(
            {"name": "No release", "attribution_override": True, "attribution_release": False}
        )
        with self.assertRefused(UserError, "Only a sales manager can move"):
            lead.with_user(self.alice).write({"team_id": other.id})
        lead.with_user(self.manager).write({"team_id": other.id})
        self.assertEqual(lead.team_id, other)

    def test_e7_a_typed_probability_is_not_a_closed_deal(self):
        """E7: only a won stage locks, not a probability of 100 % typed on an open stage."""
        lead = self.register("张三", "13800138000", self.alice)
        lead.with_user(self.alice).write({"probability": 100})
        self.assertEqual(lead.attribution_state, "protected")

    def test_e8_someone_elses_deal_does_not_take_the_customer(self):
        """E8: Bob closing a deal of Alice's protected customer moves nothing."""
        self.company.write({"attribution_first_deal": True})
        lead = self.register("张三", "13800138000", self.alice)
        deal = (
            self.env["crm.lead"]
            .sudo()
            .create(
                {
                    "name": "Bob's deal",
                    "partner_id": lead.partner_id.id,
                    "user_id": self.bob.id,
                    "type": "opportunity",
                }
            )
        )
        deal.with_user(self.bob).action_set_won()
        self.assertEqual((lead.user_id, lead.attribution_ownership_kind), (self.alice, "visit"))

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

    def test_e5_closing_a_pool_customer_needs_an_owner(self):
        lead = self.released()
        with self.assertRefused(UserError, "has no owner"):
            lead.with_user(self.manager).action_set_won()

    def test_h1_a_change_request_cannot_be_created_decided(self):
        lead = self.register("张三", "13800138000", self.alice)
        request = (
            self.env["crm.attribution.change.request"]
            .with_user(self.alice)
            .create(
                {
                    "lead_id": lead.id,
                    "requested_user_id": self.bob.id,
                    "reason": "x",
                    "state": "accepted",
                    "decision_rule": "H5",
                    "decided_by_id": self.manager.id,
                }
            )
        )
        self.assertEqual(
            (request.state, request.decision_rule, request.decided_by_id.id),
            ("pending", False, False),
        )
        self.assertEqual(lead.user_id, self.alice)

    def test_b3_e6_a_returning_visit_moves_the_deadline_and_drops_the_old_reminder(self):
        lead = self.register("张三", "13800138000", self.alice)
        self.sweep_all(T0 + 7 * DAY, "_cron_remind")
        reminder = self.env.ref("crm_lead_attribution.mail_activity_type_protection_ending")
        self.assertTrue(lead.activity_ids.filtered(lambda a: a.activity_type_id == reminder))
        self.register("张三", "13800138000", self.bob, at=T0 + 8 * DAY)
        self.assertFalse(lead.activity_ids.filtered(lambda a: a.activity_type_id == reminder))

    def test_e6_no_reminder_when_release_is_off(self):
        self.company.attribution_release = False
        lead = self.register("张三", "13800138000", self.alice)
        self.sweep_all(T0 + 8 * DAY, "_cron_remind")
        self.assertNotIn("reminder", self.ledger(lead).mapped("event"))

    def test_e3_progress_is_reported_to_the_cron_runner(self):
        """E3: each batch reports done and remaining through ir.cron's progress."""
        for n in range(5):
            self.register(f"客户{n}", f"1370000000{n}", self.alice)
        cron = self.env.ref("crm_lead_attribution.ir_cron_attribution_release")
        cron, progress = cron._add_progress()
        with self.at(T0 + 11 * DAY):
            self.env["crm.attribution.sweep"].with_context(
                ir_cron_progress_id=progress.id
            )._cron_release(batch_size=2)
        self.assertEqual(progress.done, 2)
        self.assertGreaterEqual(progress.remaining, 3)

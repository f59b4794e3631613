from odoo.tests import tagged, users

from .common import DAY, T0, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestRemindersAndRelease(LifecycleCase):
    """E6 reminders; E3 / C2 release; E7 never released; the release switch; the
    scheduled actions and their progress reports."""

    @users("cla_alice")
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
            lead.with_user(self.env.user)._attribution_log_follow_up("call")
        self.assertFalse(reminders(), "the follow-up did what the reminder asked")
        self.sweep_all(T0 + 15 * DAY, "_cron_remind")
        self.assertEqual(len(reminders()), 1)
        self.assertEqual(self.ledger(lead).mapped("event").count("reminder"), 2)
        # the reminder is an ordinary activity: done by the owner, it is a follow-up (E1)
        with self.at(T0 + 16 * DAY):
            reminders().with_user(self.env.user).action_feedback(feedback="已回访")
        self.assertEqual(self.ledger(lead)[-1].event, "follow_up")
        self.assertEqual(lead.attribution_protected_until, T0 + 26 * DAY)

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

    @users("cla_alice")
    def test_e7_closed_customer_never_released(self):
        """E7: a won customer stays locked with the owner."""
        lead = self.register("张三", "13800138000", self.alice)
        lead.with_user(self.env.user).action_set_won()
        self.sweep_all(T0 + 400 * DAY)
        self.assertEqual((lead.attribution_state, lead.user_id), ("locked", self.alice))

    @users("cla_alice")
    def test_e7_a_typed_probability_is_not_a_closed_deal(self):
        """E7: only a won stage locks, not a probability of 100 % typed on an open stage."""
        lead = self.register("张三", "13800138000", self.alice)
        lead.with_user(self.env.user).write({"probability": 100})
        self.assertEqual(lead.attribution_state, "protected")

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

from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged, users

from .common import T0, AttributionCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestFollowUp(AttributionCase):
    """Follow-ups: E1 (extend protection), E2 (first follow-up due), C2."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.attribution.desk"]._register_customer(
            "张三", "13800138000", "visit", cls.alice, at=T0
        )

    def setUp(self):
        super().setUp()
        self.lead = self.lead_of("13800138000")

    def log(self, user, kind, note="", lead=None):
        lead = (lead or self.lead).with_user(user)
        action = lead.action_attribution_follow_up()
        form = Form(
            self.env["crm.attribution.follow.up"].with_user(user).with_context(**action["context"])
        )
        form.kind = kind
        form.note = note
        return form.save().action_log()

    @users("cla_alice")
    def test_e1_owner_follow_up_extends_protection(self):
        """E1: a call logged by the owner extends protection from the follow-up."""
        at = T0 + timedelta(days=6)
        with self.at(at):
            result = self.log(self.env.user, "call", "客户想看两居室")
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("E1", result["params"]["message"])
        self.assertEqual(self.lead.attribution_last_follow_up, at)
        self.assertEqual(self.lead.attribution_protected_until, at + timedelta(days=10))
        self.assertEqual(self.lead.attribution_rule, "E1")
        entry = self.ledger(self.lead)[-1]
        self.assertEqual(
            (entry.event, entry.follow_up_kind, entry.actor_id, entry.rule),
            ("follow_up", "call", self.alice, "E1"),
        )
        self.assertEqual(entry.note, "客户想看两居室")
        self.assertIn("客户想看两居室", self.lead.message_ids[0].body)

    @users("cla_alice")
    def test_e1_message_and_meeting_are_follow_ups(self):
        """E1: WeChat/SMS messages and meetings count as follow-ups."""
        for days, kind in ((3, "message"), (9, "meeting")):
            with self.at(T0 + timedelta(days=days)):
                self.log(self.env.user, kind)
            self.assertEqual(self.lead.attribution_protected_until, T0 + timedelta(days=days + 10))
        self.assertEqual(
            self.ledger(self.lead)[-2:].mapped("follow_up_kind"), ["message", "meeting"]
        )

    @users("cla_manager")
    def test_e1_manager_follow_up_does_not_extend(self):
        """E1: only the owner's follow-ups keep the owner's claim alive."""
        with self.at(T0 + timedelta(days=6)):
            self.log(self.env.user, "call")
        self.assertEqual(self.lead.attribution_protected_until, T0 + timedelta(days=10))
        self.assertEqual(self.ledger(self.lead)[-1].actor_id, self.manager)

    @users("cla_bob")
    def test_e1_other_salesperson_cannot_log_on_someone_elses_customer(self):
        with self.assertRaises(AccessError):
            self.log(self.env.user, "call")

    @users("cla_alice")
    def test_e1_done_activity_is_a_follow_up_and_e2_is_completed(self):
        """E1 / E2: marking the first follow-up activity done extends protection."""
        activity = self.lead.activity_ids
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("crm_lead_attribution.mail_activity_type_first_follow_up"),
        )
        at = T0 + timedelta(days=1)
        with self.at(at):
            activity.with_user(self.env.user).action_feedback(feedback="已电话回访")
        self.assertFalse(self.lead.activity_ids)
        self.assertEqual(self.lead.attribution_protected_until, at + timedelta(days=10))
        entry = self.ledger(self.lead)[-1]
        self.assertEqual(
            (entry.follow_up_kind, entry.rule), ("call", "E1")
        )  # a phonecall activity type
        self.assertIn("已电话回访", entry.note)
        self.assertFalse(self.lead.attribution_first_follow_up_due)

    @users("cla_alice")
    def test_e1_other_done_activity_counts_by_category(self):
        meeting = self.env.ref("mail.mail_activity_data_meeting")
        activity = self.lead.sudo().activity_schedule(
            activity_type_id=meeting.id, user_id=self.alice.id
        )
        with self.at(T0 + timedelta(days=2)):
            activity.with_user(self.env.user).action_done()
        self.assertEqual(self.ledger(self.lead)[-1].follow_up_kind, "meeting")

    @users("cla_alice")
    def test_e2_logged_follow_up_completes_the_first_follow_up_activity(self):
        """E2: the owner's first follow-up marks the E2 activity done (no second entry)."""
        with self.at(T0 + timedelta(days=1)):
            self.log(self.env.user, "call")
        self.assertFalse(self.lead.activity_ids)
        self.assertEqual(self.ledger(self.lead).mapped("event"), ["registration", "follow_up"])

    @users("cla_alice")
    def test_e3_late_follow_up_does_not_revive_protection(self):
        """E3: after the deadline a follow-up is recorded but protection stays ended."""
        with self.at(T0 + timedelta(days=12)):
            self.log(self.env.user, "call")
            self.assertTrue(self.lead.attribution_expired)
        self.assertEqual(self.lead.attribution_rule, "E3")
        self.assertEqual(self.lead.attribution_protected_until, T0 + timedelta(days=10))

    def test_c2_caller_follow_ups_keep_the_call_deadline_and_e2_on_visit(self):
        """C2 / E2: calls do not extend a caller; the first visit logged starts the visit period."""
        self.env["crm.attribution.desk"]._register_customer(
            "李四", "13900139000", "call", self.bob, at=T0
        )
        caller = self.lead_of("13900139000")
        with self.at(T0 + timedelta(days=10)):
            self.log(self.bob, "call", lead=caller)
        self.assertEqual(caller.attribution_rule, "C2")
        self.assertEqual(caller.attribution_protected_until, T0 + timedelta(days=15))
        with self.at(T0 + timedelta(days=12)):
            self.log(self.bob, "visit", lead=caller)
        self.assertEqual(caller.attribution_rule, "E2")
        self.assertEqual(caller.attribution_protected_until, T0 + timedelta(days=22))
        self.assertEqual(str(caller.activity_ids.date_deadline), "2026-03-16")

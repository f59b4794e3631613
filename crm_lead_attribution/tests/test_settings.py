from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged, users

from .common import DAY, T0, AttributionCase, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestSettings(AttributionCase):
    """Settings › CRM › Customer Attribution: protection days (E2, E3, C2), per company."""

    def test_e2_e3_settings_change_the_policy(self):
        """E3 / E2: the days set by the admin are the days the rules use."""
        settings = Form(self.env["res.config.settings"].with_user(self.admin))
        settings.attribution_visit_days = 7
        settings.attribution_call_days = 14
        settings.attribution_channel_days = 30
        settings.attribution_first_follow_up_days = 1
        settings.save().execute()
        self.assertEqual(self.company.attribution_visit_days, 7)
        wizard = self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        self.assertEqual(wizard.protected_until, T0 + timedelta(days=7))
        self.assertEqual(
            self.lead_of("13800138000").attribution_first_follow_up_due, T0 + timedelta(days=1)
        )
        self.assertEqual(
            self.desk(self.alice, "李四", "13900139000", kind="call").protected_until,
            T0 + timedelta(days=14),
        )
        self.assertEqual(
            self.desk(self.alice, "王五", "13700137000", kind="channel").protected_until,
            T0 + timedelta(days=30),
        )

    @users("cla_admin")
    def test_e3_zero_or_negative_days_are_refused(self):
        """Positive whole numbers only: a clear error and nothing saved."""
        for field in (
            "attribution_visit_days",
            "attribution_call_days",
            "attribution_channel_days",
            "attribution_first_follow_up_days",
        ):
            for value in (0, -3):
                settings = Form(self.env["res.config.settings"])
                setattr(settings, field, value)
                with self.assertRefused(ValidationError, "positive whole numbers"):
                    settings.save().execute()
                self.env.invalidate_all()  # read back what the database kept
                self.assertGreater(self.company[field], 0)

    def test_e3_settings_are_per_company(self):
        other = self.env["res.company"].create(
            {"name": "Second Office", "attribution_visit_days": 20}
        )
        self.assertEqual(other.attribution_phone_country_id, self.env.ref("base.cn"))
        self.assertEqual(other._attribution_policy_values().visit_days, 20)
        self.assertEqual(self.company._attribution_policy_values().visit_days, 10)

    def test_e3_settings_view_has_the_attribution_block(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("attribution_visit_days", arch)
        self.assertIn("crm_lead_attribution_block", arch)


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestLifecycleSettings(LifecycleCase):
    """Settings of the lifecycle, per company and per sales team."""

    @users("cla_admin")
    def test_f2_e6_e8_settings_validate_limits(self):
        settings = Form(self.env["res.config.settings"])
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
            settings = Form(self.env["res.config.settings"])
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

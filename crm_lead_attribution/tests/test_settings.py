from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import T0, AttributionCase


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

    def test_e3_zero_or_negative_days_are_refused(self):
        """Positive whole numbers only: a clear error and nothing saved."""
        for field in (
            "attribution_visit_days",
            "attribution_call_days",
            "attribution_channel_days",
            "attribution_first_follow_up_days",
        ):
            for value in (0, -3):
                settings = Form(self.env["res.config.settings"].with_user(self.admin))
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

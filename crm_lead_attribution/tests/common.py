from contextlib import contextmanager
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID
from odoo.tests import Form, new_test_user

from odoo.addons.crm.tests.common import TestCrmCommon

SALESMAN = "base.group_user,sales_team.group_sale_salesman"
MANAGER = "base.group_user,sales_team.group_sale_manager"
RECEPTION = "base.group_user,crm_lead_attribution.group_reception"
ADMIN = "base.group_user,base.group_system,sales_team.group_sale_manager"

# Monday 2 March 2026, 10:00 in Shanghai.
T0 = datetime(2026, 3, 2, 2, 0, 0)
DAY = timedelta(days=1)


class AttributionCase(TestCrmCommon):
    """A sales office with a receptionist, three salespeople and a manager,
    with the company's default policy (visit 10, call 15, channel 15 days,
    first follow-up 2 days) and time pinned at ``T0``.

    Built on Odoo CRM's own test base (``TestCrmCommon``), whose data stays
    out of the way: its leads and contacts have US phones and were never
    registered (no attribution state: never due, never adopted, never in the
    pool), its sales team ``sales_team_1`` (admin a member) has none of this
    office's people, and its generic stages ("Generic stage", "Generic Won")
    are the ones this office's leads start in and are won in.
    """

    freeze_time = T0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, no_reset_password=True)
        )
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Asia/Shanghai"  # the office's day (F2)
        cls.company.write(
            {
                "attribution_visit_days": 10,
                "attribution_call_days": 15,
                "attribution_channel_days": 15,
                "attribution_first_follow_up_days": 2,
                "attribution_phone_country_id": cls.env.ref("base.cn").id,
            }
        )
        user_values = {
            "tz": "Asia/Shanghai",
            "company_id": cls.company.id,
            "company_ids": [(6, 0, cls.company.ids)],
        }
        cls.reception = new_test_user(
            cls.env, "cla_desk", RECEPTION, name="Reception Amy", **user_values
        )
        cls.alice = new_test_user(cls.env, "cla_alice", SALESMAN, name="Alice Li", **user_values)
        cls.bob = new_test_user(cls.env, "cla_bob", SALESMAN, name="Bob Wang", **user_values)
        cls.carol = new_test_user(cls.env, "cla_carol", SALESMAN, name="Carol Zhang", **user_values)
        cls.manager = new_test_user(
            cls.env, "cla_manager", MANAGER, name="Manager Chen", **user_values
        )
        cls.admin = new_test_user(cls.env, "cla_admin", ADMIN, name="Admin Zhou", **user_values)
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Sunshine Sales Office",
                "user_id": cls.manager.id,
                "crm_team_member_ids": [
                    (0, 0, {"user_id": user.id}) for user in (cls.alice, cls.bob, cls.carol)
                ],
            }
        )

    # -- registering -------------------------------------------------------

    def desk(self, user, name, phone, kind="visit", receiver=None, **values):
        """Register through the reception desk wizard as ``user``; return the wizard."""
        form = Form(self.env["crm.attribution.register"].with_user(user))
        form.kind = kind
        if receiver is not None:
            form.receiver_id = receiver
        form.name = name
        form.phone = phone
        for field, value in values.items():
            setattr(form, field, value)
        wizard = form.save()
        wizard.action_register()
        return wizard

    def register(self, name, phone, receiver, kind="visit", at=T0):
        """Register through the desk service as the receptionist; the lead, as superuser."""
        _decision, lead = (
            self.env["crm.attribution.desk"]
            .with_user(self.reception)
            ._register_customer(name, phone, kind, receiver, at=at)
        )
        return lead.sudo()

    def released(self, name="张三", phone="13800138000", owner=None, at=T0):
        """A customer registered for ``owner`` (Alice) and released to the pool 10 days later."""
        lead = self.register(name, phone, owner or self.alice, at=at)
        self.sweep_all(at + 10 * DAY)
        self.assertEqual(lead.attribution_state, "pool")
        return lead

    # -- sweeps ------------------------------------------------------------

    def release(self, at):
        with self.at(at):
            return self.root["crm.attribution.sweep"]._cron_release(batch_size=2)

    def sweep_all(self, at, method="_cron_release"):
        """Call the sweep in batches of 2 until it reports nothing remaining."""
        Sweep = self.root["crm.attribution.sweep"]
        with self.at(at):
            for calls in range(1, 200):
                _done, remaining = getattr(Sweep, method)(batch_size=2)
                if not remaining:
                    return calls
            kind = "release" if "release" in method else "remind"
            ids = Sweep._due(kind, self.root["crm.lead"]._attribution_now(), limit=5)
            stuck = [
                (lead.name, lead.attribution_state, lead.attribution_protected_until)
                for lead in self.root["crm.lead"].browse(ids)
            ]
            self.fail(f"{method} still reports {remaining} due after 200 batches: {stuck}")

    # -- reading -----------------------------------------------------------

    @property
    def root(self):
        """The superuser's environment, as the scheduled actions run, whoever
        the test runs as (``@users``)."""
        return self.env(user=SUPERUSER_ID)

    def lead_of(self, phone):
        """The registered lead of a phone (any writing), as superuser."""
        Desk = self.root["crm.attribution.desk"]
        e164, _intl = Desk._parse_phone(phone, self.company)
        return Desk._find_customer(self.company, e164)

    def ledger(self, lead):
        return self.root["crm.attribution.ledger"].search(
            [("lead_id", "=", lead.id)], order="date, id"
        )

    def notified(self, user, text):
        """Messages notifying ``user`` that contain ``text``."""
        return self.root["mail.message"].search(
            [("partner_ids", "in", user.partner_id.ids), ("body", "ilike", text)]
        )

    def pool_row(self, lead, user):
        return self.env["crm.attribution.pool"].with_user(user).search([("id", "=", lead.id)])

    # -- asserting ---------------------------------------------------------

    @contextmanager
    def assertRefused(self, exception, text):
        """``assertRaises`` (which rolls back to a savepoint, so the database
        is checked as the user would find it) and the message contains ``text``."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))

    @contextmanager
    def at(self, moment):
        with freeze_time(moment):
            yield


class LifecycleCase(AttributionCase):
    """The lifecycle policy of the company: reminders 3 days before, release
    on, conversion 30 days, no first-deal attribution, claims limited to 50
    held, 5 a day and a 7-day cool-down."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "attribution_reminder_days": 3,
                "attribution_release": True,
                "attribution_conversion_days": 30,
                "attribution_first_deal": False,
                "attribution_holding_limit": 50,
                "attribution_daily_claim_limit": 5,
                "attribution_cooldown_days": 7,
            }
        )


class PoolCase(LifecycleCase):
    """Zhang San, registered for Alice at ``T0`` and released to the public
    pool at ``T0 + 10 days`` (E3), as ``self.lead``."""

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

from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time

from odoo.tests import Form, TransactionCase, new_test_user

SALESMAN = "base.group_user,sales_team.group_sale_salesman"
MANAGER = "base.group_user,sales_team.group_sale_manager"
RECEPTION = "base.group_user,crm_lead_attribution.group_reception"
ADMIN = "base.group_user,base.group_system,sales_team.group_sale_manager"

# Monday 2 March 2026, 10:00 in Shanghai.
T0 = datetime(2026, 3, 2, 2, 0, 0)


class AttributionCase(TransactionCase):
    """A sales office with a receptionist, three salespeople and a manager,
    with the company's default policy (visit 10, call 15, channel 15 days,
    first follow-up 2 days) and time pinned at ``T0``."""

    freeze_time = T0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, no_reset_password=True)
        )
        cls.company = cls.env.company
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

    # -- helpers -----------------------------------------------------------

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

    def lead_of(self, phone):
        """The registered lead of a phone (any writing), as superuser."""
        Desk = self.env["crm.attribution.desk"].sudo()
        e164, _intl = Desk._parse_phone(phone, self.company)
        return Desk._find_customer(self.company, e164).sudo()

    def ledger(self, lead):
        return (
            self.env["crm.attribution.ledger"]
            .sudo()
            .search([("lead_id", "=", lead.id)], order="date, id")
        )

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

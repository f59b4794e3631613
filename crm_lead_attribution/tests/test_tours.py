"""Browser tours: the screens walked by the people who use them.

Each tour (``static/tests/tours/*.js``) runs in headless Chromium as the
user concerned and fails on any JavaScript error; after it, the database is
checked for what the user did.

The tours run under Odoo's runner (``--test-enable``), which starts Odoo's
HTTP server in test mode, and under pytest-odoo when it is given
``--odoo-http`` (``tests/run.py`` gives it); pytest-odoo skips every
``HttpCase`` without that option.
"""

from datetime import timedelta

from freezegun import freeze_time

import odoo
from odoo import fields
from odoo.service import server as odoo_server
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import MANAGER, RECEPTION, SALESMAN

ADMIN = "base.group_user,base.group_system,sales_team.group_sale_manager"


def _ensure_http_server():
    """Make sure Odoo's HTTP server listens, as HttpCase needs it.

    Odoo's runner spawns it in test mode. pytest-odoo (``--odoo-http``)
    creates the server but spawns no listener when the configuration says
    ``http_enable = False``, as ``tests/harness.py`` writes it: spawn one
    then, on a free port of the loopback interface (pytest-odoo stops it)."""
    current = odoo_server.server
    if current is not None and getattr(current, "httpd", None) is not None:
        return
    if current is None:
        current = odoo_server.server = odoo_server.ThreadedServer(odoo.http.root)
    current.interface, current.port = "127.0.0.1", 0
    current.http_spawn()


def _warm_up_statics():
    """Read the add-ons' manifests for the static files now, in one thread.

    The first requests of the browser come at once and each would read them;
    Python 3.11 can fail ``ast.literal_eval`` run in several
    threads at once ("SystemError: AST constructor recursion depth
    mismatch", seen here with 3.11.7; see CPython gh-106905), and the browser
    then gets a 500 for a stylesheet."""
    return odoo.http.root.statics  # a cached property: computed once, here


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestTours(HttpCase):
    """A sales office in the browser: reception desk, salesperson, manager
    and administrator, each as themselves."""

    @classmethod
    def setUpClass(cls):
        _ensure_http_server()
        _warm_up_statics()
        super().setUpClass()
        env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        company = env.company
        company.write(
            {
                "attribution_visit_days": 10,
                "attribution_call_days": 15,
                "attribution_channel_days": 15,
                "attribution_first_follow_up_days": 2,
                "attribution_release": True,
                "attribution_holding_limit": 50,
                "attribution_daily_claim_limit": 5,
                "attribution_phone_country_id": env.ref("base.cn").id,
            }
        )
        values = {
            "tz": "Asia/Shanghai",
            "lang": "en_US",
            "company_id": company.id,
            "company_ids": [(6, 0, company.ids)],
        }
        cls.desk = new_test_user(env, "cla_tour_desk", RECEPTION, name="Amy Desk", **values)
        cls.alice = new_test_user(env, "cla_tour_alice", SALESMAN, name="Alice Li", **values)
        cls.bob = new_test_user(env, "cla_tour_bob", SALESMAN, name="Bob Wang", **values)
        cls.manager = new_test_user(env, "cla_tour_manager", MANAGER, name="Manager Chen", **values)
        cls.admin = new_test_user(env, "cla_tour_admin", ADMIN, name="Admin Zhou", **values)
        cls.team = env["crm.team"].create(
            {
                "name": "Tour Sales Office",
                "user_id": cls.manager.id,
                "crm_team_member_ids": [(0, 0, {"user_id": u.id}) for u in (cls.alice, cls.bob)],
            }
        )
        now = fields.Datetime.now()
        # Bob's customer, registered two days ago: a returning visit goes to Bob (B3).
        with freeze_time(now - timedelta(days=2)):
            cls.register(env, "钱多多", "137 0013 7000", cls.bob)
        # Alice's customer, registered 3 days 12 hours ago with a 10-day visit
        # protection: 6.5 days left, shown rounded up as 7 on her pipeline card.
        with freeze_time(now - timedelta(days=3, hours=12)):
            cls.register(env, "孔德明", "136 0013 6000", cls.alice)
        # Two customers Bob gave up (E5), in the public pool; Alice may claim
        # them, Bob may not (F2 cool-down).
        with freeze_time(now - timedelta(days=6)):
            cls.pool_claim = cls.register(env, "欧阳娜", "138 0013 8000", cls.bob)
            cls.pool_assign = cls.register(env, "白先生", "138 0013 8001", cls.bob)
        with freeze_time(now - timedelta(days=1)):
            for lead in cls.pool_claim | cls.pool_assign:
                cls.give_up(lead, cls.bob, "客户暂不考虑")

    def setUp(self):
        super().setUp()
        # Odoo's runner marks the running test, and the HTTP requests of the
        # browser check they belong to it (test cursor, no real mail, no
        # websocket); pytest-odoo does so only from Odoo 19 on.
        module = odoo.modules.module
        if module.current_test is not self:
            self.addCleanup(setattr, module, "current_test", module.current_test)
            module.current_test = self

    @classmethod
    def register(cls, env, name, phone, receiver):
        """Register a walk-in at the desk, as the receptionist; return the lead."""
        form = Form(env["crm.attribution.register"].with_user(cls.desk))
        form.kind = "visit"
        form.receiver_id = receiver
        form.name = name
        form.phone = phone
        form.save().action_register()
        lead = cls.leads(env, phone)
        assert len(lead) == 1, f"{name} was registered"
        return lead

    @classmethod
    def give_up(cls, lead, owner, reason):
        """E5: the owner gives the customer up, with the Give Up dialog."""
        action = lead.with_user(owner).action_attribution_give_up()
        form = Form(cls.env[action["res_model"]].with_user(owner).with_context(**action["context"]))
        form.reason = reason
        form.save().action_give_up()
        assert lead.attribution_state == "pool", lead.attribution_state

    @staticmethod
    def leads(env, phone):
        """The leads of a mainland mobile number, archived ones included."""
        e164 = "+86" + "".join(c for c in phone if c.isdigit())
        return (
            env["crm.lead"].with_context(active_test=False).search([("phone_sanitized", "=", e164)])
        )

    # -- the tours ------------------------------------------------------

    def test_reception_desk(self):
        """Reception: a new walk-in (B2), a returning customer (B3), a bad phone refused (A1)."""
        self.start_tour("/odoo", "crm_lead_attribution_reception", login="cla_tour_desk")
        new = self.leads(self.env, "139 0013 9000")
        self.assertEqual(len(new), 1)
        self.assertEqual((new.user_id, new.attribution_state), (self.alice, "protected"))
        returning = self.leads(self.env, "137 0013 7000")
        self.assertEqual(len(returning), 1, "the returning visit is logged on Bob's lead")
        self.assertEqual(returning.user_id, self.bob)
        self.assertIn("reception", returning.attribution_ledger_ids.mapped("event"))
        self.assertFalse(self.env["crm.lead"].search([("phone", "like", "12345")]))

    def test_salesperson(self):
        """Salesperson: masked pool (F3), claim (F1, F2), pipeline days left, follow-up (E1)."""
        self.start_tour("/odoo", "crm_lead_attribution_salesperson", login="cla_tour_alice")
        lead = self.pool_claim
        self.assertEqual((lead.user_id, lead.attribution_state), (self.alice, "protected"))
        self.assertIn("follow_up", lead.attribution_ledger_ids.mapped("event"))

    def test_manager(self):
        """Manager: assign from the pool (F1), ledger pivot (I1), the team's policy."""
        self.start_tour("/odoo", "crm_lead_attribution_manager", login="cla_tour_manager")
        lead = self.pool_assign
        self.assertEqual((lead.user_id, lead.attribution_state), (self.alice, "protected"))
        self.assertTrue(self.team.attribution_override)
        self.assertEqual(self.team.attribution_visit_days, 14)

    def test_admin_settings(self):
        """Administrator: Settings › CRM › Customer Attribution."""
        self.start_tour("/odoo", "crm_lead_attribution_settings", login="cla_tour_admin")
        self.assertEqual(self.env.company.attribution_visit_days, 12)

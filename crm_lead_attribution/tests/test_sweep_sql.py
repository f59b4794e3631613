from datetime import timedelta

from odoo.tests import new_test_user, tagged

from ..tools import pool_policy as pp
from .common import DAY, SALESMAN, T0, LifecycleCase

HOUR = timedelta(hours=1)
# Moments the SQL and the policy are compared at: deadlines met exactly
# (T0 - 2 days, T0 + 2 days, ...), reminder windows opening (T0 - 1 day for
# a deadline at T0 + 2 days), conversion periods ending, and in between.
MOMENTS = [
    T0 - 3 * DAY,
    T0 - 2 * DAY,
    T0 - DAY,
    T0 - 12 * HOUR,
    T0,
    T0 + DAY,
    T0 + 2 * DAY,
    T0 + 5 * DAY,
    T0 + 6 * DAY + 12 * HOUR,
    T0 + 9 * DAY + 12 * HOUR,
    T0 + 11 * DAY,
    T0 + 12 * DAY,
    T0 + 18 * DAY,
    T0 + 25 * DAY,
    T0 + 40 * DAY,
    T0 + 400 * DAY,
]


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestSweepSql(LifecycleCase):
    """The SQL twins of the policy: ``crm.attribution.sweep._due`` (release
    and reminder) and the search on ``attribution_conversion_overdue`` select
    exactly the customers ``pool_policy.release_due`` / ``reminder_due`` /
    ``conversion_overdue`` say, over a mixed population and several moments.

    Scopes: the company (this office, and a customer without a team), Harbour
    office with its own policy (first deal E8, shorter periods), Quiet
    office with its own policy and release off, an archived office with its
    own policy, and a second company with reminders off (0 days).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.attribution_first_deal = False  # E7 locks here
        Team = cls.env["crm.team"]
        cls.harbour = Team.create(
            {
                "name": "Harbour Office",
                "attribution_override": True,
                "attribution_visit_days": 7,
                "attribution_call_days": 10,
                "attribution_channel_days": 10,
                "attribution_reminder_days": 2,
                "attribution_conversion_days": 20,
                "attribution_first_deal": True,
                "attribution_first_deal_days": 30,
            }
        )
        cls.quiet = Team.create(
            {
                "name": "Quiet Office",
                "attribution_override": True,
                "attribution_release": False,
                "attribution_conversion_days": 25,
            }
        )
        cls.closed_office = Team.create(
            {
                "name": "Closed Office",
                "attribution_override": True,
                "attribution_visit_days": 20,
                "attribution_reminder_days": 5,
                "attribution_conversion_days": 0,
            }
        )
        cls.company_2 = cls.env["res.company"].create(
            {
                "name": "Second Office Company",
                "attribution_visit_days": 5,
                "attribution_call_days": 8,
                "attribution_reminder_days": 0,
                "attribution_conversion_days": 10,
            }
        )
        values = {"tz": "Asia/Shanghai"}
        main = {"company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)], **values}

        def salesperson(login, name, team=None, company_values=main):
            user = new_test_user(cls.env, login, SALESMAN, name=name, **company_values)
            if team:
                team.crm_team_member_ids = [(0, 0, {"user_id": user.id})]
            return user

        cls.dave = salesperson("cla_dave", "Dave Harbour", cls.harbour)
        cls.leo = salesperson("cla_leo", "Leo Leaving", cls.harbour)
        cls.frank = salesperson("cla_frank", "Frank Quiet", cls.quiet)
        cls.ivy = salesperson("cla_ivy", "Ivy Closed", cls.closed_office)
        cls.hank = salesperson("cla_hank", "Hank No Team")
        cls.gina = salesperson(
            "cla_gina",
            "Gina Second",
            Team.create({"name": "Second Office", "company_id": cls.company_2.id}),
            {
                "company_id": cls.company_2.id,
                "company_ids": [(6, 0, cls.company_2.ids)],
                **values,
            },
        )
        cls.customers = {}

        def register(key, owner, at, kind="visit", company=None):
            Desk = cls.env["crm.attribution.desk"]
            if company:
                Desk = Desk.with_company(company)
            else:
                Desk = Desk.with_user(cls.reception)
            phone = f"1370000{len(cls.customers):04d}"
            _decision, lead = Desk._register_customer(key, phone, kind, owner, at=at)
            cls.customers[key] = lead.sudo()
            return lead.sudo()

        def sweep(method, at):
            with cls.at(cls, at):
                getattr(cls.env["crm.attribution.sweep"], method)()

        # released to the pool (E3) at T0 - 30 days, then given up (E5)
        register("pool", cls.alice, T0 - 40 * DAY)
        sweep("_cron_release", T0 - 30 * DAY)
        given_up = register("given up", cls.bob, T0 - 20 * DAY)
        given_up.with_user(cls.bob)._attribution_give_up("客户不买", at=T0 - 19 * DAY)
        # reminded at T0 - 1 day (deadline T0 + 1 day); one of them then followed
        # up: reminded of a deadline that is no longer the one (E6 again)
        register("reminded", cls.alice, T0 - 9 * DAY)
        followed = register("reminded, followed up", cls.bob, T0 - 9 * DAY)
        sweep("_cron_remind", T0 - DAY)
        followed.with_user(cls.bob)._attribution_log_follow_up("call", at=T0 - 12 * HOUR)
        # the company's policy, this office
        register("visit ended", cls.alice, T0 - 12 * DAY)  # until T0 - 2 days
        register("visit ending", cls.bob, T0 - 8 * DAY)  # until T0 + 2 days
        register("call not visited", cls.carol, T0 - 14 * DAY, kind="call")  # until T0 + 1
        register("call ended", cls.carol, T0 - 20 * DAY, kind="call")  # until T0 - 5
        register("channel", cls.alice, T0 - 10 * DAY, kind="channel")  # until T0 + 5
        followed_up = register("followed up", cls.alice, T0 - 20 * DAY)
        followed_up.with_user(cls.alice)._attribution_log_follow_up("visit", at=T0 - 5 * DAY)
        locked = register("locked", cls.alice, T0 - 30 * DAY)  # E7
        with cls.at(cls, T0 - 25 * DAY):
            locked.with_user(cls.alice).action_set_won()
        cancelled = register("won then lost", cls.bob, T0 - 10 * DAY)  # protected, archived
        with cls.at(cls, T0 - 9 * DAY):
            cancelled.with_user(cls.bob).action_set_won()
        with cls.at(cls, T0 - 8 * DAY):
            cancelled.with_user(cls.manager).action_set_lost()
        moved = register("moved to Quiet", cls.carol, T0 - 12 * DAY)  # the team's policy now
        moved.with_user(cls.manager).write({"team_id": cls.quiet.id})
        # the company's policy, no team
        no_team = register("no team", cls.hank, T0 - 11 * DAY)  # until T0 - 1 day
        no_team.with_user(cls.manager).write({"team_id": False})
        # Harbour office: own periods; first deal (E8)
        register("harbour visit", cls.dave, T0 - 6 * DAY)  # until T0 + 1 day
        register("harbour call", cls.dave, T0 - 9 * DAY, kind="call")  # until T0 + 1 day
        first_deal = register("first deal", cls.dave, T0 - 20 * DAY)
        with cls.at(cls, T0 - 18 * DAY):
            first_deal.with_user(cls.dave).action_set_won()  # E8: until T0 + 12 days
        # Leo leaves Harbour office: an open customer to the handover list, a
        # first-deal customer kept protected but flagged for the manager (F4)
        register("leaver's open", cls.leo, T0 - 5 * DAY)
        leaver_deal = register("leaver's deal", cls.leo, T0 - 20 * DAY)
        with cls.at(cls, T0 - 19 * DAY):
            leaver_deal.with_user(cls.leo).action_set_won()  # until T0 + 11 days
        with cls.at(cls, T0 - 2 * DAY):
            cls.leo.action_archive()
        # Quiet office: release off
        register("quiet", cls.frank, T0 - 15 * DAY)  # until T0 - 5 days, never due
        # an archived office with its own policy
        register("closed office", cls.ivy, T0 - 15 * DAY)  # until T0 + 5 days
        cls.closed_office.action_archive()
        # the second company: reminders off
        register("second company", cls.gina, T0 - 6 * DAY, company=cls.company_2)  # T0 - 1
        register(
            "second company call", cls.gina, T0 - 3 * DAY, kind="call", company=cls.company_2
        )  # until T0 + 5 days

    def registered(self):
        return (
            self.root["crm.lead"]
            .with_context(active_test=False)
            .search([("attribution_state", "!=", False)])
        )

    def policy_says(self, predicate, at):
        """Ids of the registered leads for which the policy's ``predicate`` holds at ``at``."""
        return {
            lead.id
            for lead in self.registered()
            if predicate(lead._attribution_customer(), at, lead._attribution_policy())
        }

    def names(self, ids):
        return sorted(self.root["crm.lead"].browse(ids).mapped("name"))

    def test_e3_e4_e6_the_population_covers_each_case(self):
        """The seeded customers are in the states and scopes the comparison needs;
        the leads of crm's test data are not registered customers."""
        c = self.customers
        keys = ("pool", "given up", "locked", "leaver's open", "leaver's deal", "won then lost")
        self.assertEqual(
            [c[key].attribution_state for key in keys],
            ["pool", "pool", "locked", "handover", "protected", "protected"],
        )
        crm_leads = self.lead_1 | self.lead_team_1_won | self.lead_team_1_lost
        self.assertEqual(crm_leads.mapped("attribution_state"), [False] * 3)
        self.assertFalse(crm_leads & self.registered())
        self.assertTrue(c["leaver's deal"].attribution_handover)
        self.assertFalse(c["won then lost"].active)
        self.assertEqual(c["first deal"].attribution_ownership_kind, "deal")
        self.assertEqual(c["call not visited"].attribution_ownership_kind, "call")
        self.assertFalse(c["call not visited"].attribution_visited)
        self.assertEqual(c["reminded"].attribution_reminded_until, T0 + DAY)
        followed = c["reminded, followed up"]
        self.assertNotEqual(
            followed.attribution_reminded_until, followed.attribution_protected_until
        )
        self.assertEqual(c["moved to Quiet"].team_id, self.quiet)
        self.assertFalse(c["no team"].team_id)
        self.assertFalse(c["closed office"].team_id.active)
        self.assertEqual(c["second company"].company_id, self.company_2)
        self.assertEqual(c["harbour visit"].attribution_protected_until, T0 + DAY)

    def test_e3_e6_sql_due_is_the_policy(self):
        """E3 / C2 / E8 / E6: ``_due`` selects what ``release_due`` / ``reminder_due`` say."""
        Sweep = self.root["crm.attribution.sweep"]
        seen = {"release": set(), "remind": set()}
        for at in MOMENTS:
            for kind, predicate in (("release", pp.release_due), ("remind", pp.reminder_due)):
                with self.subTest(kind=kind, at=at):
                    expected = self.policy_says(predicate, at)
                    selected = Sweep._due(kind, at, limit=100000)
                    self.assertEqual(len(selected), len(set(selected)))
                    self.assertEqual(self.names(selected), self.names(expected), f"{kind} at {at}")
                    self.assertEqual(set(selected), expected)
                    self.assertEqual(Sweep._due(kind, at), len(expected), "the count agrees")
                    seen[kind] |= expected
        # the comparison met every kind of due customer at least once
        c = self.customers
        for key in (
            "visit ended", "call ended", "call not visited", "first deal", "harbour call",
            "no team", "second company", "closed office", "won then lost",
            "reminded, followed up",
        ):  # fmt: skip
            self.assertIn(c[key].id, seen["release"], key)
        for key in ("visit ending", "reminded, followed up", "first deal", "closed office"):
            self.assertIn(c[key].id, seen["remind"], key)
        for key in ("quiet", "moved to Quiet", "leaver's deal", "locked", "pool"):
            self.assertNotIn(c[key].id, seen["release"] | seen["remind"], key)
        for key in ("second company", "second company call", "reminded"):
            self.assertNotIn(c[key].id, seen["remind"], key)

    def test_e4_conversion_overdue_search_is_the_policy(self):
        """E4: the search on Not Converted selects what ``conversion_overdue`` says,
        and its negation the other registered customers."""
        Lead = self.root["crm.lead"].with_context(active_test=False)
        seen = set()
        for at in MOMENTS:
            with self.subTest(at=at), self.at(at):
                self.env.invalidate_all()
                registered = self.registered()
                expected = self.policy_says(pp.conversion_overdue, at)
                overdue = Lead.search([("attribution_conversion_overdue", "=", True)])
                self.assertEqual(self.names(overdue.ids), self.names(expected), f"at {at}")
                self.assertEqual(set(overdue.ids), expected)
                others = set(registered.ids) - expected
                for domain in (
                    [("attribution_conversion_overdue", "!=", True)],
                    [("attribution_conversion_overdue", "=", False)],
                ):
                    found = Lead.search([*domain, ("attribution_state", "!=", False)])
                    self.assertEqual(set(found.ids), others, domain)
                self.assertEqual(
                    set(registered.filtered("attribution_conversion_overdue").ids), expected
                )
                # as the manager's list searches: archived customers left out
                listed = self.root["crm.lead"].search(
                    [("attribution_conversion_overdue", "=", True)]
                )
                active = set(registered.filtered("active").ids)
                self.assertEqual(set(listed.ids), expected & active)
                seen |= expected
        c = self.customers
        for key in ("visit ended", "call ended", "quiet", "moved to Quiet", "second company"):
            self.assertIn(c[key].id, seen, key)
        for key in ("first deal", "leaver's deal", "closed office", "locked", "pool"):
            self.assertNotIn(c[key].id, seen, key)

    def test_e6_an_archived_company_keeps_its_policy(self):
        """E6: the customers of an archived company follow that company's policy
        (reminders off there), not the policy of the remaining company."""
        Sweep = self.root["crm.attribution.sweep"]
        self.env.cr.execute(
            "UPDATE res_company SET active = FALSE WHERE id = %s", [self.company_2.id]
        )
        self.env.invalidate_all()
        second = {self.customers["second company"].id, self.customers["second company call"].id}
        for at in MOMENTS:
            with self.subTest(at=at):
                selected = set(Sweep._due("remind", at, limit=100000))
                self.assertFalse(selected & second)
                self.assertEqual(selected, self.policy_says(pp.reminder_due, at))

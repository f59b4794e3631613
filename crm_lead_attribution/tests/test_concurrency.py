import threading
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, new_test_user, tagged
from odoo.tools import mute_logger

PHONE = "13800138123"
E164 = "+8613800138123"


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestConcurrentRegistration(BaseCase):
    """Two desks register the same phone at the same moment, in two real
    database transactions (A2, A3, B3): exactly one customer and one owner,
    and the other registration becomes a returning visit.

    The test commits its data (that is the point), so it works in its own
    cursors and removes what it made afterwards.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls._remove_data)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"no_reset_password": True})
            company = env.company
            cls.company_id = company.id
            groups = "base.group_user,sales_team.group_sale_salesman"
            values = {
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "notification_type": "inbox",
            }
            cls.desk_ids = [
                new_test_user(
                    env,
                    f"cla_race_desk{n}",
                    "base.group_user,crm_lead_attribution.group_reception",
                    name=f"Race Desk {n}",
                    **values,
                ).id
                for n in (1, 2)
            ]
            cls.receiver_ids = [
                new_test_user(
                    env, f"cla_race_sales{n}", groups, name=f"Race Sales {n}", **values
                ).id
                for n in (1, 2)
            ]

    @classmethod
    def _remove_data(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            leads = env["crm.lead"].search([("phone_sanitized", "=", E164)])
            partners = leads.partner_id
            # the ledger refuses deletion through the ORM (I1): this is test data
            cr.execute(
                "DELETE FROM crm_attribution_ledger WHERE lead_id IN %s", [tuple(leads.ids) or (0,)]
            )
            env["crm.attribution.identity"].search([("phone", "=", E164)]).unlink()
            leads.unlink()
            partners.unlink()
            users = env["res.users"].browse(cls.desk_ids + cls.receiver_ids)
            user_partners = users.partner_id
            users.unlink()
            user_partners.unlink()

    def _race(self, jobs):
        """Run ``jobs`` (callables of an env) in parallel transactions.

        Each transaction takes its snapshot, waits until all the others have
        taken theirs, then runs its job under Odoo's request retry loop
        (``retrying``, as for an RPC call) and commits. Returns the results and
        the number of attempts made in all.
        """
        barrier = threading.Barrier(len(jobs))
        attempts = []

        def run(user_id, job):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, user_id, {})
                cr.execute("SELECT 1")  # REPEATABLE READ: this transaction's snapshot is taken here
                barrier.wait(timeout=30)

                def attempt():
                    attempts.append(user_id)
                    return job(env)

                return retrying(attempt, env)

        # Odoo's own runner holds the registry lock in the main thread while
        # tests run; the registry exists already, so the threads may look it
        # up without that lock (as Odoo's HttpCase test mode does).
        with (
            patch.object(Registry, "_lock", DummyRLock()),
            ThreadPoolExecutor(len(jobs)) as executor,
        ):
            futures = [executor.submit(run, user_id, job) for user_id, job in jobs]
            results = [future.result(timeout=120) for future in futures]
        return results, len(attempts)

    def _register(self, receiver_id):
        def job(env):
            receiver = env["res.users"].browse(receiver_id)
            decision, _lead = env["crm.lead"]._attribution_register(
                "张三", PHONE, "visit", receiver
            )
            return decision.outcome, decision.owner_id

        return job

    def _state(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            leads = env["crm.lead"].search([("phone_sanitized", "=", E164)])
            identities = env["crm.attribution.identity"].search([("phone", "=", E164)])
            entries = env["crm.attribution.ledger"].search(
                [("lead_id", "in", leads.ids)], order="id"
            )
            return {
                "leads": len(leads),
                "partners": len(leads.partner_id),
                "identities": len(identities),
                "owner": leads.user_id.id,
                "events": [(entry.event, entry.outcome, entry.owner_id.id) for entry in entries],
                "until": leads.attribution_protected_until,
            }

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_a2_race_on_a_new_phone_gives_one_customer(self):
        """A2 / A3 / B3: two registrations of the same new phone race; one customer, one owner."""
        desk1, desk2 = self.desk_ids
        sales1, sales2 = self.receiver_ids
        results, attempts = self._race(
            [(desk1, self._register(sales1)), (desk2, self._register(sales2))]
        )

        outcomes = sorted(outcome for outcome, _owner in results)
        self.assertEqual(outcomes, ["new", "returning"])
        winner = next(owner for outcome, owner in results if outcome == "new")
        self.assertEqual(
            {owner for _outcome, owner in results}, {winner}, "both were told the same owner"
        )
        self.assertEqual(attempts, 3, "the loser hit the database lock and was retried once")

        state = self._state()
        self.assertEqual((state["leads"], state["partners"], state["identities"]), (1, 1, 1))
        self.assertEqual(state["owner"], winner)
        self.assertEqual(
            [(event, outcome) for event, outcome, _owner in state["events"]],
            [("registration", "new"), ("reception", "returning")],
        )
        self.assertEqual({owner for _event, _outcome, owner in state["events"]}, {winner})

        # B3: both desks now register the returning customer at once; the
        # row lock serialises them and neither update is lost.
        results, attempts = self._race(
            [(desk1, self._register(sales2)), (desk2, self._register(sales1))]
        )
        self.assertEqual([outcome for outcome, _owner in results], ["returning", "returning"])
        self.assertEqual(attempts, 3)
        state = self._state()
        self.assertEqual((state["leads"], state["identities"], state["owner"]), (1, 1, winner))
        self.assertEqual(
            [event for event, _outcome, _owner in state["events"]],
            ["registration", "reception", "reception", "reception"],
        )

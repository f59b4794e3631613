"""Tests that need committed data: races between real transactions, and a
sweep interrupted between and within its batches.

These tests work in their own cursors (the test cursor of TransactionCase
never commits) and remove what they made afterwards.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, new_test_user

SALESMAN = "base.group_user,sales_team.group_sale_salesman"


class CommittedCase(BaseCase):
    """Users made and committed once per class; customers registered through
    the real services in committed transactions; all removed at the end."""

    salespeople = 2
    login_prefix = "cla_commit"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.phones = set()
        cls.addClassCleanup(cls._remove_data)
        with cls.env_for(SUPERUSER_ID, {"no_reset_password": True}) as env:
            company = env.company
            values = {
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "notification_type": "inbox",
                "tz": "Asia/Shanghai",
            }
            cls.desk_id = new_test_user(
                env,
                f"{cls.login_prefix}_desk",
                "base.group_user,crm_lead_attribution.group_reception",
                name="Committed Desk",
                **values,
            ).id
            cls.manager_id = new_test_user(
                env,
                f"{cls.login_prefix}_manager",
                "base.group_user,sales_team.group_sale_manager",
                name="Committed Manager",
                **values,
            ).id
            cls.sales_ids = [
                new_test_user(
                    env, f"{cls.login_prefix}_sales{n}", SALESMAN, name=f"Sales {n:02d}", **values
                ).id
                for n in range(cls.salespeople)
            ]

    @classmethod
    @contextmanager
    def env_for(cls, uid, context=None):
        """An environment on a new cursor, committed when the block ends."""
        with cls.registry.cursor() as cr:
            yield api.Environment(cr, uid, context or {})

    @classmethod
    def _remove_data(cls):
        with cls.env_for(SUPERUSER_ID, {"active_test": False}) as env:
            e164 = [f"+86{phone}" for phone in cls.phones]
            leads = env["crm.lead"].search([("phone_sanitized", "in", e164)])
            partners = leads.partner_id
            # the ledger refuses deletion through the ORM (I1): this is test data
            env.cr.execute(
                "DELETE FROM crm_attribution_ledger WHERE lead_id IN %s", [tuple(leads.ids) or (0,)]
            )
            env["crm.attribution.identity"].search([("phone", "in", e164)]).unlink()
            env["mail.activity"].search(
                [("res_model", "=", "crm.lead"), ("res_id", "in", leads.ids)]
            ).unlink()
            leads.unlink()
            partners.unlink()
            users = env["res.users"].browse([cls.desk_id, cls.manager_id, *cls.sales_ids])
            env.cr.execute(
                "DELETE FROM crm_attribution_ledger WHERE actor_id IN %s OR owner_id IN %s",
                [tuple(users.ids), tuple(users.ids)],
            )
            user_partners = users.partner_id
            users.unlink()
            user_partners.unlink()

    def register(self, name, phone, receiver_id, days_ago, kind="visit"):
        """Register a customer ``days_ago`` days ago, committed; returns the lead id."""
        self.phones.add(phone)
        with self.env_for(self.desk_id) as env:
            at = fields.Datetime.now() - timedelta(days=days_ago)
            receiver = env["res.users"].browse(receiver_id)
            _decision, lead = env["crm.attribution.desk"]._register_customer(
                name, phone, kind, receiver, at=at
            )
            return lead.id

    def sweep(self, method="_cron_release", batch_size=100):
        """Run a sweep to the end, one committed batch at a time, as Odoo's
        cron runner does; returns the number of batches."""
        batches = 0
        while True:
            batches += 1
            with self.env_for(SUPERUSER_ID) as env:
                _done, remaining = getattr(env["crm.attribution.sweep"], method)(
                    batch_size=batch_size
                )
            if not remaining:
                return batches

    def state(self, lead_id):
        """The lead's attribution and its ledger, read fresh."""
        with self.env_for(SUPERUSER_ID, {"active_test": False}) as env:
            lead = env["crm.lead"].browse(lead_id)
            entries = env["crm.attribution.ledger"].search([("lead_id", "=", lead_id)], order="id")
            activities = env["mail.activity"].search(
                [("res_model", "=", "crm.lead"), ("res_id", "=", lead_id)]
            )
            return {
                "state": lead.attribution_state,
                "owner": lead.user_id.id,
                "events": [(entry.event, entry.rule, entry.owner_id.id) for entry in entries],
                "activities": [
                    (activity.activity_type_id.id, activity.user_id.id) for activity in activities
                ],
            }

    def race(self, jobs):
        """Run ``jobs`` (pairs of a user id and a callable of an env) in
        parallel transactions.

        Each transaction takes its snapshot, waits until all the others have
        taken theirs, then runs its job under Odoo's request retry loop
        (``retrying``, as for an RPC call) and commits. Returns each job's
        result (or the exception it raised) and the number of attempts.
        """
        barrier = threading.Barrier(len(jobs))
        attempts = []

        def run(user_id, job):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, user_id, {})
                cr.execute("SELECT 1")  # REPEATABLE READ: this transaction's snapshot
                barrier.wait(timeout=60)

                def attempt():
                    attempts.append(user_id)
                    return job(env)

                try:
                    return retrying(attempt, env)
                except Exception as error:  # noqa: BLE001 - reported to the test
                    cr.rollback()
                    return error

        # Odoo's own runner holds the registry lock in the main thread while
        # tests run; the registry exists already, so the threads may look it
        # up without that lock (as Odoo's HttpCase test mode does).
        with (
            patch.object(Registry, "_lock", DummyRLock()),
            ThreadPoolExecutor(len(jobs)) as executor,
        ):
            futures = [executor.submit(run, user_id, job) for user_id, job in jobs]
            results = [future.result(timeout=300) for future in futures]
        return results, len(attempts)

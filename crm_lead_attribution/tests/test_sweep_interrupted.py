from collections import Counter
from unittest.mock import patch

from odoo import SUPERUSER_ID
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_cron import CompletionStatus

from .committed import CommittedCase


class Killed(Exception):
    """Stands for the process dying: the batch's transaction is rolled back."""


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestInterruptedSweeps(CommittedCase):
    """E3 / E6: the release and reminder sweeps work in bounded batches,
    report progress, and may be killed at any point: run again, they finish
    with no customer released twice, no reminder sent twice and no ledger
    entry duplicated."""

    login_prefix = "cla_sweep"
    salespeople = 3

    def run_until_killed(self, method, batch_size, kill_at):
        """Run the sweep batch by batch; the second batch dies at its
        ``kill_at``-th SQL statement. Returns the batches that committed."""
        committed = 0
        countdown = {"left": None}
        original = Cursor.execute

        def execute(cursor, query, params=None, log_exceptions=True):
            if countdown["left"] is not None:
                countdown["left"] -= 1
                if countdown["left"] == 0:
                    raise Killed(f"killed at statement {kill_at}")
            return original(cursor, query, params, log_exceptions)

        with patch.object(Cursor, "execute", execute):
            while True:
                if committed == 1:
                    countdown["left"] = kill_at
                try:
                    with self.env_for(SUPERUSER_ID) as env:
                        _done, remaining = getattr(env["crm.attribution.sweep"], method)(
                            batch_size=batch_size
                        )
                except Killed:
                    return committed
                finally:
                    countdown["left"] = None
                committed += 1
                if not remaining:
                    return committed

    def check_released_once(self, lead_ids):
        for lead_id in lead_ids:
            state = self.state(lead_id)
            self.assertEqual(state["state"], "pool")
            events = Counter(event for event, _rule, _owner in state["events"])
            self.assertEqual(events["release"], 1, f"lead {lead_id} released once")
            self.assertEqual(events["registration"], 1)

    @mute_logger("odoo.sql_db", "odoo.addons.crm_lead_attribution")
    def test_e3_release_killed_anywhere_then_rerun(self):
        """E3: killed at any statement of a batch, the rerun releases each customer once."""
        for kill_at in (1, 2, 4, 7, 12, 20, 35):
            with self.subTest(kill_at=kill_at):
                lead_ids = [
                    self.register(
                        f"客户{kill_at}-{n}", f"1360{kill_at:03d}{n:04d}", self.sales_ids[n % 3], 11
                    )
                    for n in range(7)
                ]
                self.run_until_killed("_cron_release", 3, kill_at)
                batches = self.sweep(batch_size=3)
                self.assertGreaterEqual(batches, 1)
                self.check_released_once(lead_ids)

    @mute_logger("odoo.sql_db", "odoo.addons.crm_lead_attribution")
    def test_e6_reminders_killed_anywhere_then_rerun(self):
        """E6: killed at any statement of a batch, the rerun reminds each owner once."""
        reminder = None
        for kill_at in (1, 3, 6, 10, 18, 30):
            with self.subTest(kill_at=kill_at):
                # visited 8 days ago: protection ends in 2 days, within the 3 reminder days
                lead_ids = [
                    self.register(
                        f"提醒{kill_at}-{n}", f"1350{kill_at:03d}{n:04d}", self.sales_ids[n % 3], 8
                    )
                    for n in range(7)
                ]
                self.run_until_killed("_cron_remind", 3, kill_at)
                self.sweep("_cron_remind", batch_size=3)
                self.sweep("_cron_remind", batch_size=3)  # and once more: nothing new
                with self.env_for(SUPERUSER_ID) as env:
                    reminder = env.ref(
                        "crm_lead_attribution.mail_activity_type_protection_ending"
                    ).id
                for lead_id in lead_ids:
                    state = self.state(lead_id)
                    events = Counter(event for event, _rule, _owner in state["events"])
                    self.assertEqual(events["reminder"], 1, f"lead {lead_id} reminded once")
                    reminders = [a for a in state["activities"] if a[0] == reminder]
                    self.assertEqual(reminders, [(reminder, state["owner"])])

    @mute_logger("odoo.addons.base.models.ir_cron")
    def test_e3_odoo_cron_runner_runs_the_batches_to_the_end(self):
        """E3: run by Odoo's cron runner, the sweep reports progress batch by
        batch (_notify_progress) and the runner calls it again until done."""
        lead_ids = [
            self.register(f"批次{n}", f"1330000{n:04d}", self.sales_ids[n % 3], 11)
            for n in range(5)
        ]
        with self.env_for(SUPERUSER_ID) as env:
            cron = env.ref("crm_lead_attribution.ir_cron_attribution_release")
            code = cron.code
            cron.code = "model._cron_release(batch_size=2)"
            env.cr.execute("SELECT * FROM ir_cron WHERE id = %s", [cron.id])
            job = dict(env.cr.dictfetchone(), timed_out_counter=0)
            env.cr.execute("SELECT coalesce(max(id), 0) FROM ir_cron_progress")
            last_progress = env.cr.fetchone()[0]
        try:
            with patch.object(Registry, "_lock", DummyRLock()):
                status = self.registry["ir.cron"]._run_job(job)
        finally:
            with self.env_for(SUPERUSER_ID) as env:
                env.ref("crm_lead_attribution.ir_cron_attribution_release").code = code
        self.assertEqual(status, CompletionStatus.FULLY_DONE)
        with self.env_for(SUPERUSER_ID) as env:
            env.cr.execute(
                "SELECT done, remaining FROM ir_cron_progress"
                " WHERE cron_id = %s AND id > %s ORDER BY id",
                [job["id"], last_progress],
            )
            progress = env.cr.fetchall()
        self.assertEqual([done for done, _remaining in progress], [2, 2, 1])
        self.assertEqual(progress[-1][1], 0)
        self.assertGreater(progress[0][1], 0)
        self.check_released_once(lead_ids)

#!/usr/bin/env python3
"""Benchmark: the release sweep (E3) and the reminder sweep (E6) with
1,000,000 leads, 100,000 of them due.

    python3 bench/bench_release.py [--leads 1000000] [--due 100000]

Uses the bench database of ``bench_lookup.py`` (``cla_bench``, created and
loaded with SQL when missing). For each sweep:

1. 100,000 of the 1,000,000 registered leads are made due with SQL (every
   tenth lead): protection ended an hour ago (release), or ends in two days
   (reminder, 3 days before);
2. baselines, same run, each timed on a sample of due customers in a
   transaction rolled back afterwards and extrapolated to all due customers:
   a naive loop that handles one customer at a time (decides, writes the
   lead through the ORM with tracking, posts a message for the owner,
   schedules the activity for a reminder, appends the ledger entry; 500 by
   default), and the same batches as the sweep written through the ORM in
   batch (one flush of the lead writes, one ledger create, one
   ``mail.activity`` create, ``message_unsubscribe``; 5,000 by default);
3. the sweep itself runs in a separate process, batch after batch in
   committed transactions as Odoo's cron runner calls it, until nothing
   remains; its wall time and peak memory (resident set) are measured;
4. the result is checked: every due customer handled exactly once, one
   ledger entry each.

Targets: all batches in at most 60 s, at least 20 times faster than the
naive loop, peak memory under 500 MB; the speed-up over the batched ORM
says whether the sweep's raw SQL is worth keeping. Writes ``bench/results/release.json``.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchdata import open_database, peak_memory_mb

HERE = Path(__file__).resolve()
BENCH = "name LIKE 'Bench customer %%'"

RESET_SQL = f"""
UPDATE crm_lead
   SET attribution_state = 'protected',
       user_id = attribution_first_receiver_id,
       attribution_protected_until = now() AT TIME ZONE 'UTC' + interval '10 days',
       attribution_reminded_until = NULL,
       attribution_previous_owner_id = NULL,
       attribution_pool_since = NULL,
       attribution_release_rule = NULL
 WHERE {BENCH}
   AND (attribution_state != 'protected'
        OR attribution_protected_until < now() AT TIME ZONE 'UTC' + interval '9 days'
        OR attribution_reminded_until IS NOT NULL)
"""
DUE_SQL = {
    "release": "now() AT TIME ZONE 'UTC' - interval '1 hour'",
    "remind": "now() AT TIME ZONE 'UTC' + interval '2 days'",
}
METHOD = {"release": "_cron_release", "remind": "_cron_remind"}
EVENT = {"release": "release", "remind": "reminder"}


def make_due(env, kind, leads, due):
    """Reset the bench customers, then make every (leads/due)-th one due."""
    cr = env.cr
    started = time.perf_counter()
    cr.execute(
        "DELETE FROM crm_attribution_ledger WHERE event IN ('release', 'reminder') AND lead_id IN "
        f"(SELECT id FROM crm_lead WHERE {BENCH})"
    )
    reminder = env.ref("crm_lead_attribution.mail_activity_type_protection_ending").id
    cr.execute("DELETE FROM mail_activity WHERE activity_type_id = %s", [reminder])
    cr.execute(RESET_SQL)
    step = leads // due
    cr.execute(
        f"""
        UPDATE crm_lead SET attribution_protected_until = {DUE_SQL[kind]}
         WHERE {BENCH} AND (substr(phone_sanitized, 7)::int) %% %s = 0
        """,
        [step],
    )
    made = cr.rowcount
    cr.commit()
    vacuum(env.cr.dbname)
    print(f"{kind}: {made} customers made due in {time.perf_counter() - started:.1f} s", flush=True)
    return made


def vacuum(db):
    """Clean the bench table after the mass updates above (outside any
    transaction), so that each run measures the sweep, not the bloat of the
    previous runs."""
    import psycopg2

    from odoo.sql_db import connection_info_for

    _name, info = connection_info_for(db)
    connection = psycopg2.connect(**info)
    connection.autocommit = True
    with connection.cursor() as cr:
        cr.execute("VACUUM ANALYZE crm_lead")
        cr.execute("VACUUM ANALYZE crm_attribution_ledger")
        cr.execute("VACUUM ANALYZE mail_activity")
    connection.close()


def naive(env, kind, sample):
    """One customer at a time, the way a plain loop over records would."""
    from odoo.addons.crm_lead_attribution.const import REMINDER_TYPE, WRITE_FLAG
    from odoo.addons.crm_lead_attribution.tools import pool_policy as pp

    Lead = env["crm.lead"].with_context(**{WRITE_FLAG: True})
    at = Lead._attribution_now()
    ids = env["crm.attribution.sweep"]._due(kind, at, limit=sample)
    decide = pp.decide_release if kind == "release" else pp.decide_reminder
    started = time.perf_counter()
    for lead in Lead.browse(ids):
        known = lead._attribution_customer()
        customer, reason = decide(known, at, lead._attribution_policy())
        text = lead._attribution_render(reason)
        if kind == "remind":
            lead.activity_schedule(REMINDER_TYPE, user_id=known.owner_id, note=text)
        lead.write(Lead._attribution_values(customer, reason, at))
        lead.message_post(
            body=text, partner_ids=env["res.users"].browse(known.owner_id).partner_id.ids
        )
        lead._attribution_log(EVENT[kind], reason, at, previous_owner_id=known.owner_id)
    env.flush_all()
    elapsed = time.perf_counter() - started
    env.cr.rollback()
    return elapsed, len(ids)


def batched_orm(env, kind, sample, batch):
    """The sweep's batches written through the ORM instead of raw SQL: the
    same decisions, then one ORM write per lead without tracking (flushed
    together: Odoo batches the UPDATEs), one batched ledger ``create``, one
    batched ``mail.activity`` create for reminders (without per-activity
    notifications), ``message_unsubscribe`` per former owner and one
    notification per owner. Timed on ``sample`` customers in batches of
    ``batch``, rolled back."""
    from odoo.addons.crm_lead_attribution.const import REMINDER_TYPE, WRITE_FLAG
    from odoo.addons.crm_lead_attribution.tools import pool_policy as pp

    Sweep = env["crm.attribution.sweep"]
    Lead = env["crm.lead"].with_context(**{WRITE_FLAG: True, "tracking_disable": True})
    Ledger = env["crm.attribution.ledger"]
    Activity = env["mail.activity"].with_context(mail_activity_quick_update=True)
    activity_type = env.ref(REMINDER_TYPE)
    model_id = env["ir.model"]._get_id("crm.lead")
    at = Lead._attribution_now()
    decide = pp.decide_release if kind == "release" else pp.decide_reminder
    started = time.perf_counter()
    done = 0
    while done < sample:
        ids = Sweep._due(kind, at, limit=min(batch, sample - done))
        if not ids:
            break
        leads = Lead.browse(ids)
        entries, activities, owners = [], [], {}
        for lead, known, policy in Sweep._batch(leads):
            customer, reason = decide(known, at, policy)
            values = lead._attribution_values(customer, reason, at)
            if kind == "release":
                values["attribution_release_rule"] = reason.rule
            else:
                values = {"attribution_reminded_until": customer.reminded_until}
                activities.append(
                    {
                        "res_model_id": model_id,
                        "res_id": lead.id,
                        "activity_type_id": activity_type.id,
                        "user_id": known.owner_id,
                        "date_deadline": customer.protected_until.date(),
                        "automated": True,
                    }
                )
            lead.write(values)
            entries.append(
                Ledger._attribution_prepare(
                    lead, EVENT[kind], reason, date=at, previous_owner_id=known.owner_id,
                    ownership_changed=kind == "release",
                )
            )  # fmt: skip
            owners.setdefault(known.owner_id, []).append(lead.id)
        env.flush_all()
        Ledger._append(entries)
        if activities:
            Activity.create(activities)
        if kind == "release":
            for owner_id, lead_ids in owners.items():
                Lead.browse(lead_ids)._attribution_unfollow(owner_id)
        Sweep._notify(leads, owners, "Batch", "%(count)s customers: %(names)s")
        env.flush_all()
        done += len(ids)
    elapsed = time.perf_counter() - started
    env.cr.rollback()
    return elapsed, done


def sweep_phase(options):
    """Run in the child process: the sweep, batch after batch, committed."""
    from harness import write_config

    import odoo
    from odoo.modules.registry import Registry

    config = write_config(Path(options.workdir))
    odoo.tools.config.parse_config(["-c", str(config)])
    registry = Registry(options.db)
    started = time.perf_counter()
    batches = handled = 0
    while True:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            done, remaining = getattr(env["crm.attribution.sweep"], METHOD[options.kind])(
                batch_size=options.batch
            )
        batches += 1
        handled += done
        if not remaining:
            break
    print(
        json.dumps(
            {
                "seconds": round(time.perf_counter() - started, 2),
                "batches": batches,
                "handled": handled,
                "peak_memory_mb": round(peak_memory_mb(), 1),
            }
        )
    )


def run_sweep(options, kind):
    import tempfile

    workdir = tempfile.mkdtemp(prefix="cla-bench-sweep-")
    cmd = [
        sys.executable, str(HERE), "--phase", "sweep", "--kind", kind, "--db", options.db,
        "--batch", str(options.batch), "--workdir", workdir,
    ]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check(env, kind, due):
    """Every due customer handled once: one ledger entry each."""
    env.cr.execute(
        f"""
        SELECT count(*), count(DISTINCT lead_id) FROM crm_attribution_ledger
         WHERE event = %s AND lead_id IN (SELECT id FROM crm_lead WHERE {BENCH})
        """,
        [EVENT[kind]],
    )
    entries, leads = env.cr.fetchone()
    return {"ledger_entries": entries, "customers": leads, "exactly_once": entries == leads == due}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=500, help="customers timed in the naive loop")
    parser.add_argument(
        "--orm-sample", type=int, default=5000, help="customers timed in the batched-ORM baseline"
    )
    parser.add_argument("--db", default="cla_bench")
    parser.add_argument("--fresh", action="store_true", help="recreate the bench database")
    parser.add_argument("--phase", choices=["all", "sweep"], default="all")
    parser.add_argument("--kind", choices=["release", "remind"])
    parser.add_argument("--workdir")
    options = parser.parse_args()
    if options.phase == "sweep":
        sweep_phase(options)
        return 0

    odoo, registry, _users = open_database(options.db, not options.fresh, options.leads)
    if odoo is None:
        print(f"benchmark SKIPPED: {registry}")
        return 0
    report = {"leads": options.leads, "due": options.due, "batch_size": options.batch}
    met = True
    for kind in ("release", "remind"):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            due = make_due(env, kind, options.leads, options.due)
            naive_seconds, sampled = naive(env, kind, options.sample)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            orm_seconds, orm_sampled = batched_orm(env, kind, options.orm_sample, options.batch)
        per_customer = naive_seconds / sampled
        orm_per_customer = orm_seconds / orm_sampled
        sweep = run_sweep(options, kind)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            verified = check(env, kind, due)
        extrapolated = per_customer * due
        ratio = extrapolated / sweep["seconds"]
        result = {
            "due_customers": due,
            "sweep": sweep,
            "naive_sample": sampled,
            "naive_ms_per_customer": round(per_customer * 1000, 2),
            "naive_extrapolated_seconds": round(extrapolated, 1),
            "speedup": round(ratio, 1),
            "batched_orm_sample": orm_sampled,
            "batched_orm_ms_per_customer": round(orm_per_customer * 1000, 3),
            "batched_orm_extrapolated_seconds": round(orm_per_customer * due, 1),
            "speedup_over_batched_orm": round(orm_per_customer * due / sweep["seconds"], 2),
            "check": verified,
            "targets": {"seconds<=60": sweep["seconds"] <= 60, "speedup>=20": ratio >= 20,
                        "memory<500MB": sweep["peak_memory_mb"] < 500},
        }  # fmt: skip
        met = met and all(result["targets"].values()) and verified["exactly_once"]
        report[kind] = result
        print(json.dumps({kind: result}, indent=2), flush=True)
    report["targets_met"] = met
    out = HERE.parent / "results"
    out.mkdir(exist_ok=True)
    (out / "release.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: the phone lookup (判客, rule A2) with 1,000,000 leads.

    python3 bench/bench_lookup.py [--leads 1000000] [--samples 300]

Creates (or reuses, with ``--reuse``) the database ``cla_bench``, installs
the add-on without demo data, bulk-loads the leads with SQL (not through the
ORM: one INSERT .. SELECT from generate_series, with their phone identities),
then measures, server-side and in the same run:

* ours: ``crm.lead._attribution_preview``, the whole 判客 decision the
  reception desk shows (phone parsing and validation, identity lookup,
  reading the customer, the policy decision);
* baseline: Odoo's own duplicate lookup on a lead, the ``duplicate_lead_ids``
  computation the lead form runs (email domain, partner and phone_sanitized
  searches);

on the same randomly sampled customers, with caches cleared before every
call. Prints median, p95 and mean in milliseconds and the ratio of medians,
and writes them to ``bench/results/lookup.json``. Target: median <= 10 ms.
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from harness import MODULE, ROOT, odoo_status, run_odoo, write_config


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index]


def summary(values):
    return {
        "median_ms": round(statistics.median(values) * 1000, 3),
        "p95_ms": round(percentile(values, 0.95) * 1000, 3),
        "mean_ms": round(statistics.fmean(values) * 1000, 3),
        "samples": len(values),
    }


def phone_of(number):
    """The E.164 phone of bench customer ``number`` (a valid Chinese mobile)."""
    return f"+86130{number:08d}"


def typed_phone(number, prefix="130"):
    """The same number as typed at the desk, e.g. ``130-0001-2345``."""
    digits = f"{number:08d}"
    return f"{prefix}-{digits[:4]}-{digits[4:]}"


LOAD_SQL = """
INSERT INTO crm_lead (
    name, type, active, company_id, user_id, team_id, stage_id, country_id,
    phone, phone_sanitized, contact_name, priority, probability,
    attribution_state, attribution_first_receiver_id, attribution_first_contact_date,
    attribution_owner_since, attribution_ownership_kind, attribution_visited,
    attribution_protected_until, attribution_source_channel, attribution_rule,
    create_uid, write_uid, create_date, write_date
)
SELECT 'Bench customer ' || n, 'opportunity', true, %(company)s,
       (%(users)s::int[])[1 + n %% %(user_count)s], %(team)s, %(stage)s, %(country)s,
       '+86130' || lpad(n::text, 8, '0'), '+86130' || lpad(n::text, 8, '0'),
       'Bench customer ' || n, '0', 10,
       'protected', (%(users)s::int[])[1 + n %% %(user_count)s],
       now() - interval '1 day' * (n %% 30), now() - interval '1 day' * (n %% 30),
       'visit', true, now() + interval '1 day' * (n %% 10), 'visit', 'B2',
       1, 1, now(), now()
  FROM generate_series(%(start)s, %(stop)s) AS n
"""

IDENTITY_SQL = """
INSERT INTO crm_attribution_identity (company_id, phone, lead_id)
SELECT company_id, phone_sanitized, id FROM crm_lead
 WHERE name LIKE 'Bench customer %%' AND id > %(after)s
"""


def prepare(env, leads):
    """Bulk-load ``leads`` registered customers (idempotent up to ``leads``)."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_lead WHERE name LIKE 'Bench customer %%'")
    existing = cr.fetchone()[0]
    users = env["res.users"].search([("login", "like", "cla_bench_%")]).ids
    if len(users) < 4:
        group = env.ref("sales_team.group_sale_salesman")
        for n in range(4):
            values = {"name": f"Bench Sales {n}", "login": f"cla_bench_{n}"}
            values["groups_id"] = [(4, group.id)]
            env["res.users"].with_context(no_reset_password=True).create(values)
        users = env["res.users"].search([("login", "like", "cla_bench_%")]).ids
    if existing >= leads:
        return users
    team = env["crm.team"].search([], limit=1)
    stage = env["crm.stage"].search([], limit=1)
    cr.execute("SELECT coalesce(max(id), 0) FROM crm_lead")
    after = cr.fetchone()[0]
    started = time.perf_counter()
    step = 250_000
    for start in range(existing + 1, leads + 1, step):
        cr.execute(
            LOAD_SQL,
            {
                "company": env.company.id,
                "users": users,
                "user_count": len(users),
                "team": team.id,
                "stage": stage.id,
                "country": env.ref("base.cn").id,
                "start": start,
                "stop": min(leads, start + step - 1),
            },
        )
    cr.execute(IDENTITY_SQL, {"after": after})
    cr.execute("ANALYZE crm_lead")
    cr.execute("ANALYZE crm_attribution_identity")
    cr.commit()
    print(f"loaded {leads - existing} leads in {time.perf_counter() - started:.1f} s", flush=True)
    return users


def measure(env, leads, samples, users):
    Lead = env["crm.lead"]
    receiver = env["res.users"].browse(users[0])
    rng = random.Random(20261127)
    numbers = [rng.randint(1, leads) for _ in range(samples)]
    env.cr.execute(
        "SELECT phone_sanitized, id FROM crm_lead WHERE phone_sanitized = ANY(%s)",
        [[phone_of(n) for n in numbers]],
    )
    lead_of = dict(env.cr.fetchall())
    ours, odoo_dup, new_phone = [], [], []

    def timed(func):
        env.invalidate_all()
        started = time.perf_counter()
        func()
        return time.perf_counter() - started

    def lookup(phone):
        decision, _lead = Lead._attribution_preview("张三", phone, "visit", receiver)
        return decision

    def duplicates(lead_id):
        return Lead.browse(lead_id).duplicate_lead_ids

    for number in numbers[:20]:  # warm-up: caches, prepared plans
        lookup(typed_phone(number))
        duplicates(lead_of[phone_of(number)])
    for number in numbers:
        typed, unknown = typed_phone(number), typed_phone(number, prefix="131")
        ours.append(timed(lambda typed=typed: lookup(typed)))
        odoo_dup.append(timed(lambda number=number: duplicates(lead_of[phone_of(number)])))
        new_phone.append(timed(lambda unknown=unknown: lookup(unknown)))
    assert lookup(typed_phone(numbers[0])).outcome == "returning"
    assert lookup(typed_phone(numbers[0], prefix="131")).outcome == "new"
    return {
        "attribution_lookup_returning": summary(ours),
        "attribution_lookup_new_phone": summary(new_phone),
        "odoo_duplicate_lead_ids": summary(odoo_dup),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--db", default="cla_bench")
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    options = parser.parse_args()

    importable, reason = odoo_status()
    if not importable:
        print(f"benchmark SKIPPED: {reason}")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="cla-bench-"))
    config = write_config(workdir)

    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", str(config)])
    if not options.reuse or options.db not in odoo.service.db.list_dbs(force=True):
        from harness import drop_database

        drop_database(config, options.db)
        rc = run_odoo(
            config,
            "-d",
            options.db,
            "-i",
            MODULE,
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
            log=workdir / "install.log",
        )
        if rc:
            print(f"install failed, see {workdir / 'install.log'}")
            return 1
    registry = Registry(options.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        users = prepare(env, options.leads)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env.cr.execute("SELECT count(*) FROM crm_lead")
        total = env.cr.fetchone()[0]
        results = measure(env, options.leads, options.samples, users)
        cr.rollback()
    ours = results["attribution_lookup_returning"]["median_ms"]
    base = results["odoo_duplicate_lead_ids"]["median_ms"]
    report = {
        "leads_in_database": total,
        **results,
        "median_ratio_odoo_over_ours": round(base / ours, 2),
        "target_median_ms": 10,
        "target_met": ours <= 10 and results["attribution_lookup_new_phone"]["median_ms"] <= 10,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "lookup.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())

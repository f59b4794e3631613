#!/usr/bin/env python3
"""Benchmark: the phone lookup (判客, rule A2) with 1,000,000 leads.

    python3 bench/bench_lookup.py [--leads 1000000] [--samples 300]

Creates the database ``cla_bench`` (or reuses it, unless ``--fresh``),
installs the add-on without demo data, bulk-loads the leads with SQL (not
through the ORM: one INSERT .. SELECT from generate_series, with their phone
identities), then measures, server-side and in the same run:

* ours: ``crm.attribution.desk._preview``, the whole 判客 decision the
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
import sys
import time
from pathlib import Path

from benchdata import open_database, phone_of, summary


def typed_phone(number, prefix="130"):
    """The same number as typed at the desk, e.g. ``130-0001-2345``."""
    digits = f"{number:08d}"
    return f"{prefix}-{digits[:4]}-{digits[4:]}"


def measure(env, leads, samples, users):
    Lead = env["crm.lead"]
    Desk = env["crm.attribution.desk"]
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
        decision, _lead = Desk._preview("张三", phone, "visit", receiver)
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
        "attribution_lookup_returning": summary(ours, digits=3),
        "attribution_lookup_new_phone": summary(new_phone, digits=3),
        "odoo_duplicate_lead_ids": summary(odoo_dup, digits=3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--db", default="cla_bench")
    parser.add_argument("--fresh", action="store_true", help="recreate the bench database")
    options = parser.parse_args()

    odoo, registry, users = open_database(options.db, not options.fresh, options.leads)
    if odoo is None:
        print(f"benchmark SKIPPED: {registry}")
        return 0
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
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "lookup.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())

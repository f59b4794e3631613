#!/usr/bin/env python3
"""A/B of the registration benchmark: two versions of the add-on, same run.

    python3 bench/ab_register.py --a REV [--b REV] [--chunks 6] [--samples 300]
                                 [--db cla_bench] [--savepoint] [--seed 1]

Absolute times on a shared machine drift with everybody else's load; two
versions measured one after the other are not comparable. This runs
``bench_register.py`` (this checkout's) for version A and version B of the
add-on alternately, ``--chunks`` times each with ``samples / chunks``
registrations per case, so that both see the same load, and compares the
merged samples. A version is a git revision, exported with ``git archive``
to a temporary folder put first in the addons path (``ODOO_ADDONS_PATH``),
or ``.`` for this working tree (the default for B; do not edit it during
the run). The database is updated in the first chunk, with A then with B,
and then reused as is: B may add fields and records, which A ignores.

Prints, for each case and baseline, median and p95 of A and B, the change,
the ratio to each version's own plain lead create, queries and Python CPU
time; writes ``bench/results/ab_register.json``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchdata import percentile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results"
MODULE = "crm_lead_attribution"


def export(rev):
    """The add-on at ``rev`` in a temporary folder (None for the working tree)."""
    if rev == ".":
        return None
    folder = Path(tempfile.mkdtemp(prefix=f"cla-ab-{rev[:10]}-"))
    archive = subprocess.run(
        ["git", "archive", rev, MODULE], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_chunk(options, folder, chunk, label, first):
    raw = OUT / f"ab_{label}_{chunk}.json"
    cmd = [
        sys.executable,
        str(HERE / "bench_register.py"),
        "--db",
        options.db,
        "--leads",
        str(options.leads),
        "--samples",
        str(options.samples // options.chunks),
        "--warmup",
        str(options.warmup),
        "--seed",
        str(options.seed + chunk),
        "--raw",
        str(raw),
    ]
    if options.savepoint:
        cmd.append("--savepoint")
    if not first:
        cmd.append("--no-update")
    env = dict(os.environ)
    if folder is not None:
        extra = env.get("ODOO_ADDONS_PATH")
        env["ODOO_ADDONS_PATH"] = ",".join(filter(None, [str(folder), extra]))
    print(f"chunk {chunk + 1}/{options.chunks}, version {label}", flush=True)
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if not raw.exists():
        print(result.stdout[-3000:], result.stderr[-3000:])
        raise SystemExit(f"version {label}, chunk {chunk}: benchmark failed")
    data = json.loads(raw.read_text())
    raw.unlink()
    return data


def describe(rows):
    totals = [row[0] * 1000 for row in rows]
    return {
        "median_ms": round(statistics.median(totals), 2),
        "p95_ms": round(percentile(totals, 0.95), 2),
        "queries_median": statistics.median(row[2] for row in rows),
        "python_cpu_median_ms": round(statistics.median(row[3] * 1000 for row in rows), 2),
        "postcommit_median_ms": round(statistics.median(row[1] * 1000 for row in rows), 2),
        "samples": len(rows),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="git revision of version A")
    parser.add_argument("--b", default=".", help="git revision of version B (. = working tree)")
    parser.add_argument("--chunks", type=int, default=6)
    parser.add_argument("--samples", type=int, default=300, help="per version and case")
    parser.add_argument("--warmup", type=int, default=5, help="per chunk")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", default="cla_bench")
    parser.add_argument("--savepoint", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    folders = {"A": export(options.a), "B": export(options.b)}
    merged = {"A": {}, "B": {}}
    for chunk in range(options.chunks):
        for label in ("A", "B") if chunk % 2 == 0 else ("B", "A"):
            # only the first chunk updates the database, A then B: B's fields
            # and records stay (A's update would drop a column B added)
            data = run_chunk(options, folders[label], chunk, label, first=chunk == 0)
            for key, rows in data.items():
                merged[label].setdefault(key, []).extend(rows)

    results = {}
    print(
        f"\nA = {options.a}, B = {options.b}; "
        f"{'savepoints' if options.savepoint else 'committed transactions'}\n"
    )
    head = (
        f"{'case':<34}{'A med':>8}{'B med':>8}{'B-A':>8}{'A p95':>8}{'B p95':>8}"
        f"{'A ÷lead':>8}{'B ÷lead':>8}{'A q':>6}{'B q':>6}{'A cpu':>7}{'B cpu':>7}"
    )
    print(head)
    print("-" * len(head))
    for key in merged["A"]:
        a, b = describe(merged["A"][key]), describe(merged["B"][key])
        base_a = statistics.median(row[0] for row in merged["A"]["odoo_lead_create"]) * 1000
        base_b = statistics.median(row[0] for row in merged["B"]["odoo_lead_create"]) * 1000
        results[key] = {"A": a, "B": b}
        print(
            f"{key:<34}{a['median_ms']:>8.1f}{b['median_ms']:>8.1f}"
            f"{b['median_ms'] - a['median_ms']:>8.1f}{a['p95_ms']:>8.1f}{b['p95_ms']:>8.1f}"
            f"{a['median_ms'] / base_a:>8.2f}{b['median_ms'] / base_b:>8.2f}"
            f"{a['queries_median']:>6.0f}{b['queries_median']:>6.0f}"
            f"{a['python_cpu_median_ms']:>7.1f}{b['python_cpu_median_ms']:>7.1f}"
        )
    report = {
        "a": options.a,
        "b": options.b,
        "transactions": "savepoints" if options.savepoint else "committed",
        "chunks": options.chunks,
        "results": results,
    }
    (OUT / "ab_register.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

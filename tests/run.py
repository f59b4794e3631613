#!/usr/bin/env python3
"""Run the whole test suite of crm_lead_attribution.

    python3 tests/run.py

Steps, in order; the exit status is non-zero if any step fails:

1. lint: ruff and pylint-odoo (each skipped, with one line saying so, when
   it is not installed);
2. the policy tests (plain pytest and hypothesis, no Odoo needed);
3. when this interpreter can import Odoo 18, the Odoo tests:
   a. install the add-on with demo data in a fresh database and run its
      tests with Odoo's own runner (``--test-enable``);
   b. run the same tests with pytest-odoo against that database;
   c. install the add-on without demo data in a second fresh database, run
      Odoo's own ``crm`` and ``sales_team`` tests there with pytest-odoo
      (the peer tests: the add-on must not break standard CRM), then
      uninstall it there, checking that nothing of it is left.
   When Odoo is not importable, one line says the Odoo tests were skipped
   and why.

PostgreSQL is reached as libpq would: PGHOST, PGPORT and PGUSER (default:
the local socket and the current OS user; Odoo refuses the ``postgres``
role). The test databases are dropped at the end unless
``--keep-databases`` is given. The result ends with one line per part.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from harness import (
    MODULE,
    PYTHON,
    ROOT,
    drop_database,
    odoo_addons_dirs,
    odoo_status,
    run_odoo,
    write_config,
)

# Odoo's own test suites run against the add-on (the peer tests). Not
# phone_validation's: its tests need the region patches of
# phone_validation/lib/phonenumbers_patch (Brazil, Mexico, ...), which the
# Odoo 18 copy this was built against lacks; 5 of its 18 tests fail there
# on a database without the add-on as well, so they tell nothing of it.
PEER_MODULES = ("crm", "sales_team")

# (part, passed, detail): printed under "result"
RESULTS = []


def record(part, failures, detail=""):
    RESULTS.append((part, not failures, detail))
    return failures


def pytest_odoo(config, database, *args):
    """The pytest-odoo command against ``database``, then ``args``."""
    return [
        PYTHON,
        "-m",
        "pytest",
        "-q",
        "-p",
        "odoo",
        f"--odoo-config={config}",
        f"--odoo-database={database}",
        *args,
    ]


def banner(text):
    print(f"\n=== {text} ===", flush=True)


def run(cmd, **kwargs):
    print("$ " + " ".join(str(part) for part in cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=False, **kwargs).returncode


def module_available(name):
    return (
        subprocess.run(
            [PYTHON, "-c", f"import {name}"], cwd="/", capture_output=True, check=False
        ).returncode
        == 0
    )


# ---------------------------------------------------------------------------
# 1. lint
# ---------------------------------------------------------------------------


def step_lint():
    failures = 0
    banner("lint")
    if module_available("ruff"):
        failures += run([PYTHON, "-m", "ruff", "check", "."]) != 0
        failures += run([PYTHON, "-m", "ruff", "format", "--check", "."]) != 0
    else:
        print("ruff SKIPPED: not installed (pip install -r requirements-dev.txt)")
    if module_available("pylint_odoo"):
        failures += run([PYTHON, "-m", "pylint", "--rcfile=.pylintrc", MODULE]) != 0
    else:
        print("pylint-odoo SKIPPED: not installed (pip install -r requirements-dev.txt)")
    if module_available("oca_pre_commit_hooks"):
        # the XML, manifest and .po checks that pylint-odoo 10 moved out of pylint
        hooks = "import sys; from oca_pre_commit_hooks.cli{} import main; sys.exit(main())"
        failures += run([PYTHON, "-c", hooks.format(""), MODULE]) != 0
        i18n = ROOT / MODULE / "i18n"
        po_files = sorted(str(path.relative_to(ROOT)) for path in i18n.glob("*.po*"))
        failures += run([PYTHON, "-c", hooks.format("_po"), *po_files]) != 0
    else:
        print("oca-odoo-pre-commit-hooks SKIPPED: not installed (see requirements-dev.txt)")
    return record("lint", failures)


# ---------------------------------------------------------------------------
# 2. policy tests
# ---------------------------------------------------------------------------


def step_policy():
    banner("policy tests (no Odoo)")
    # -p no:odoo: pytest-odoo imports odoo when loaded; the policy needs neither.
    return record(
        "policy tests", run([PYTHON, "-m", "pytest", "-p", "no:odoo", "-q", "tests"]) != 0
    )


# ---------------------------------------------------------------------------
# 3. Odoo tests
# ---------------------------------------------------------------------------


def summarize_odoo_log(log):
    """Print the test summary of an Odoo log; return (tests run, problem lines)."""
    text = Path(log).read_text(encoding="utf-8", errors="replace")
    counts = [int(n) for n in re.findall(r"(\d+) (?:post-)?tests in ", text)]
    problems = [
        line
        for line in text.splitlines()
        if re.search(r" (ERROR|CRITICAL) ", line)
        or line.startswith(("FAIL:", "ERROR:"))
        # Odoo installs a module whose demo data failed "without demo data",
        # with a mere warning: the demo is part of what is tested
        or "demo data failed to install" in line
    ]
    for line in text.splitlines():
        if re.search(r"(post-)?tests in |when loading database|Ran \d+ tests|FAIL:|ERROR:", line):
            print("  " + line.split(" odoo.")[-1][:200])
    return sum(counts), problems


def step_odoo(keep):
    failures = 0
    workdir = Path(tempfile.mkdtemp(prefix="cla-tests-"))
    config = write_config(workdir)
    stamp = time.strftime("%Y%m%d%H%M%S")
    demo_db = f"cla_test_{stamp}_demo"
    bare_db = f"cla_test_{stamp}_nodemo"
    try:
        banner(f"Odoo tests, Odoo's runner: install with demo data into {demo_db}")
        log = workdir / "odoo-runner.log"
        rc = run_odoo(
            config,
            "-d",
            demo_db,
            "-i",
            MODULE,
            "--test-enable",
            f"--test-tags=/{MODULE}",
            "--stop-after-init",
            "--log-level=test",
            # the browser tours need Odoo's HTTP server: any free port, not 8069
            "--http-port=0",
            log=log,
        )
        ran, problems = summarize_odoo_log(log)
        if rc != 0 or problems or ran == 0:
            failures += record("add-on tests, Odoo's runner", 1, f"{ran} tests")
            print(
                f"Odoo's runner FAILED (exit {rc}, {ran} tests, {len(problems)} errors); log: {log}"
            )
            print(textwrap.indent("\n".join(problems[-40:]), "  "))
        else:
            record("add-on tests, Odoo's runner", 0, f"{ran} tests")
            print(f"Odoo's runner passed: {ran} tests")

        banner(f"Odoo tests, pytest-odoo, against {demo_db}")
        failures += record(
            "add-on tests, pytest-odoo",
            run(
                pytest_odoo(
                    config,
                    demo_db,
                    # without it pytest-odoo skips the browser tours (HttpCase)
                    "--odoo-http",
                    f"{MODULE}/tests",
                )
            )
            != 0,
        )

        banner(f"uninstall from {demo_db} (demo data, after the tests)")
        failures += record("uninstall (demo data)", check_uninstall(config, demo_db, workdir))

        banner(f"install without demo data into {bare_db}")
        log = workdir / "odoo-nodemo.log"
        rc = run_odoo(
            config, "-d", bare_db, "-i", MODULE, "--without-demo=all", "--stop-after-init", log=log
        )
        _ran, problems = summarize_odoo_log(log)
        installed = rc == 0 and not problems
        if not installed:
            failures += record("install without demo data", 1)
            print(f"install without demo FAILED (exit {rc}); log: {log}")
            print(textwrap.indent("\n".join(problems[-40:]), "  "))

        # before the uninstall below: the peer tests need the add-on installed
        peer = f"peer tests: Odoo's own {' and '.join(PEER_MODULES)} tests"
        banner(f"{peer}, pytest-odoo, against {bare_db} (the add-on installed, no demo data)")
        if installed:
            failures += record(peer, *step_peer(config, bare_db))
        else:
            failures += record(peer, 1, "not run: no database")
            print("peer tests NOT RUN: the add-on did not install without demo data")

        banner(f"uninstall from {bare_db} (no demo data, after the peer tests)")
        failures += record("uninstall (no demo data)", check_uninstall(config, bare_db, workdir))
    finally:
        if keep:
            print(f"kept databases {demo_db}, {bare_db}; config {config}")
        else:
            drop_database(config, demo_db)
            drop_database(config, bare_db)
            shutil.rmtree(workdir, ignore_errors=True)
    return failures


def step_peer(config, database):
    """Odoo's own tests of PEER_MODULES against ``database``.

    Returns (failures, detail): 1 if any test fails or none ran (pytest
    exits non-zero when it collects nothing), and pytest's count line."""
    folders = []
    for module in PEER_MODULES:
        found = [path / module / "tests" for path in odoo_addons_dirs()]
        found = [path for path in found if path.is_dir()]
        if not found:
            print(f"peer tests FAILED: no tests of Odoo's {module} found")
            return 1, f"no tests of {module}"
        folders.append(found[0])
    # no .pytest_cache written into Odoo's own tree
    cmd = pytest_odoo(config, database, "-p", "no:cacheprovider", *folders)
    print("$ " + " ".join(str(part) for part in cmd), flush=True)
    counts = ""
    with subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as pytest:
        for line in pytest.stdout:
            print(line, end="", flush=True)
            if re.search(r"\d+ (passed|failed|error)", line):
                counts = line.strip().strip("= ")
    if pytest.returncode:
        print(f"peer tests FAILED (pytest exit {pytest.returncode}): standard CRM is broken")
    return int(pytest.returncode != 0), counts


UNINSTALL_SCRIPT = f"""
import sys
module = env["ir.module.module"].search([("name", "=", "{MODULE}")])
assert module.state == "installed", module.state
registered = env["crm.lead"].search_count([("attribution_state", "!=", False)])
with_demo = bool(env.ref("{MODULE}.demo_team_sales_office", raise_if_not_found=False))
assert with_demo or registered == 0, "demo customers in a database without demo data"
module.button_immediate_uninstall()
env.cr.commit()
env.cr.execute("SELECT state FROM ir_module_module WHERE name = %s", ["{MODULE}"])
state = env.cr.fetchone()[0]
env.cr.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'crm_attribution%%'"
)
tables = [row[0] for row in env.cr.fetchall()]
env.cr.execute(
    "SELECT column_name FROM information_schema.columns"
    " WHERE table_name IN ('crm_lead', 'res_company', 'res_partner')"
    " AND column_name LIKE 'attribution%%'"
)
columns = [row[0] for row in env.cr.fetchall()]
env.cr.execute("SELECT count(*) FROM ir_model_data WHERE module = %s", ["{MODULE}"])
xmlids = env.cr.fetchone()[0]
env.cr.execute("SELECT count(*) FROM res_users WHERE login LIKE 'cla.%%'")
demo_users = env.cr.fetchone()[0]
print("uninstall check:", state, tables, columns, xmlids, demo_users)
sys.exit(0 if (state, tables, columns, xmlids, demo_users) == ("uninstalled", [], [], 0, 0) else 3)
"""


def check_uninstall(config, database, workdir):
    script = workdir / "uninstall.py"
    script.write_text(UNINSTALL_SCRIPT)
    log = workdir / f"odoo-uninstall-{database}.log"
    cmd = [PYTHON, "-m", "odoo", "shell", "-c", str(config), "-d", database, "--log-level=warn"]
    print("$ " + " ".join(cmd) + f" < {script}", flush=True)
    with open(script, encoding="utf-8") as stdin, open(log, "w", encoding="utf-8") as out:
        rc = subprocess.run(
            cmd, cwd=ROOT, stdin=stdin, stdout=out, stderr=subprocess.STDOUT, check=False
        ).returncode
    text = log.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        if line.startswith("uninstall check:"):
            print("  " + line)
    if rc != 0 or "uninstall check: uninstalled [] [] 0 0" not in text:
        print(f"uninstall FAILED (exit {rc}); log: {log}")
        print(textwrap.indent(text[-3000:], "  "))
        return 1
    print("uninstalled cleanly: no table, column or external id of the add-on left")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep-databases", action="store_true", help="keep the Odoo test databases"
    )
    parser.add_argument("--no-lint", action="store_true", help="skip the lint step")
    options = parser.parse_args()

    failures = 0
    if not options.no_lint:
        failures += step_lint()
    failures += step_policy()
    importable, reason = odoo_status()
    if importable:
        failures += step_odoo(options.keep_databases)
    else:
        banner("Odoo tests")
        print(f"Odoo tests SKIPPED: {reason}; only the policy tests ran.", flush=True)
        RESULTS.append(("Odoo tests", None, reason))
    banner("result")
    for part, passed, detail in RESULTS:
        status = "skipped" if passed is None else "passed" if passed else "FAILED"
        print(f"  {part}: {status}" + (f" ({detail})" if detail else ""))
    print("FAILED" if failures else "OK: the whole suite passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Find and drive the Odoo 18 that this interpreter can import.

Shared by ``tests/run.py`` and the benchmarks in ``bench/``. PostgreSQL is
reached as libpq would: PGHOST, PGPORT and PGUSER (default: the local socket
and the current OS user; Odoo refuses the ``postgres`` role).
"""

import getpass
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = "crm_lead_attribution"
PYTHON = sys.executable


def odoo_status():
    """(importable, reason): can this interpreter run Odoo 18?"""
    probe = subprocess.run(
        [PYTHON, "-c", "import odoo.release as r; print(r.major_version)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
        return False, f"{PYTHON} cannot import odoo ({last})"
    version = probe.stdout.strip()
    if version != "18.0":
        return False, f"the importable Odoo is version {version}, not 18.0"
    return True, ""


def odoo_addons_dirs():
    """Odoo's own addons folder(s): beside the ``odoo`` package, and a
    source checkout's ``addons/``; those that hold ``crm``."""
    probe = subprocess.run(
        [PYTHON, "-c", "import odoo, os; print(os.path.dirname(os.path.abspath(odoo.__file__)))"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    odoo_dir = Path(probe.stdout.strip())
    candidates = (odoo_dir / "addons", odoo_dir.parent / "addons")
    return [path for path in candidates if (path / "crm").is_dir()]


def addons_path():
    """Odoo's own addons folder(s), ODOO_ADDONS_PATH if set, and this repository."""
    extra = [Path(p) for p in os.environ.get("ODOO_ADDONS_PATH", "").split(",") if p]
    return ",".join(str(path) for path in [*odoo_addons_dirs(), *extra, ROOT])


def db_settings():
    """Odoo configuration keys for the database connection."""
    settings = {"db_user": os.environ.get("PGUSER") or getpass.getuser()}
    if os.environ.get("PGHOST"):
        settings["db_host"] = os.environ["PGHOST"]
    if os.environ.get("PGPORT"):
        settings["db_port"] = os.environ["PGPORT"]
    return settings


def write_config(workdir):
    """An Odoo configuration file for the test and benchmark databases."""
    workdir = Path(workdir)
    config = workdir / "odoo.conf"
    lines = [
        "[options]",
        f"addons_path = {addons_path()}",
        f"data_dir = {workdir / 'data'}",
        "http_enable = False",
    ]
    lines += [f"{key} = {value}" for key, value in db_settings().items()]
    config.write_text("\n".join(lines) + "\n")
    return config


def run_odoo(config, *args, log=None):
    """Run ``python -m odoo -c CONFIG ARGS``; output to ``log`` if given."""
    cmd = [PYTHON, "-m", "odoo", "-c", str(config), *args]
    print("$ " + " ".join(cmd) + (f"  > {log}" if log else ""), flush=True)
    if log is None:
        return subprocess.run(cmd, cwd=ROOT, check=False).returncode
    with open(log, "w", encoding="utf-8") as handle:
        return subprocess.run(
            cmd, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, check=False
        ).returncode


def drop_database(config, name):
    subprocess.run(
        [PYTHON, "-m", "odoo", "db", "-c", str(config), "drop", name],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )

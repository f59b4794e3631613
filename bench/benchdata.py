"""Shared by the benchmarks: the database with 1,000,000 registered leads.

The leads are loaded with SQL (one INSERT .. SELECT from generate_series per
250,000, with their phone identities), not through the ORM. Loading is
idempotent: a database that has them already is reused.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from harness import MODULE, drop_database, odoo_status, run_odoo, write_config


def phone_of(number):
    """The E.164 phone of bench customer ``number`` (a valid Chinese mobile)."""
    return f"+86130{number:08d}"


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


def open_database(db, reuse, leads, update=True, workdir=None):
    """Install the add-on without demo data in ``db`` (unless reused; a
    reused one is updated unless ``update`` is false) and load ``leads``
    bench customers. Odoo's data directory (the filestore) is in
    ``workdir``, a new temporary folder by default: a benchmark that reads
    attachments (avatars) of a reused database passes the same folder on
    every run. Returns ``(odoo, registry, user ids)``, or ``(None, reason,
    None)`` when Odoo cannot be imported."""
    importable, reason = odoo_status()
    if not importable:
        return None, reason, None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="cla-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_config(workdir)

    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", str(config)])
    log = workdir / "install.log"
    if not reuse or db not in odoo.service.db.list_dbs(force=True):
        drop_database(config, db)
        args = ["-d", db, "-i", MODULE, "--without-demo=all", "--stop-after-init"]
    elif update:  # bring a reused database up to this version of the add-on
        args = ["-d", db, "-u", MODULE, "--stop-after-init"]
    else:
        args = None
    if args and run_odoo(config, *args, log=log):
        raise SystemExit(f"install failed, see {log}")
    registry = Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        users = prepare(env, leads)
    return odoo, registry, users


def peak_memory_mb():
    """Peak resident memory of this process, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values, fraction):
    """The ``fraction`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values, digits=2):
    """Median, p95 and mean of durations in seconds, in milliseconds."""
    return {
        "median_ms": round(statistics.median(values) * 1000, digits),
        "p95_ms": round(percentile(values, 0.95) * 1000, digits),
        "mean_ms": round(statistics.fmean(values) * 1000, digits),
        "samples": len(values),
    }

#!/usr/bin/env python3
"""Benchmark: the reception rotation (排轮, B1) of a sales office of 200.

    python3 bench/bench_rotation.py [--members 200] [--days 365] [--samples 200]
                                    [--db cla_bench_rot] [--fresh] [--profile 50]

Creates the database ``cla_bench_rot`` (or reuses it, unless ``--fresh``),
installs the add-on without demo data, then sets up once (committed,
idempotent): a sales team of ``--members`` salespeople (users created in
batches through the ORM, in seat order), a reception user, and a year of
the team's turn log loaded with SQL (``--walk-ins`` new walk-ins a day, each
a turn taken and the member back to available later, a few skipped turns,
returning customers and members off, with the reasons the rotation writes).

Today starts with a tenth of the members off and a twentieth out (through
the rotation, as the desk records them). Then, interleaved round by round on
the same machine, as the reception user, each call in its own transaction
committed after the measure, with the caches cleared before it:

* rotation: ``crm.team._attribution_receive_next``, the desk's *Receive
  Next Walk-in*: lock the team, read today's rotation (members, statuses,
  today's counts from the turn log), decide, write the members and the
  team, append the turns; timed up to the flush (the COMMIT is timed
  apart). As at a real desk, the receiver is then receiving, and the
  oldest receiver goes back to available once five are (outside the
  measure, through the rotation: a status turn);
* baseline: the registration of a new walk-in without rotation,
  ``crm.attribution.desk._register_customer`` (B2: contact, lead, ledger,
  chatter note, E2 activity), timed the same way;
* the desk kanban's data: one ``web_search_read`` of the team's members
  with the domain of the rotation desk's action, its order, limit (40) and
  count limit as the web client sends them, and the specification of the
  fields of the kanban view (built from its arch: statuses, today's counts,
  who is next, the avatar as a size).

Prints median, p95 and mean (ms), queries per call, the ratio rotation /
registration, and writes ``bench/results/rotation.json``. Targets: rotation
median <= 10 ms; kanban data median <= 50 ms.

``--profile N`` then runs N more rotation turns under cProfile and writes
``bench/results/rotation.prof``, ``rotation_cprofile.txt`` and the queries of
one turn in ``rotation_queries.txt``.
"""

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

from bench_register import new_phones, typed
from benchdata import open_database, summary

OUT = Path(__file__).resolve().parent / "results"
TEAM = "Rotation Bench Office"
TZ = "Asia/Shanghai"
KANBAN = "crm_lead_attribution.crm_team_member_view_kanban_rotation"
# the turn log columns load_history fills per row, in order
COLUMNS = ("date", "day", "user", "event", "counted", "status", "rule", "message", "args")
BUSY_AT_ONCE = 5  # receivers still with their visitor when the next walk-in comes


# ----------------------------------------------------------------------
# setup (committed once, idempotent)
# ----------------------------------------------------------------------


def setup(env, members):
    """The company's time zone, the reception user, the team of ``members``
    salespeople in seat order. Returns ``(desk, team)`` records."""
    company = env.company
    if company.partner_id.tz != TZ:
        company.partner_id.tz = TZ
    Users = env["res.users"].with_context(
        no_reset_password=True, tracking_disable=True, mail_create_nosubscribe=True
    )
    common = {"tz": TZ, "company_id": company.id, "company_ids": [(6, 0, company.ids)]}
    desk = Users.search([("login", "=", "rot_bench_desk")], limit=1)
    if not desk:
        groups = [env.ref("base.group_user").id, env.ref("crm_lead_attribution.group_reception").id]
        desk = Users.create(
            {**common, "login": "rot_bench_desk", "name": "Rotation Bench Reception",
             "email": "rot_bench_desk@bench.example.com", "groups_id": [(6, 0, groups)]}
        )  # fmt: skip
    logins = [f"rot_bench_{n:03d}" for n in range(members)]
    existing = set(Users.search([("login", "in", logins)]).mapped("login"))
    missing = [login for login in logins if login not in existing]
    salesman = env.ref("sales_team.group_sale_salesman").id
    started = time.perf_counter()
    for batch in range(0, len(missing), 50):
        Users.create(
            [
                {**common, "login": login, "name": f"Bench Seller {login[-3:]}",
                 "email": f"{login}@bench.example.com", "groups_id": [(6, 0, [salesman])]}
                for login in missing[batch : batch + 50]
            ]
        )  # fmt: skip
    if missing:
        print(f"created {len(missing)} salespeople in {time.perf_counter() - started:.1f} s")
    users = Users.search([("login", "in", logins)], order="login")
    team = env["crm.team"].search([("name", "=", TEAM)], limit=1)
    if not team:
        team = env["crm.team"].create({"name": TEAM, "company_id": company.id})
    seated = team.crm_team_member_ids.user_id
    team.write(
        {
            "crm_team_member_ids": [
                (0, 0, {"user_id": user.id, "attribution_seat": seat})
                for seat, user in enumerate(users, start=1)
                if user not in seated
            ]
        }
    )
    env.cr.commit()
    return desk, team


def load_history(env, team, desk, days, walk_ins, today, seed):
    """A year of the team's turn log, with SQL (once per database): per day
    ``walk_ins`` new walk-ins taken in seat order (each member back to
    available later), busy and absent members skipped, returning customers
    received by their owner, members off for the day."""
    from odoo.addons.crm_lead_attribution.tools import rotation_policy as rot

    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_attribution_turn WHERE team_id = %s", [team.id])
    if cr.fetchone()[0]:
        return 0
    rng = random.Random(seed)
    users = team.crm_team_member_ids.sorted("attribution_seat").user_id.ids
    size = len(users)
    rows = []

    def row(day, minute, user, event, rule, message, args, counted=False, status=None):
        # the office opens at 9:00 local time (UTC+8)
        at = datetime.combine(day, datetime.min.time()) + timedelta(hours=1, minutes=minute)
        reason = {"user": {"user": user}, **args}
        rows.append((at, day, user, event, counted, status, rule, message, json.dumps(reason)))

    def label(status):
        return {"status": {"label": rot.status_label(status).text}}

    seat = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        off = set(rng.sample(users, size // 10))
        for user in off:
            row(day, 0, user, rot.STATUS, "B1", rot._STATUS, label(rot.OFF), status=rot.OFF)
        step = 540 // walk_ins  # walk-ins spread over the day (9:00-18:00)
        for n in range(walk_ins):
            minute = n * step
            while users[seat % size] in off:
                user = users[seat % size]
                row(day, minute, user, rot.SKIPPED, "B1", rot._SKIPPED_ABSENT, label(rot.OFF))
                seat += 1
            user = users[seat % size]
            seat += 1
            row(day, minute, user, rot.TAKEN, "B1", rot._TAKEN, {}, counted=True)
            row(day, minute + rng.randint(20, 90), user, rot.STATUS, "B1", rot._STATUS,
                label(rot.AVAILABLE), status=rot.AVAILABLE)  # fmt: skip
            if n % 4 == 0:  # a returning customer received by the owner (B3)
                owner = rng.choice(users)
                row(day, minute + 5, owner, rot.RETURNING, "B3", rot._RETURNING, {}, counted=True)
    cr.execute(
        """
        INSERT INTO crm_attribution_turn (
            date, day, user_id, event, counted, status, rule, reason_message, reason_args,
            team_id, company_id, actor_id, create_uid, write_uid, create_date, write_date
        )
        SELECT v.date, v.day, v.user_id, v.event, v.counted, v.status, v.rule,
               v.reason_message, v.reason_args::jsonb,
               %(team)s, %(company)s, %(desk)s, %(desk)s, %(desk)s, v.date, v.date
          FROM unnest(%(date)s::timestamp[], %(day)s::date[], %(user)s::int[], %(event)s::varchar[],
                      %(counted)s::bool[], %(status)s::varchar[], %(rule)s::varchar[],
                      %(message)s::text[], %(args)s::text[])
            AS v(date, day, user_id, event, counted, status, rule, reason_message, reason_args)
        """,
        {
            "team": team.id,
            "company": team.company_id.id or env.company.id,
            "desk": desk.id,
            **dict(zip(COLUMNS, map(list, zip(*rows, strict=True)), strict=True)),
        },
    )
    cr.execute("ANALYZE crm_attribution_turn")
    cr.commit()
    return len(rows)


def start_today(env, team, desk_id, seed):
    """Today begins with a tenth of the members off and a twentieth out,
    set through the rotation (status turns), the others available."""
    from odoo.addons.crm_lead_attribution.tools import rotation_policy as rot

    rng = random.Random(seed)
    members = team.crm_team_member_ids.sorted("attribution_seat")
    absent = rng.sample(list(members), len(members) // 10 + len(members) // 20)
    desk_team = team.with_user(desk_id)
    for member in members:
        status = rot.AVAILABLE
        if member in absent:
            status = rot.OFF if absent.index(member) < len(members) // 10 else rot.OUT
        if member.attribution_status_today != status:
            desk_team.sudo()._attribution_set_status(member.user_id, status)
    env.cr.commit()
    return len(absent)


# ----------------------------------------------------------------------
# the measures
# ----------------------------------------------------------------------


def kanban_specification(env):
    """The fields of the rotation desk's kanban, as the web client asks for
    them: many2one fields with their display name, the avatar (read as a
    size, ``bin_size``) with ``write_date``, which the image widget needs."""
    view = env.ref(KANBAN)
    views = env["crm.team.member"].get_views([(view.id, "kanban")])
    arch = ElementTree.fromstring(views["views"]["kanban"]["arch"])
    fields = views["models"]["crm.team.member"]["fields"]
    spec = {}
    for node in arch.iter("field"):
        name = node.get("name")
        relational = fields[name]["type"] in ("many2one", "many2many", "one2many")
        spec[name] = {"fields": {"display_name": {}}} if relational else {}
        if node.get("widget") == "image":
            spec["write_date"] = {}
    return spec


class Measure:
    """One call as the desk's RPC: a fresh environment for ``uid`` with the
    caches cleared, the call and the flush (the pre-commit work) timed, then
    the COMMIT timed apart. Counts the queries (Odoo's per-thread counter)."""

    def __init__(self, odoo, cr, context):
        self.odoo = odoo
        self.cr = cr
        self.context = context
        self.profiler = None  # a cProfile.Profile while profiling
        self.cpu = []  # this process's CPU time of each call (Python; not PostgreSQL's)

    def __call__(self, uid, func, context=None):
        env = self.odoo.api.Environment(self.cr, uid, dict(self.context, **(context or {})))
        env.invalidate_all()
        thread = threading.current_thread()
        thread.query_count = 0
        thread.query_time = 0.0
        started = time.perf_counter()
        cpu = time.process_time()
        if self.profiler is not None:
            self.profiler.enable()
        result = func(env)
        self.cr.flush()
        if self.profiler is not None:
            self.profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        queries = thread.query_count
        begun = time.perf_counter()
        self.cr.commit()
        self.cpu.append(cpu)
        return result, elapsed, queries, time.perf_counter() - begun


class Desk:
    """The receivers still with their visitor, in the order they received:
    once more than ``BUSY_AT_ONCE`` are, the oldest is back (through the
    rotation, outside the measure)."""

    def __init__(self, measure, desk_id, team_id):
        self.measure = measure
        self.desk_id = desk_id
        self.team_id = team_id
        self.busy = deque()

    def received(self, user_id):
        self.busy.append(user_id)
        while len(self.busy) > BUSY_AT_ONCE:
            self.back(self.busy.popleft())

    def back(self, user_id):
        def call(env):
            team = env["crm.team"].browse(self.team_id).sudo()
            team._attribution_set_status(env["res.users"].browse(user_id), "available")

        self.measure(self.desk_id, call)

    def all_back(self):
        while self.busy:
            self.back(self.busy.popleft())


def rotation_turn(env, team_id):
    return (
        env["crm.team"]
        .browse(team_id)
        ._attribution_receive_next(env["crm.lead"]._attribution_now())
        .id
    )


def registration(env, name, phone, receiver_id):
    decision, lead = env["crm.attribution.desk"]._register_customer(
        name, phone, "visit", env["res.users"].browse(receiver_id)
    )
    return decision.outcome, lead.id


def kanban_data(env, team_id, spec, limit):
    return env["crm.team.member"].web_search_read(
        [("crm_team_id", "=", team_id)],
        spec,
        offset=0,
        limit=limit,
        order="attribution_seat ASC, id ASC",
        count_limit=10001,
    )


def run(measure, desk, ids, plan, rounds, record=None):
    """``rounds`` rounds of: a rotation turn, a registration, the kanban's
    data (first page and all members), in a random order per round."""
    desk_id, team_id, spec = ids
    for i in range(rounds):
        for job in plan.order[i % len(plan.order)]:
            if job == 0:
                receiver, elapsed, queries, commit = measure(
                    desk_id, lambda env: rotation_turn(env, team_id)
                )
                desk.received(receiver)
                key = "rotation_receive_next"
            elif job == 1:
                (outcome, _lead), elapsed, queries, commit = measure(
                    desk_id,
                    lambda env, i=i: registration(
                        env, plan.names[i], typed(plan.phones[i]), plan.receivers[i]
                    ),
                )
                assert outcome == "new", outcome
                key = "registration_new_walk_in"
            else:
                limit = 40 if job == 2 else None
                context = {"bin_size": True}
                result, elapsed, queries, commit = measure(
                    desk_id, lambda env, limit=limit: kanban_data(env, team_id, spec, limit),
                    context,
                )  # fmt: skip
                assert result["records"] and "attribution_count_today" in result["records"][0]
                key = "desk_kanban_first_page" if job == 2 else "desk_kanban_all_members"
            if record is not None:
                record[key].append((elapsed, queries, commit, measure.cpu[-1]))


class Plan:
    """The new walk-ins' phones, names and receivers, and each round's order."""

    def __init__(self, env, rounds, receivers, seed):
        rng = random.Random(seed)
        self.phones = new_phones(env, rounds, rng, set())
        self.names = [
            rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋")
            for _ in range(rounds)
        ]
        self.receivers = [rng.choice(receivers) for _ in range(rounds)]
        self.order = [rng.sample(range(4), 4) for _ in range(rounds)]


def describe(rows):
    return summary([elapsed for elapsed, *_rest in rows]) | {
        "queries_median": statistics.median(row[1] for row in rows),
        "commit_median_ms": round(statistics.median(row[2] for row in rows) * 1000, 2),
        "python_cpu_median_ms": round(statistics.median(row[3] for row in rows) * 1000, 2),
    }


def profile(odoo, measure, desk, ids, runs):
    """cProfile of ``runs`` rotation turns (the measured part: the call and
    the flush), and the queries of one."""
    desk_id, team_id, _spec = ids
    profiler = cProfile.Profile()
    log = []
    for n in range(runs):
        if n == runs // 2:
            log = logged_turn(odoo, measure, desk, desk_id, team_id)
            continue
        measure.profiler = profiler
        try:
            receiver, *_rest = measure(desk_id, lambda env: rotation_turn(env, team_id))
        finally:
            measure.profiler = None
        desk.received(receiver)
    profiler.dump_stats(OUT / "rotation.prof")
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
    (OUT / "rotation_cprofile.txt").write_text(text.getvalue())
    (OUT / "rotation_queries.txt").write_text("\n".join(log) + "\n")
    return len(log)


def logged_turn(odoo, measure, desk, desk_id, team_id):
    """One rotation turn with its queries logged (SQL and time)."""
    from odoo import sql_db

    log = []
    original = sql_db.Cursor.execute

    def execute(self, query, params=None, log_exceptions=True):
        started = time.perf_counter()
        try:
            return original(self, query, params, log_exceptions)
        finally:
            sql = query.code if hasattr(query, "code") else str(query)
            log.append(f"{(time.perf_counter() - started) * 1000:8.3f} ms  {' '.join(sql.split())}")

    sql_db.Cursor.execute = execute
    try:
        receiver, *_rest = measure(desk_id, lambda env: rotation_turn(env, team_id))
    finally:
        sql_db.Cursor.execute = original
    desk.received(receiver)
    return log[:-1]  # without the COMMIT


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--days", type=int, default=365, help="days of turn history")
    parser.add_argument("--walk-ins", type=int, default=40, help="new walk-ins a day in history")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--db", default="cla_bench_rot")
    parser.add_argument("--fresh", action="store_true", help="recreate the bench database")
    parser.add_argument(
        "--no-update",
        action="store_true",
        help="do not update the add-on in the reused database (same data, other Python code)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then profile N rotation turns"
    )
    parser.add_argument("--seed", type=int, default=None, help="phones, names (default: time)")
    options = parser.parse_args()

    odoo, registry, _users = open_database(
        options.db,
        not options.fresh,
        0,
        update=not options.no_update,
        workdir=Path(tempfile.gettempdir()) / f"cla-bench-{options.db}",  # the avatars' filestore
    )
    if odoo is None:
        print(f"benchmark SKIPPED: {registry}")
        return 0
    seed = options.seed if options.seed is not None else int(time.time())
    rounds = options.warmup + options.samples
    context = {"lang": "en_US", "tz": TZ}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        desk_user, team = setup(env, options.members)
        context["allowed_company_ids"] = [env.company.id]
        today = team._attribution_day(env["crm.lead"]._attribution_now())
        started = time.perf_counter()
        loaded = load_history(env, team, desk_user, options.days, options.walk_ins, today, 1)
        if loaded:
            print(f"loaded {loaded} turns in {time.perf_counter() - started:.1f} s", flush=True)
        absent = start_today(env, team, desk_user.id, seed)
        members = team.crm_team_member_ids
        plan = Plan(env, rounds, members.user_id.ids, seed)
        spec = kanban_specification(env(user=desk_user.id, context=context))
        cr.execute(
            "SELECT count(*), count(*) FILTER (WHERE counted), min(day), max(day) "
            "FROM crm_attribution_turn WHERE team_id = %s",
            [team.id],
        )
        turns, counted, first_day, last_day = cr.fetchone()
        cr.commit()
        ids = (desk_user.id, team.id, spec)

        measure = Measure(odoo, cr, context)
        desk = Desk(measure, desk_user.id, team.id)
        run(measure, desk, ids, plan, options.warmup)  # caches, prepared plans
        record = {
            key: []
            for key in ("rotation_receive_next", "registration_new_walk_in",
                        "desk_kanban_first_page", "desk_kanban_all_members")
        }  # fmt: skip
        started = time.perf_counter()
        plan.order = plan.order[options.warmup :]
        plan.phones, plan.names = plan.phones[options.warmup :], plan.names[options.warmup :]
        plan.receivers = plan.receivers[options.warmup :]
        run(measure, desk, ids, plan, options.samples, record)
        elapsed = time.perf_counter() - started
        results = {key: describe(rows) for key, rows in record.items()}
        OUT.mkdir(exist_ok=True)
        if options.profile:
            logged = profile(odoo, measure, desk, ids, options.profile)
            print(f"profiled {options.profile} turns; one turn's {logged} queries in "
                  f"{OUT / 'rotation_queries.txt'}")  # fmt: skip
        desk.all_back()
    rotation = results["rotation_receive_next"]
    kanban = results["desk_kanban_first_page"]
    base = results["registration_new_walk_in"]
    report = {
        "members": len(members),
        "absent_today": absent,
        "turns_in_log": turns,
        "counted_turns_in_log": counted,
        "history": f"{first_day} .. {last_day}",
        "samples": options.samples,
        "seed": seed,
        "transactions": "one per call, committed after the measure (call + flush timed)",
        "run_seconds": round(elapsed, 1),
        **results,
        "ratio_rotation_over_registration": round(rotation["median_ms"] / base["median_ms"], 3),
        "target": {"rotation_median_ms": 10, "kanban_median_ms": 50},
        "target_met": rotation["median_ms"] <= 10 and kanban["median_ms"] <= 50,
    }
    (OUT / "rotation.json").write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"\n{'measure':<28}{'median':>9}{'p95':>9}{'mean':>9}{'queries':>9}{'commit':>9}{'cpu':>9}"
    )
    for key, row in results.items():
        print(
            f"{key:<28}{row['median_ms']:>9.2f}{row['p95_ms']:>9.2f}{row['mean_ms']:>9.2f}"
            f"{row['queries_median']:>9}{row['commit_median_ms']:>9.2f}"
            f"{row['python_cpu_median_ms']:>9.2f}"
        )
    print(json.dumps({k: v for k, v in report.items() if not isinstance(v, dict)}, indent=2))
    return 0 if report["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())

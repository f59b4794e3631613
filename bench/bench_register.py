#!/usr/bin/env python3
"""Benchmark: registration at the reception desk (登记) with 1,000,000 leads.

    python3 bench/bench_register.py [--leads 1000000] [--samples 300]
                                    [--db cla_bench] [--fresh] [--profile 100]

Uses the bench database of ``bench_lookup.py`` (created and loaded with SQL
when missing, reused otherwise). Every registration goes through the path
the desk uses, as the reception user, each RPC in its own committed
transaction like Odoo's RPC dispatcher runs it (a cursor from the registry,
a fresh environment for the user, the method, then COMMIT with its
pre-commit hooks: mail tracking, the final flush):

1. the dialog's save: ``crm.attribution.register`` ``create`` (the stored
   preview is computed at the flush) and the read of the outcome fields;
2. the register button: ``action_register`` on that wizard.

Three cases, interleaved round by round with the baselines so that the
noise of a shared machine hits all of them alike:

* new walk-in: a visit of a phone never seen (B2: partner, lead, ledger,
  chatter note, E2 first follow-up activity for the receiver);
* returning visitor: a visit of a bench customer's phone (B3: lead update,
  ledger, chatter note);
* caller: a call from a phone never seen (C1: partner, lead, ledger, note).

Baselines, same run, same values, committed the same way, by an internal
user who may create leads for others (salesperson, *All Documents*):

* ``odoo_lead_create``: Odoo's plain ``crm.lead`` create (name, contact
  name, phone, country, type opportunity, salesperson = the receiver,
  sales team), as the desk creates the lead of a new walk-in;
* ``odoo_partner_and_lead_create``: the same with the contact created first
  (``res.partner`` create, then the lead with ``partner_id``), which is what
  a new walk-in needs.

Measured: server-side wall time of each RPC up to its commit, and the number
of SQL queries it ran, on its cursor and on the post-commit hooks' own
cursors (Odoo's per-thread query counter). Prints a table, writes
``bench/results/register.json``. Target for a new walk-in: median <= 50 ms
and p95 <= 80 ms for the register call, and at most 12 times the plain lead
create of the same run.

``--profile N`` then runs N more new walk-ins instrumented: inclusive and
exclusive time and queries of the steps of the registration (our services,
Odoo's mail thread, followers, notifications, activities, computed fields,
flushes, the commit), a per-query log of one registration, and a cProfile
of N walk-ins without the instrumentation; written to
``bench/results/register_profile.json``, ``register_queries.txt`` and
``register.prof``.
"""

import argparse
import contextlib
import cProfile
import functools
import io
import json
import pstats
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from benchdata import open_database, percentile, phone_of, summary

OUT = Path(__file__).resolve().parent / "results"

# Chinese mobile prefixes for phones never seen (the bench customers are +86130...).
NEW_PREFIXES = [
    *("131", "132", "133", "135", "136", "137", "138", "139"),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159"),
    *("166", "170", "171", "173", "175", "176", "177", "178"),
    *("180", "181", "182", "183", "185", "186", "187", "188", "189", "199"),
]
CASES = ("new_walk_in", "returning_visit", "new_caller")
BASELINES = ("odoo_lead_create", "odoo_partner_and_lead_create", "odoo_lead_create_no_mail")


def typed(e164):
    """A phone as typed at the desk: ``+8613112345678`` -> ``131 1234 5678``."""
    digits = e164[3:]
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


# ----------------------------------------------------------------------
# setup (committed once, idempotent)
# ----------------------------------------------------------------------


def setup(env, users):
    """The reception user, the baseline's lead creator, the receivers as
    members of a sales team (as in a sales office). Returns ids."""
    Users = env["res.users"].with_context(no_reset_password=True)
    company = env.company
    common = {
        "tz": "Asia/Shanghai",
        "company_id": company.id,
        "company_ids": [(6, 0, company.ids)],
    }

    def user(login, name, groups):
        found = Users.search([("login", "=", login)], limit=1)
        if found:
            return found
        return Users.create(
            {
                **common,
                "login": login,
                "name": name,
                "groups_id": [(6, 0, [env.ref(xmlid).id for xmlid in groups])],
            }
        )

    desk = user(
        "bench_desk",
        "Bench Reception",
        ["base.group_user", "crm_lead_attribution.group_reception"],
    )
    creator = user(
        "bench_lead_creator",
        "Bench Lead Creator",
        ["base.group_user", "sales_team.group_sale_salesman_all_leads"],
    )
    # the bench salespeople (benchdata's "cla_bench_%" also matches other users)
    receivers = (
        env["res.users"].browse(users).filtered(lambda u: re.fullmatch(r"cla_bench_\d+", u.login))
    )
    receivers.write({"tz": "Asia/Shanghai"})
    # users have an email address, as Odoo's notifications need (the
    # assignment and activity notifications are sent by email by default)
    for person in desk | creator | receivers:
        if not person.email:
            person.email = f"{person.login}@bench.example.com"
    team = env["crm.team"].search([], limit=1, order="id")
    missing = receivers - team.crm_team_member_ids.user_id
    if missing:
        team.write({"crm_team_member_ids": [(0, 0, {"user_id": u.id}) for u in missing]})
    env.cr.commit()
    return desk.id, creator.id, team.id, receivers.ids


def new_phones(env, count, rng, taken):
    """``count`` valid mobile phones (E.164) that no identity nor lead has."""
    phones = []
    while len(phones) < count:
        batch = set()
        while len(batch) < (count - len(phones)) * 2:
            phone = f"+86{rng.choice(NEW_PREFIXES)}{rng.randint(0, 99_999_999):08d}"
            if phone not in taken:
                batch.add(phone)
        env.cr.execute(
            """
            SELECT phone FROM crm_attribution_identity WHERE phone = ANY(%(p)s)
             UNION SELECT phone_sanitized FROM crm_lead WHERE phone_sanitized = ANY(%(p)s)
            """,
            {"p": list(batch)},
        )
        batch -= {row[0] for row in env.cr.fetchall()}
        for phone in sorted(batch)[: count - len(phones)]:
            taken.add(phone)
            phones.append(phone)
    return phones


def returning_numbers(env, count, rng, leads):
    """Bench customers still protected (so that a visit is a returning one)."""
    numbers = []
    while len(numbers) < count:
        n = rng.randint(1, leads)
        if n % 10 >= 2:  # protected for 2 days or more at load time
            numbers.append(n)
    env.cr.execute(
        """
        SELECT substr(l.phone_sanitized, 7)::int FROM crm_lead l
         WHERE l.phone_sanitized = ANY(%s)
           AND l.attribution_state = 'protected'
           AND l.attribution_protected_until > now() AT TIME ZONE 'UTC' + interval '1 day'
        """,
        [[phone_of(n) for n in numbers]],
    )
    ok = {row[0] for row in env.cr.fetchall()}
    return [n for n in numbers if n in ok]


def give_partners(env, phones):
    """The bench customers are loaded with SQL without a contact; a customer
    registered at the desk has one (created with its lead). Give the
    returning customers of the run theirs, so that their visit does not
    create it (committed with the setup)."""
    env.cr.execute(
        "SELECT id, contact_name, phone FROM crm_lead WHERE phone_sanitized = ANY(%s) "
        "AND partner_id IS NULL",
        [phones],
    )
    rows = env.cr.fetchall()
    if not rows:
        return
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True)
        .create(
            [
                {"name": name, "phone": phone, "country_id": env.ref("base.cn").id}
                for _id, name, phone in rows
            ]
        )
    )
    env.cr.execute(
        "UPDATE crm_lead l SET partner_id = v.partner_id "
        "FROM unnest(%s::int[], %s::int[]) AS v(lead_id, partner_id) WHERE l.id = v.lead_id",
        [[lead_id for lead_id, *_rest in rows], partners.ids],
    )


# ----------------------------------------------------------------------
# one RPC = one committed transaction
# ----------------------------------------------------------------------


class Rpc:
    """Runs ``func(env)`` as Odoo's RPC dispatcher would: a cursor of the
    registry, a fresh environment for ``uid``, then COMMIT (pre-commit hooks
    included) and the post-commit hooks (e-mails sent right after the
    commit, bus notifications). Returns ``(result, Timing)``."""

    def __init__(self, odoo, registry, context):
        self.odoo = odoo
        self.registry = registry
        self.context = context
        self.spans = None  # set while profiling

    def unit(self):
        return contextlib.nullcontext()

    def close(self):
        pass

    def __call__(self, uid, func):
        thread = threading.current_thread()
        thread.query_count = 0  # counted by every Odoo cursor of this thread
        thread.query_time = 0.0
        started = time.perf_counter()
        cpu = time.process_time()
        cr = self.registry.cursor()
        post = []
        spans = self.spans

        class TimedCallbacks(type(cr.postcommit)):
            __slots__ = ()

            def run(self):
                begun = time.perf_counter()
                try:
                    if spans is not None:
                        with spans.span("post-commit hooks (e-mails sent, bus)"):
                            super().run()
                    else:
                        super().run()
                finally:
                    post.append(time.perf_counter() - begun)

        cr.postcommit = TimedCallbacks()
        try:
            env = self.odoo.api.Environment(cr, uid, dict(self.context))
            result = func(env)
            if self.spans is not None:
                with self.spans.span("COMMIT (pre-commit hooks, final flush, COMMIT)"):
                    cr.commit()
            else:
                cr.commit()
            queries = thread.query_count
        finally:
            cr.close()
        total = time.perf_counter() - started
        return result, Timing(total, sum(post), queries, time.process_time() - cpu)


class SavepointRpc:
    """Like ``Rpc``, but every unit of work (a registration's two RPCs, a
    baseline's create) runs in a savepoint of one long transaction and is
    rolled back: each RPC gets a fresh environment and ends with the flush
    and the pre-commit hooks (mail tracking), as a COMMIT would run them,
    but without the COMMIT itself and without post-commit hooks (no e-mail
    is sent). Leaves the database as it was."""

    def __init__(self, odoo, registry, context):
        self.odoo = odoo
        self.context = context
        self.spans = None
        self.cr = registry.cursor()

    def unit(self):
        rpc = self

        class _Unit:
            def __enter__(self):
                rpc.cr.execute("SAVEPOINT bench_unit")

            def __exit__(self, *exc):
                rpc.cr.execute("ROLLBACK TO SAVEPOINT bench_unit")
                rpc._reset()
                return False

        return _Unit()

    def _reset(self):
        cr = self.cr
        cr.transaction.clear()
        cr.transaction.reset()
        cr.precommit.clear()
        cr.postcommit.clear()

    def __call__(self, uid, func):
        thread = threading.current_thread()
        thread.query_count = 0
        thread.query_time = 0.0
        started = time.perf_counter()
        cpu = time.process_time()
        env = self.odoo.api.Environment(self.cr, uid, dict(self.context))
        result = func(env)
        self.cr.flush()  # the flush and pre-commit hooks of a COMMIT
        total = time.perf_counter() - started
        timing = Timing(total, 0.0, thread.query_count, time.process_time() - cpu)
        self.cr.transaction.reset()  # the next RPC starts with empty caches
        self.cr.postcommit.clear()
        return result, timing

    def close(self):
        self.cr.rollback()
        self.cr.close()


class Timing:
    """Wall time of an RPC (``total``), of its post-commit hooks, its queries
    and the CPU time of this process (Python; PostgreSQL's work is not in it)."""

    __slots__ = ("cpu", "postcommit", "queries", "total")

    def __init__(self, total, postcommit, queries, cpu):
        self.total, self.postcommit, self.queries, self.cpu = total, postcommit, queries, cpu

    @property
    def transaction(self):
        """Up to the COMMIT, without the post-commit hooks."""
        return self.total - self.postcommit

    def __add__(self, other):
        return Timing(
            self.total + other.total,
            self.postcommit + other.postcommit,
            self.queries + other.queries,
            self.cpu + other.cpu,
        )


def desk_open(rpc, desk, values):
    """The dialog's save: create the wizard, read what the dialog shows."""

    def call(env):
        wizard = env["crm.attribution.register"].create(values)
        wizard.read(["state", "outcome", "owner_id", "rule", "reason", "problem"])
        return wizard.id

    return rpc(desk, call)


def desk_register(rpc, desk, wizard_id):
    def call(env):
        wizard = env["crm.attribution.register"].browse(wizard_id)
        wizard.action_register()
        return wizard.outcome, wizard.rule

    return rpc(desk, call)


def lead_values(name, e164, receiver, team, country):
    return {
        "name": name,
        "contact_name": name,
        "phone": typed_international(e164),
        "country_id": country,
        "type": "opportunity",
        "user_id": receiver,
        "team_id": team,
    }


def typed_international(e164):
    """The international writing the desk stores: ``+86 131 1234 5678``."""
    digits = e164[3:]
    return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"


def baseline_lead(rpc, creator, values):
    return rpc(creator, lambda env: env["crm.lead"].create(values).id)


def baseline_lead_no_mail(rpc, creator, values):
    """The lead alone, without Odoo's chatter (``tracking_disable``: no
    creation message, followers, notification or tracking)."""
    return rpc(
        creator, lambda env: env["crm.lead"].with_context(tracking_disable=True).create(values).id
    )


def baseline_partner_lead(rpc, creator, values):
    def call(env):
        partner = env["res.partner"].create(
            {"name": values["name"], "phone": values["phone"], "country_id": values["country_id"]}
        )
        return env["crm.lead"].create(dict(values, partner_id=partner.id)).id

    return rpc(creator, call)


# ----------------------------------------------------------------------
# the measurement
# ----------------------------------------------------------------------


class Plan:
    """The phones, receivers and names of a run, drawn up front."""

    def __init__(self, env, rounds, leads, users, seed):
        rng = random.Random(seed)
        taken = set()
        self.walk_in = new_phones(env, rounds, rng, taken)
        self.caller = new_phones(env, rounds, rng, taken)
        self.base1 = new_phones(env, rounds, rng, taken)
        self.base2 = new_phones(env, rounds, rng, taken)
        self.base3 = new_phones(env, rounds, rng, taken)
        returning = returning_numbers(env, rounds * 2, rng, leads)[:rounds]
        if len(returning) < rounds:
            raise SystemExit("not enough protected bench customers for the returning case")
        self.returning = [phone_of(n) for n in returning]
        give_partners(env, self.returning)
        self.receivers = [rng.choice(users) for _ in range(rounds)]
        self.names = [
            rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋")
            for _ in range(rounds)
        ]
        self.order = [rng.sample(range(6), 6) for _ in range(rounds)]


def register(rpc, desk, kind, name, e164, receiver):
    with rpc.unit():
        wizard_id, opened = desk_open(
            rpc,
            desk,
            {"kind": kind, "receiver_id": receiver, "name": name, "phone": typed(e164)},
        )
        (outcome, rule), registered = desk_register(rpc, desk, wizard_id)
    return outcome, rule, opened, registered


def run_rounds(rpc, plan, ids, country, rounds, start=0, record=None):
    """Runs ``rounds`` rounds of the 3 cases and 2 baselines, in a random
    order per round; appends to ``record`` (or discards for a warm-up)."""
    desk, creator, team, _receivers = ids
    for i in range(start, start + rounds):
        name, receiver = plan.names[i], plan.receivers[i]
        for job in plan.order[i]:
            if job == 0:
                outcome, rule, opened, registered = register(
                    rpc, desk, "visit", name, plan.walk_in[i], receiver
                )
                assert (outcome, rule) == ("new", "B2"), (outcome, rule)
                key = "new_walk_in"
            elif job == 1:
                outcome, rule, opened, registered = register(
                    rpc, desk, "visit", name, plan.returning[i], receiver
                )
                assert outcome == "returning", (outcome, rule)
                key = "returning_visit"
            elif job == 2:
                outcome, rule, opened, registered = register(
                    rpc, desk, "call", name, plan.caller[i], receiver
                )
                assert (outcome, rule) == ("new", "C1"), (outcome, rule)
                key = "new_caller"
            elif job == 3:
                values = lead_values(name, plan.base1[i], receiver, team, country)
                with rpc.unit():
                    _id, timing = baseline_lead(rpc, creator, values)
                if record is not None:
                    record["odoo_lead_create"].append(timing)
                continue
            elif job == 4:
                values = lead_values(name, plan.base2[i], receiver, team, country)
                with rpc.unit():
                    _id, timing = baseline_partner_lead(rpc, creator, values)
                if record is not None:
                    record["odoo_partner_and_lead_create"].append(timing)
                continue
            else:
                values = lead_values(name, plan.base3[i], receiver, team, country)
                with rpc.unit():
                    _id, timing = baseline_lead_no_mail(rpc, creator, values)
                if record is not None:
                    record["odoo_lead_create_no_mail"].append(timing)
                continue
            if record is not None:
                record[key].append((opened, registered))


def describe(timings):
    """Summary of RPC timings: whole call, and without the post-commit hooks."""
    return summary([t.total for t in timings]) | {
        "queries_median": statistics.median(t.queries for t in timings),
        "transaction_median_ms": round(statistics.median(t.transaction for t in timings) * 1000, 2),
        "transaction_p95_ms": round(percentile([t.transaction for t in timings], 0.95) * 1000, 2),
        "postcommit_median_ms": round(statistics.median(t.postcommit for t in timings) * 1000, 2),
        "python_cpu_median_ms": round(statistics.median(t.cpu for t in timings) * 1000, 2),
    }


def raw_samples(record):
    """Every sample as [total, post-commit, queries, cpu] (seconds), by case and RPC."""

    def row(t):
        return [t.total, t.postcommit, t.queries, t.cpu]

    raw = {}
    for key in CASES:
        raw[f"{key}/register_call"] = [row(r) for _o, r in record[key]]
        raw[f"{key}/dialog_create"] = [row(o) for o, _r in record[key]]
    for key in BASELINES:
        raw[key] = [row(t) for t in record[key]]
    return raw


def digest(record):
    results = {}
    for key in CASES:
        rows = record[key]
        results[key] = {
            "register_call": describe([r for _o, r in rows]),
            "dialog_create": describe([o for o, _r in rows]),
            "desk_total": describe([o + r for o, r in rows]),
        }
    for key in BASELINES:
        results[key] = describe(record[key])
    return results


def print_table(results, savepoint=False):
    base = results["odoo_lead_create"]["median_ms"]
    base2 = results["odoo_partner_and_lead_create"]["median_ms"]
    head = (
        f"{'case':<36}{'median':>8}{'p95':>8}{'queries':>8}{'÷ lead':>8}{'÷ p+lead':>9}"
        f"{'  tx median':>12}{'tx p95':>8}{'post-commit':>12}{'py cpu':>8}"
    )
    if savepoint:
        print(
            "\nserver-side ms per RPC, in savepoints rolled back (flush and pre-commit hooks run)"
        )
    else:
        print("\nserver-side ms per RPC, committed; tx = up to COMMIT, without post-commit hooks")
    print(head)
    print("-" * len(head))

    def line(label, row):
        print(
            f"{label:<36}{row['median_ms']:>8.1f}{row['p95_ms']:>8.1f}"
            f"{row['queries_median']:>8.0f}{row['median_ms'] / base:>8.1f}"
            f"{row['median_ms'] / base2:>9.1f}{row['transaction_median_ms']:>12.1f}"
            f"{row['transaction_p95_ms']:>8.1f}{row['postcommit_median_ms']:>12.1f}"
            f"{row['python_cpu_median_ms']:>8.1f}"
        )

    for key in CASES:
        for part in ("register_call", "dialog_create", "desk_total"):
            line(f"{key} {part}", results[key][part])
    for key in BASELINES:
        line(f"{key} (baseline)", results[key])


# ----------------------------------------------------------------------
# profile: spans, per-query log, cProfile
# ----------------------------------------------------------------------


class Spans:
    """Inclusive and exclusive wall time and queries of named steps, keyed
    by their path of enclosing steps (a call tree of the steps only)."""

    def __init__(self):
        self.stack = []
        self.data = defaultdict(lambda: [0, 0.0, 0.0, 0, 0.0])  # calls, incl, excl, queries, sql
        self.query_log = None  # list while logging one registration

    def span(self, label):
        spans = self

        class _Span:
            def __enter__(self):
                spans.stack.append([label, time.perf_counter(), 0.0])
                return self

            def __exit__(self, *exc):
                spans._close()
                return False

        return _Span()

    def _close(self):
        label, started, children = self.stack.pop()
        elapsed = time.perf_counter() - started
        path = tuple(item[0] for item in self.stack) + (label,)
        row = self.data[path]
        row[0] += 1
        row[1] += elapsed
        row[2] += elapsed - children
        if self.stack:
            self.stack[-1][2] += elapsed

    def on_query(self, cr, query, params, start, delay):
        path = tuple(item[0] for item in self.stack)
        row = self.data[path]
        row[3] += 1
        row[4] += delay
        if self.query_log is not None:
            text = query.decode() if isinstance(query, bytes) else str(query)
            self.query_log.append((delay, " > ".join(path[-3:]), " ".join(text.split())[:400]))

    def wrap(self, cls, name, label):
        original = getattr(cls, name)
        spans = self
        if getattr(original, "_bench_wrapped", False) and name in cls.__dict__:
            return

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            with spans.span(label if not callable(label) else label(*args, **kwargs)):
                return original(*args, **kwargs)

        wrapper._bench_wrapped = True
        setattr(cls, name, wrapper)

    def report(self, runs):
        rows = []
        for path, (calls, incl, excl, queries, sql) in self.data.items():
            if not calls and not queries:
                continue
            rows.append(
                {
                    "path": " > ".join(path),
                    "calls_per_run": round(calls / runs, 2),
                    "inclusive_ms": round(incl * 1000 / runs, 2),
                    "exclusive_ms": round(excl * 1000 / runs, 2),
                    "queries_exclusive": round(queries / runs, 2),
                    "sql_ms_exclusive": round(sql * 1000 / runs, 2),
                }
            )
        rows.sort(key=lambda row: row["path"])
        return rows


STEPS = [
    # our services
    ("crm.attribution.register", "create", "wizard create"),
    ("crm.attribution.register", "_compute_preview", "preview (判客) compute"),
    ("crm.attribution.register", "action_register", "action_register"),
    ("crm.attribution.register", "write", "wizard write (outcome)"),
    ("crm.attribution.register", "read", "wizard read"),
    ("crm.attribution.desk", "_register_customer", "_register_customer"),
    ("crm.attribution.desk", "_preview", "_preview"),
    ("crm.attribution.desk", "_check_registration", "check input (phone parse, receiver)"),
    ("crm.attribution.desk", "_find_customer", "find customer"),
    ("crm.attribution.identity", "_find", "identity lookup"),
    ("crm.attribution.identity", "_claim", "identity claim"),
    ("crm.lead", "_attribution_lock", "row lock"),
    ("crm.attribution.desk", "_decide", "decide (policy)"),
    ("crm.attribution.desk", "_adoptable", "adoptable lead search (A3)"),
    ("crm.attribution.desk", "_new_partner", "partner create (ours)"),
    ("crm.attribution.desk", "_create_customer", "create customer (partner + lead)"),
    ("crm.lead", "_attribution_log", "ledger entry"),
    ("crm.attribution.desk", "_post", "chatter note"),
    ("crm.lead", "_attribution_write", "lead write (attribution)"),
    ("crm.lead", "_attribution_schedule_first_follow_up", "E2 activity"),
    ("crm.lead", "_attribution_activities", "activity search"),
    ("crm.lead", "_attribution_drop_activities", "drop former owner's activities"),
    ("crm.lead", "_attribution_unfollow", "unfollow former owner"),
    ("crm.attribution.ledger", "_attribution_render", "render reason"),
    # the ORM and mail
    ("crm.lead", "create", "crm.lead create"),
    ("crm.lead", "write", "crm.lead write"),
    ("crm.lead", "_message_auto_subscribe", "auto-subscribe"),
    ("crm.lead", "_message_auto_subscribe_notify", "assignment notification"),
    ("crm.lead", "message_post", "message_post"),
    ("crm.lead", "_message_log_batch", "message_log_batch"),
    ("crm.lead", "message_notify", "message_notify"),
    ("crm.lead", "_message_create", "mail.message insert"),
    ("crm.lead", "_notify_thread", "notify recipients"),
    ("crm.lead", "_notify_thread_by_email", "notify by email (mail.mail)"),
    ("crm.lead", "_notify_thread_by_inbox", "notify by inbox"),
    ("crm.lead", "_notify_get_recipients", "recipients"),
    ("crm.lead", "_track_finalize", "tracking (pre-commit)"),
    ("crm.lead", "_track_post_template_finalize", "tracking templates (pre-commit)"),
    ("crm.lead", "_message_track", "tracking values"),
    ("crm.lead", "activity_schedule", "activity_schedule"),
    ("crm.lead", "message_subscribe", "message_subscribe"),
    ("crm.lead", "check_access", "access check"),
    ("mail.followers", "_insert_followers", "insert followers"),
    ("mail.activity", "create", "mail.activity create"),
    ("mail.activity", "action_notify", "activity assigned notification"),
    ("mail.mail", "create", "mail.mail create"),
    ("mail.message", "create", "mail.message create"),
    ("mail.notification", "create", "mail.notification create"),
    ("res.partner", "create", "res.partner create"),
    ("crm.attribution.ledger", "create", "ledger create"),
    ("ir.qweb", "_render", "QWeb render"),
    ("ir.rule", "_compute_domain", "record rules"),
    ("res.users", "_bus_send", "bus send"),
]


def instrument(odoo, registry, spans):
    """Wrap the steps above, every computed field and every flush."""
    from odoo import api, models

    for model, method, label in STEPS:
        if model in registry:
            spans.wrap(registry[model], method, label)

    original_compute = models.BaseModel._compute_field_value

    @functools.wraps(original_compute)
    def compute(self, field):
        name = field.compute if isinstance(field.compute, str) else field.compute.__name__
        with spans.span(f"compute {self._name}.{name}"):
            return original_compute(self, field)

    models.BaseModel._compute_field_value = compute

    original_validate = models.BaseModel._validate_fields

    @functools.wraps(original_validate)
    def validate(self, *args, **kwargs):
        with spans.span(f"constraints {self._name}"):
            return original_validate(self, *args, **kwargs)

    models.BaseModel._validate_fields = validate

    original_flush = api.Environment.flush_all

    @functools.wraps(original_flush)
    def flush_all(self):
        with spans.span("flush_all"):
            return original_flush(self)

    api.Environment.flush_all = flush_all

    original_sql = models.BaseModel._create

    @functools.wraps(original_sql)
    def _create(self, data_list):
        with spans.span(f"INSERT {self._name}"):
            return original_sql(self, data_list)

    models.BaseModel._create = _create
    threading.current_thread().query_hooks = [spans.on_query]


def profile(odoo, registry, rpc, plan, ids, country, runs, start):
    """cProfile of ``runs`` walk-ins' register calls (unpatched code), then
    ``runs`` more instrumented with spans and a per-query log."""
    desk = ids[0]

    def values(i):
        return {"kind": "visit", "receiver_id": plan.receivers[i], "name": plan.names[i],
                "phone": typed(plan.walk_in[i])}  # fmt: skip

    profiler = cProfile.Profile()
    for i in range(start, start + runs):
        with rpc.unit():
            wizard_id, _timing = desk_open(rpc, desk, values(i))
            profiler.enable()
            desk_register(rpc, desk, wizard_id)
            profiler.disable()
    profiler.dump_stats(OUT / "register.prof")
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(80)
    (OUT / "register_cprofile.txt").write_text(text.getvalue())

    spans = Spans()
    instrument(odoo, registry, spans)
    rpc.spans = spans
    logged = start + runs + runs // 2
    for i in range(start + runs, start + 2 * runs):
        if i == logged:
            spans.query_log = []
        with rpc.unit():
            with spans.span("RPC dialog create"):
                wizard_id, _timing = desk_open(rpc, desk, values(i))
            with spans.span("RPC register"):
                (outcome, rule), _timing = desk_register(rpc, desk, wizard_id)
        assert (outcome, rule) == ("new", "B2")
        if i == logged:
            log, spans.query_log = spans.query_log, None
    threading.current_thread().query_hooks = []
    rpc.spans = None
    sql_ms = sum(delay for delay, *_rest in log) * 1000
    lines = [f"new walk-in (dialog create, register call): {len(log)} queries, {sql_ms:.1f} ms SQL"]
    lines += [f"{delay * 1000:8.3f} ms  [{where}]  {query}" for delay, where, query in log]
    (OUT / "register_queries.txt").write_text("\n".join(lines) + "\n")
    rows = spans.report(runs)
    return {
        "runs": runs,
        "register_call": [row for row in rows if row["path"].startswith("RPC register")],
        "dialog_create": [row for row in rows if row["path"].startswith("RPC dialog create")],
        "register_call_by_concern": by_concern(
            [row for row in rows if row["path"].startswith("RPC register")]
        ),
    }


# Where a step's own time goes: the first rule whose labels are all in the
# step's path names its concern (rules in order; paths are " > " joined).
CONCERNS = [
    (("post-commit hooks",), "post-commit: e-mails sent at once (SMTP), bus"),
    (("tracking",), "mail tracking (pre-commit)"),
    (("partner create (ours)",), "customer's partner create (res.partner + its chatter)"),
    (("assignment notification",), "assignment notification to the salesperson (QWeb, mail)"),
    (("activity assigned notification",), "E2 activity: 'assigned to you' notification"),
    (("E2 activity",), "E2 activity (search, create, subscribe)"),
    (("chatter note",), "registration note in the chatter (message_post)"),
    (("crm.lead create", "message_post"), "lead creation message ('A new lead ...')"),
    (("auto-subscribe",), "followers (auto-subscribe of the salesperson)"),
    (("ledger entry",), "ledger entry"),
    (("identity claim",), "phone identity (lookup, claim)"),
    (("identity lookup",), "phone identity (lookup, claim)"),
    (("adoptable lead search",), "adoptable lead search (A3, phone_mobile_search)"),
    (("check input",), "input check (phone parsing, receiver's groups)"),
    (("decide (policy)",), "decision (policy read, decide)"),
    (("row lock",), "row lock"),
    (("_compute_probabilities",), "crm.lead computes: PLS probabilities"),
    (("compute crm.lead.",), "crm.lead computes: others"),
    (("crm.lead create",), "crm.lead create: ORM (defaults, INSERT, checks)"),
    (("lead write",), "lead write (first follow-up due)"),
    (("wizard write",), "wizard write (outcome)"),
    (("render reason",), "rendering the reason"),
    (("flush_all",), "flush_all (remaining computes, UPDATEs)"),
    (("COMMIT",), "COMMIT"),
    ((), "other (wizard read, glue, environment)"),
]


def by_concern(rows):
    totals = defaultdict(lambda: [0.0, 0.0, 0.0])
    for row in rows:
        path = row["path"]
        concern = next(name for labels, name in CONCERNS if all(label in path for label in labels))
        totals[concern][0] += row["exclusive_ms"]
        totals[concern][1] += row["queries_exclusive"]
        totals[concern][2] += row["sql_ms_exclusive"]
    whole = sum(ms for ms, _q, _s in totals.values())
    return [
        {
            "concern": concern,
            "ms": round(ms, 2),
            "percent": round(100 * ms / whole, 1),
            "queries": round(queries, 1),
            "sql_ms": round(sql, 2),
        }
        for concern, (ms, queries, sql) in sorted(totals.items(), key=lambda kv: -kv[1][0])
    ]


def print_profile(report, top=40):
    rows = report["register_call"]
    total = next(row for row in rows if row["path"] == "RPC register")["inclusive_ms"]
    print(f"\nnew walk-in register call, instrumented: {total:.1f} ms per registration")
    print(f"{'concern':<62}{'ms':>8}{'%':>7}{'queries':>9}{'SQL ms':>8}")
    for row in report["register_call_by_concern"]:
        print(
            f"{row['concern']:<62}{row['ms']:>8.2f}{row['percent']:>6.1f}%"
            f"{row['queries']:>9.1f}{row['sql_ms']:>8.2f}"
        )
    print(f"\n{'step (path, last 100 characters)':<102}{'incl ms':>9}{'excl ms':>9}{'queries':>9}")
    for row in sorted(rows, key=lambda row: -row["exclusive_ms"])[:top]:
        print(
            f"{row['path'][-100:]:<102}{row['inclusive_ms']:>9.2f}{row['exclusive_ms']:>9.2f}"
            f"{row['queries_exclusive']:>9.1f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--db", default="cla_bench")
    parser.add_argument("--fresh", action="store_true", help="recreate the bench database")
    parser.add_argument(
        "--savepoint",
        action="store_true",
        help="each registration in a savepoint rolled back (pre-commit hooks run, no COMMIT, "
        "no post-commit hooks) instead of committed transactions",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then profile N new walk-ins"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="phones and receivers (default: time)"
    )
    parser.add_argument(
        "--no-update",
        action="store_true",
        help="do not update the add-on in the reused database (same data, other Python code)",
    )
    parser.add_argument("--raw", metavar="FILE", help="also write every sample's timings to FILE")
    options = parser.parse_args()

    odoo, registry, users = open_database(
        options.db, not options.fresh, options.leads, update=not options.no_update
    )
    if odoo is None:
        print(f"benchmark SKIPPED: {registry}")
        return 0
    rounds = options.warmup + options.samples + 2 * options.profile
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        ids = setup(env, users)
        country = env.ref("base.cn").id
        env.cr.execute("SELECT count(*) FROM crm_lead")
        total = env.cr.fetchone()[0]
        seed = options.seed if options.seed is not None else int(time.time())
        plan = Plan(env, rounds, options.leads, ids[3], seed)
        context = {
            "lang": "en_US",
            "tz": "Asia/Shanghai",
            "allowed_company_ids": [env.company.id],
        }
    rpc = (SavepointRpc if options.savepoint else Rpc)(odoo, registry, context)
    run_rounds(rpc, plan, ids, country, options.warmup)  # caches, prepared plans
    record = defaultdict(list)
    started = time.perf_counter()
    run_rounds(rpc, plan, ids, country, options.samples, start=options.warmup, record=record)
    elapsed = time.perf_counter() - started
    results = digest(record)
    if options.raw:
        Path(options.raw).write_text(json.dumps(raw_samples(record)) + "\n")
    base = results["odoo_lead_create"]["median_ms"]
    walk_in = results["new_walk_in"]["register_call"]
    report = {
        "leads_in_database": total,
        "samples": options.samples,
        "seed": seed,
        "transactions": (
            "one savepoint per registration, rolled back; flush and pre-commit hooks per RPC"
            if options.savepoint
            else "one committed transaction per RPC (dialog create, register call)"
        ),
        "run_seconds": round(elapsed, 1),
        **results,
        "ratio_walk_in_register_over_lead_create": round(walk_in["median_ms"] / base, 2),
        "ratio_walk_in_desk_total_over_lead_create": round(
            results["new_walk_in"]["desk_total"]["median_ms"] / base, 2
        ),
        "ratio_walk_in_register_over_lead_create_no_mail": round(
            walk_in["median_ms"] / results["odoo_lead_create_no_mail"]["median_ms"], 2
        ),
        "target": {"median_ms": 50, "p95_ms": 80, "ratio_to_lead_create": 12},
        "target_met": walk_in["median_ms"] <= 50
        and walk_in["p95_ms"] <= 80
        and walk_in["median_ms"] / base <= 12,
    }
    OUT.mkdir(exist_ok=True)
    print_table(results, options.savepoint)
    if options.profile:
        report["profile"] = profile(
            odoo, registry, rpc, plan, ids, country, options.profile,
            options.warmup + options.samples,
        )  # fmt: skip
        (OUT / "register_profile.json").write_text(
            json.dumps(report["profile"], indent=2, ensure_ascii=False) + "\n"
        )
        print_profile(report["profile"])
        del report["profile"]
    rpc.close()
    name = "register_savepoint" if options.savepoint else "register"
    (OUT / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if not isinstance(v, dict)}, indent=2))
    return 0 if report["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())

import json
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import DECISION_FIELDS, MANAGER_GROUP, REMINDER_TYPE
from ..tools import pool_policy as pp
from ..tools import vocabulary as v
from ..tools.vocabulary import _lt

# Notifications of the sweeps, translated into each recipient's language.
RELEASED_SUBJECT = _lt("Customers released to the public pool")
RELEASED_MESSAGE = _lt(
    "%(count)s of your customers went to the public pool after their protection ended "
    "without follow-up (E3, C2, E8): %(names)s"
)
HANDOVER_SUBJECT = _lt("Customer handover (F4)")
HANDOVER_MESSAGE = _lt(
    "%(count)s customers of a salesperson who left are on your handover list (F4): %(names)s"
)
REMINDED_SUBJECT = _lt("Protection ending soon")
REMINDED_MESSAGE = _lt(
    "The protection of %(count)s of your customers ends within days (E6): follow them "
    "up or they go to the public pool: %(names)s"
)

# crm's fields that derive from the sales team and the company, which the
# sweeps' raw writes keep as they are (see ``_write_rows``).
SETTLED_FIELDS = (
    "team_id",
    "company_id",
    "date_open",
    "stage_id",
    "date_last_stage_update",
    "probability",
    "automated_probability",
    "lead_properties",
    "prorated_revenue",
    "recurring_revenue_prorated",
    "recurring_revenue_monthly_prorated",
)

# What the due conditions read of crm_lead (flushed before they run).
DUE_FIELDS = [
    "attribution_state",
    "attribution_handover",
    "attribution_protected_until",
    "attribution_reminded_until",
    "user_id",
    "team_id",
    "company_id",
]


class CrmAttributionSweep(models.AbstractModel):
    """The scheduled sweeps of the protection lifecycle (E3, C2, E6, E8) and
    the departures (F4), set-based.

    One indexed query finds a batch of due customers (the policies turned
    into constants: ``_due_condition``, the SQL twin of
    ``pool_policy.release_due`` / ``reminder_due``, pinned to them by a test),
    the batch is decided customer by customer with the pure policy, and the
    result is written in a few statements: one ``UPDATE .. FROM unnest``, one
    ledger ``INSERT .. SELECT``, the activities, the unfollowing and one
    notification per owner. Both scheduled actions run on this model.
    """

    _name = "crm.attribution.sweep"
    _description = "Customer Attribution: Scheduled Sweeps"

    # ------------------------------------------------------------------
    # Which customers are due
    # ------------------------------------------------------------------

    @api.model
    def _policy_scopes(self):
        """Each policy in force with the customers it covers, as
        ``[(Policy, domain)]``: a sales team overriding the company's policy
        covers its customers, a company all its other customers."""
        teams = (
            self.env["crm.team"]
            .sudo()
            .with_context(active_test=False)
            .search([("attribution_override", "=", True)])
        )
        # archived companies too: their customers still follow their policy
        companies = self.env["res.company"].sudo().with_context(active_test=False).search([])
        scopes = [(team._attribution_policy(), [("team_id", "=", team.id)]) for team in teams]
        Team = self.env["crm.team"]
        for company in companies:
            domain = [("company_id", "=", company.id)] if len(companies) > 1 else []
            if teams:
                domain.append(("team_id", "not in", teams.ids))
            scopes.append((Team._attribution_policy_of(company), domain))
        return scopes

    @api.model
    def _due_condition(self, kind, at):
        """The SQL condition on ``crm_lead`` for customers due for the
        release (E3, C2, E8) or the reminder (E6) sweep.

        The policies are turned into constants, so that the condition is a
        range on a partial index of protected deadlines (no join per row).
        The SQL twin of ``pool_policy.release_due`` / ``reminder_due``
        (``test_sweep_sql`` checks that both select the same customers):
        customers on the handover list wait for the manager (F4); no reminder
        of a release that is switched off.
        """
        Lead = self.env["crm.lead"].with_context(active_test=False)
        branches = []
        for policy, domain in self._policy_scopes():
            if not policy.release or (kind == "remind" and not policy.reminder_days):
                continue
            if kind == "release":
                due = SQL("crm_lead.attribution_protected_until <= %(at)s", at=at)
            else:
                due = SQL(
                    """crm_lead.attribution_protected_until > %(at)s
                       AND crm_lead.attribution_protected_until <= %(horizon)s
                       AND crm_lead.attribution_reminded_until
                           IS DISTINCT FROM crm_lead.attribution_protected_until
                       AND crm_lead.user_id IS NOT NULL""",
                    at=at,
                    horizon=at + timedelta(days=policy.reminder_days),
                )
            if domain:
                scope = Lead._where_calc(domain).where_clause
                branches.append(SQL("(%s AND %s)", due, scope))
            else:
                branches.append(SQL("(%s)", due))
        if not branches:
            return SQL("FALSE")
        return SQL(
            """crm_lead.attribution_state = 'protected'
               AND crm_lead.attribution_handover IS NOT TRUE AND (%s)""",
            SQL(" OR ").join(branches),
        )

    @api.model
    def _due(self, kind, at, limit=None, count_up_to=None):
        """Ids of the customers due for the release (E3, C2, E8) or the
        reminder (E6) sweep, in deadline order, locked (SKIP LOCKED: rows a
        registration or claim holds now are left for the next batch).
        With ``limit=None``, only count them, up to ``count_up_to``."""
        self.env["crm.lead"].flush_model(DUE_FIELDS)
        where = self._due_condition(kind, at)
        if limit is None:
            cap = SQL("LIMIT %s", count_up_to) if count_up_to else SQL()
            self.env.cr.execute(
                SQL("SELECT count(*) FROM (SELECT 1 FROM crm_lead WHERE %s %s) AS due", where, cap)
            )
            return self.env.cr.fetchone()[0]
        self.env.cr.execute(
            SQL(
                """
                SELECT crm_lead.id FROM crm_lead WHERE %(where)s
                 ORDER BY crm_lead.attribution_protected_until, crm_lead.id
                 LIMIT %(limit)s
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                where=where,
                limit=limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _session(self):
        """Settings for this batch's transaction only. PostgreSQL's JIT would
        compile the sweeps' short queries on 1M-lead tables (their estimated
        cost passes its threshold) and spend more time compiling than running."""
        self.env.cr.execute("SET LOCAL jit = off")

    @api.model
    def _remaining(self, kind, at, done, batch_size):
        """What a sweep reports as remaining (``_notify_progress``).

        Counted up to ten batches ahead: Odoo's cron runner calls a job at
        most ten times in a row (MAX_BATCH_PER_CRON_JOB) and only needs to
        know whether work is left; counting every due customer of a large
        backlog at each batch would cost more than the batch. A batch that
        was not full found everything due (but rows locked by others)."""
        if done < batch_size:
            return 0
        return self._due(kind, at, count_up_to=10 * batch_size)

    # ------------------------------------------------------------------
    # The scheduled actions
    # ------------------------------------------------------------------

    @api.model
    def _cron_release(self, batch_size=1000):
        """E3 / C2 / E8: release one batch of ended protections to the public
        pool, and report progress so that Odoo calls again until done.

        Each batch is one transaction: killed at any point, the batch is
        rolled back and the next run takes the same customers again; a
        released customer is no longer due, so none is released twice.
        Under REPEATABLE READ, a customer a registration or claim changed
        after this batch began makes the batch fail to serialize: it is
        rolled back whole and done at the cron's next run.
        """
        return self._run_batch("release", batch_size, self._release)

    @api.model
    def _cron_remind(self, batch_size=1000):
        """E6: remind owners, one batch at a time, of protections ending soon."""
        return self._run_batch("remind", batch_size, self._remind)

    @api.model
    def _run_batch(self, kind, batch_size, process):
        at = self.env["crm.lead"]._attribution_now()
        self._session()
        ids = self._due(kind, at, limit=batch_size)
        done = process(self.env["crm.lead"].sudo().browse(ids), at)
        remaining = self._remaining(kind, at, len(ids), batch_size)
        self.env["ir.cron"]._notify_progress(done=len(ids), remaining=remaining)
        return len(done), remaining

    @api.model
    def _batch(self, leads):
        """Read a batch in one query and the policies once per team and
        company: ``(lead, Customer, Policy)`` for each lead."""
        leads.fetch(DECISION_FIELDS)
        policies = {}
        for lead in leads:
            key = (
                lead.company_id.id,
                lead.team_id.id if lead.team_id.attribution_override else False,
            )
            if key not in policies:
                policies[key] = lead._attribution_policy()
            yield lead, lead._attribution_customer(), policies[key]

    @api.model
    def _release(self, leads, at):
        """Release these customers (all due) to the pool in one go."""
        rows, entries, former = {}, [], defaultdict(list)
        for lead, known, policy in self._batch(leads):
            decided = pp.decide_release(known, at, policy)
            if not decided:
                continue
            customer, reason = decided
            values = lead._attribution_values(customer, reason, at)
            values["attribution_release_rule"] = reason.rule
            rows[lead.id] = values
            entries.append(
                (
                    lead,
                    "release",
                    reason,
                    at,
                    {"previous_owner_id": known.owner_id, "ownership_changed": True},
                )
            )
            former[known.owner_id].append(lead.id)
        if not rows:
            return leads.browse()
        released = leads.browse(list(rows))
        self._write_rows(released, rows)
        self.env["crm.attribution.ledger"]._append_rows(entries)
        released._attribution_unfollow(*former)
        released._attribution_drop_activities(*former)
        self._notify(leads, former, RELEASED_SUBJECT, RELEASED_MESSAGE)
        return released

    @api.model
    def _remind(self, leads, at):
        """E6: remind the owners of these customers (all due) in one go."""
        rows, entries, activities, owners = {}, [], [], defaultdict(list)
        for lead, known, policy in self._batch(leads):
            decided = pp.decide_reminder(known, at, policy)
            if not decided:
                continue
            customer, reason = decided
            rows[lead.id] = {"attribution_reminded_until": customer.reminded_until}
            entries.append((lead, "reminder", reason, at, {"ownership_changed": False}))
            owner = lead.user_id
            local_until = fields.Datetime.context_timestamp(
                self.with_context(tz=owner.tz or "UTC"), customer.protected_until
            )
            activities.append((lead.id, owner.id, local_until.date()))
            owners[owner.id].append(lead.id)
        if not rows:
            return leads.browse()
        reminded = leads.browse(list(rows))
        self._write_rows(reminded, rows)
        self.env["crm.attribution.ledger"]._append_rows(entries)
        self._schedule(reminded, activities, self.env.ref(REMINDER_TYPE))
        self._notify(leads, owners, REMINDED_SUBJECT, REMINDED_MESSAGE)
        return reminded

    # ------------------------------------------------------------------
    # Departures (F4)
    # ------------------------------------------------------------------

    @api.model
    def _hand_over(self, leads, at=None):
        """F4: the owner of these customers left; hand them to the manager."""
        at = at or self.env["crm.lead"]._attribution_now()
        leads = leads.sudo().with_context(active_test=False).filtered("attribution_state")
        leads._attribution_lock()
        rows, entries, former = {}, [], defaultdict(list)
        for lead in leads:
            known = lead._attribution_customer()
            decided = pp.decide_departure(known, at)
            if not decided:
                continue
            customer, reason = decided
            values = lead._attribution_values(customer, reason, at)
            values["attribution_release_rule"] = (
                reason.rule if customer.state == v.HANDOVER else False
            )
            rows[lead.id] = values
            changed = customer.state == v.HANDOVER
            entries.append(
                (
                    lead,
                    "handover",
                    reason,
                    at,
                    {"previous_owner_id": known.owner_id, "ownership_changed": changed},
                )
            )
            former[known.owner_id].append(lead.id)
        if not rows:
            return leads.browse()
        handed = leads.browse(list(rows))
        self._write_rows(handed, rows)
        self.env["crm.attribution.ledger"]._append_rows(entries)
        handed.filtered(lambda lead: not lead.user_id)._attribution_unfollow(*former)
        handed._attribution_drop_activities(*former)
        self._notify_managers(handed)
        return handed

    @api.model
    def _notify_managers(self, leads):
        """F4: tell the sales managers of the teams what is on their handover list."""
        by_manager = defaultdict(list)
        manager_group = self.env.ref(MANAGER_GROUP)
        for lead in leads:
            leader = lead.team_id.user_id
            if leader.active and leader.id != lead.attribution_previous_owner_id.id:
                managers = leader
            else:  # no team leader, or the leader is the one leaving
                company = lead.company_id or self.env.company
                leaving = lead.attribution_previous_owner_id
                managers = manager_group.users.filtered(
                    lambda user, company=company, leaving=leaving: (
                        user.active
                        and not user.share
                        and company in user.company_ids
                        and user != leaving
                    )
                )
            for user in managers:
                by_manager[user.id].append(lead.id)
        self._notify(leads, by_manager, HANDOVER_SUBJECT, HANDOVER_MESSAGE)

    # ------------------------------------------------------------------
    # Set-based writes
    # ------------------------------------------------------------------

    @api.model
    def _notify(self, leads, lead_ids_by_user, subject, message):
        """One notification per user (former owner, owner or manager) for a
        whole batch, in the user's language."""
        Users = self.env["res.users"].sudo()
        for user_id, lead_ids in lead_ids_by_user.items():
            user = Users.browse(user_id)
            if not user.exists() or not user.active:
                continue
            named = leads.browse(lead_ids)
            env = self.with_context(lang=user.lang).env
            body = env._(
                message,
                count=len(named),
                names=", ".join(named[:20].mapped("name")) + ("…" if len(named) > 20 else ""),
            )
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=user.partner_id.ids, body=body, subject=env._(subject)
            )

    @api.model
    def _write_rows(self, leads, rows):
        """Write per-lead attribution values for many leads in one statement.

        ``rows``: ``{lead_id: values}``, every ``values`` with the same keys
        (attribution fields, ``user_id``): one ``UPDATE .. FROM unnest(arrays)``
        instead of a write per lead. It bypasses mail tracking (the sweeps
        notify owners and write the ledger themselves); as core does after a
        raw write, the cache is invalidated and ``modified`` marks what
        depends on the fields (stored fields of other modules that depend on
        the salesperson are recomputed).
        """
        Lead = self.env["crm.lead"]
        fnames = list(next(iter(rows.values())))
        arrays = [list(rows)] + [
            [self._sql_value(fname, values[fname]) for values in rows.values()] for fname in fnames
        ]
        types = ["int4"] + [self._sql_type(fname) for fname in fnames]
        columns = [SQL.identifier(fname) for fname in fnames]
        assignments = SQL(", ").join(
            SQL("%s = v.%s::%s", column, column, SQL(Lead._fields[fname].column_type[1]))
            for column, fname in zip(columns, fnames, strict=True)
        )
        touched = [*fnames, "write_uid", "write_date"]
        if "user_id" in fnames and not any(values["user_id"] for values in rows.values()):
            # as crm.lead.write does when the salesperson is cleared
            assignments = SQL("%s, date_open = NULL", assignments)
            touched.append("date_open")
        Lead.flush_model(touched)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead AS l
                   SET %(assignments)s, write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(arrays)s) AS v(id, %(columns)s)
                 WHERE l.id = v.id
                """,
                assignments=assignments,
                uid=self.env.uid,
                now=fields.Datetime.now(),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", array, SQL(sql_type))
                    for array, sql_type in zip(arrays, types, strict=True)
                ),
                columns=SQL(", ").join(columns),
            )
        )
        leads.invalidate_recordset(touched)
        # What depends on these fields is recomputed (stored fields of other
        # modules that depend on the salesperson), except crm's own fields
        # that this write settles itself: the sales team and the company stay
        # (a customer leaving its owner keeps both, A2) and with them the
        # stage, the probabilities and the prorated revenues that derive from
        # them (recomputing those would rescore every lead, PLS); the
        # assignment date is cleared above (its day count is recomputed).
        settled = [Lead._fields[fname] for fname in SETTLED_FIELDS if fname in Lead._fields]
        with self.env.protecting(settled, leads):
            leads.modified(touched)

    @api.model
    def _sql_type(self, fname):
        """The array element type to send a field's values in (JSON as text)."""
        field = self.env["crm.lead"]._fields[fname]
        return "text" if field.type == "json" else field.column_type[1]

    @api.model
    def _sql_value(self, fname, value):
        field = self.env["crm.lead"]._fields[fname]
        if field.type == "json":
            return json.dumps(value) if value else None
        if field.type == "boolean":
            return bool(value)
        if field.type == "many2one":
            return value.id if isinstance(value, models.BaseModel) else (value or None)
        return value or None

    @api.model
    def _schedule(self, leads, rows, activity_type):
        """Schedule one activity per ``(lead_id, user_id, date_deadline)``
        in one statement (E6 reminders), as system activities."""
        now = fields.Datetime.now()
        lead_ids, user_ids, deadlines = zip(*rows, strict=True)
        self.env["crm.lead"].flush_model(["name"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_activity (
                    res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                    user_id, date_deadline, automated, active,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT %(model_id)s, 'crm.lead', v.lead_id, l.name, %(type)s, %(summary)s,
                       v.user_id, v.deadline, TRUE, TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(leads)s::int4[], %(users)s::int4[], %(deadlines)s::date[])
                       AS v(lead_id, user_id, deadline)
                  JOIN crm_lead l ON l.id = v.lead_id
                """,
                model_id=self.env["ir.model"]._get_id("crm.lead"),
                type=activity_type.id,
                summary=activity_type.summary,
                uid=self.env.uid,
                now=now,
                leads=list(lead_ids),
                users=list(user_ids),
                deadlines=list(deadlines),
            )
        )
        leads.invalidate_recordset(["activity_ids"])
        for user in self.env["res.users"].browse(set(user_ids)):
            user._bus_send("mail.activity/updated", {"activity_created": True})

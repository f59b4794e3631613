from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..contention import execute_contended
from ..tools import registration_policy as rp


class CrmAttributionIdentity(models.Model):
    """One row per customer phone and company: the phone identity (A2).

    The row is the database's arbiter when two desks register the same new
    phone at the same moment: it is claimed with ``INSERT .. ON CONFLICT DO
    NOTHING`` on a unique key. Under Odoo's REPEATABLE READ isolation the
    second transaction waits for the first and then fails with a
    serialization error, which Odoo retries; the retry sees the customer the
    first one created and registers a returning visit.

    A customer who changes phone is not a new customer (A2): the former
    number stays as a row of its own (``replaced``) that still leads to the
    customer until ``valid_until`` (the end of the protection period; empty:
    for good), after which it is free for a new customer.
    """

    _name = "crm.attribution.identity"
    _description = "Customer Phone Identity"
    _rec_name = "phone"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    phone = fields.Char(required=True, help="Phone number in E.164 form, e.g. +8613800138000.")
    lead_id = fields.Many2one("crm.lead", index="btree_not_null", ondelete="set null")
    replaced = fields.Boolean(
        readonly=True, help="A former number of the customer, replaced by a newer one (A2)."
    )
    valid_until = fields.Datetime(
        readonly=True,
        help="A2: a former number leads to the customer until then; empty: for good.",
    )

    _sql_constraints = [
        (
            "company_phone_uniq",
            "unique(company_id, phone)",
            "This phone number already identifies a customer of this company (A2).",
        ),
    ]

    def _find(self, company, phone):
        """The identity of ``phone`` in ``company`` (a current number, or a
        former one still valid), or an empty recordset."""
        now = self.env["crm.lead"]._attribution_now()
        return self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("phone", "=", phone),
                "|",
                ("valid_until", "=", False),
                ("valid_until", ">", now),
            ],
            limit=1,
        )

    def _claim(self, company, phone):
        """Claim ``phone`` for a new customer of ``company``.

        Returns the new identity, or an empty recordset when a committed
        identity already visible to this transaction holds the phone. A
        former number whose validity ended is taken over. A concurrent claim
        not yet visible to this transaction makes PostgreSQL raise a
        serialization failure, which Odoo retries (logged at INFO, not as a
        bad query: ``contention.py``).
        """
        self.flush_model()
        params = {"company": company.id, "phone": phone}
        execute_contended(
            self.env.cr,
            SQL(
                """
                UPDATE crm_attribution_identity
                   SET lead_id = NULL, replaced = FALSE, valid_until = NULL
                 WHERE company_id = %(company)s AND phone = %(phone)s
                   AND valid_until <= %(now)s
             RETURNING id
                """,
                now=self.env["crm.lead"]._attribution_now(),
                **params,
            ),
        )
        row = self.env.cr.fetchone()
        if not row:
            execute_contended(
                self.env.cr,
                SQL(
                    """
                    INSERT INTO crm_attribution_identity (company_id, phone, replaced)
                         VALUES (%(company)s, %(phone)s, FALSE)
                    ON CONFLICT (company_id, phone) DO NOTHING
                      RETURNING id
                    """,
                    **params,
                ),
            )
            row = self.env.cr.fetchone()
        self.invalidate_model()
        return self.sudo().browse(row[0] if row else [])

    @api.model
    def _refuse_shared(self, leads):
        """A2: one number is one customer. Writing a number on several
        registered customers at once is refused before any is tried, so that
        the refusal tells nothing of whose the number is."""
        if len(leads.filtered("attribution_state")) > 1:
            raise ValidationError(
                self.env._("One phone number identifies one customer: give each its own (A2).")
            )

    @api.model
    def _sync(self, leads, at=None):
        """Keep the identities in step with the registered phones of ``leads``:
        a new number identifies the customer, the former one still does for
        the rest of the protection period, and the change is in the ledger
        (A2). Another customer's number is refused."""
        at = at or self.env["crm.lead"]._attribution_now()
        Identity = self.sudo()
        Desk = self.env["crm.attribution.desk"]
        phones = [rp.clean_phone(lead.phone) for lead in leads if lead.phone]
        if len(set(phones)) < len(phones):
            self._refuse_shared(leads)
        for lead in leads:
            company = lead.company_id or self.env.company
            if not lead.phone:
                raise ValidationError(
                    self.env._("A registered customer must keep a phone number (A1).")
                )
            phone, international = Desk._parse_phone(lead.phone, company)
            current = Identity.search([("lead_id", "=", lead.id), ("replaced", "=", False)])
            if current.phone == phone:
                continue
            target = Identity.search(
                [("company_id", "=", company.id), ("phone", "=", phone)], limit=1
            )
            taken = target.lead_id and target.lead_id != lead
            if taken and target in Identity._find(company, phone):
                # whose it is goes unsaid: a refusal is no way to look a number up
                raise ValidationError(
                    self.env._(
                        "%(phone)s is already the phone of another registered customer (A2): "
                        "a sales manager can look into it.",
                        phone=international,
                    )
                )
            values = {"lead_id": lead.id, "replaced": False, "valid_until": False}
            if target:  # a free row, a former number of this customer, or an expired one
                target.write(values)
            else:
                Identity.create(dict(values, company_id=company.id, phone=phone))
            if current:
                self._replace(lead, current, phone, at)

    @api.model
    def _replace(self, lead, current, phone, at):
        """A2: the customer's former number still leads to them for the rest
        of the protection period; the change goes into the ledger."""
        Desk = self.env["crm.attribution.desk"]
        customer = lead._attribution_customer()
        valid_until, reason = rp.decide_phone_change(
            customer, Desk._international(current.phone), Desk._international(phone), at
        )
        current.write({"replaced": True, "valid_until": valid_until or False})
        lead._attribution_log("phone", reason, at, ownership_changed=False)

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class CrmAttributionIdentity(models.Model):
    """One row per customer phone and company: the phone identity (A2).

    The row is the database's arbiter when two desks register the same new
    phone at the same moment: it is claimed with ``INSERT .. ON CONFLICT DO
    NOTHING`` on a unique key. Under Odoo's REPEATABLE READ isolation the
    second transaction waits for the first and then fails with a
    serialization error, which Odoo retries; the retry sees the customer the
    first one created and registers a returning visit.
    """

    _name = "crm.attribution.identity"
    _description = "Customer Phone Identity"
    _rec_name = "phone"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    phone = fields.Char(required=True, help="Phone number in E.164 form, e.g. +8613800138000.")
    lead_id = fields.Many2one("crm.lead", index="btree_not_null", ondelete="set null")

    _sql_constraints = [
        (
            "company_phone_uniq",
            "unique(company_id, phone)",
            "This phone number already identifies a customer of this company (A2).",
        ),
    ]

    def _find(self, company, phone):
        """The identity of ``phone`` in ``company``, or an empty recordset."""
        return self.sudo().search([("company_id", "=", company.id), ("phone", "=", phone)], limit=1)

    def _claim(self, company, phone):
        """Claim ``phone`` for a new customer of ``company``.

        Returns the new identity, or an empty recordset when a committed
        identity already visible to this transaction holds the phone. A
        concurrent claim not yet visible to this transaction makes PostgreSQL
        raise a serialization failure, which Odoo retries.
        """
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_attribution_identity (company_id, phone)
                     VALUES (%s, %s)
                ON CONFLICT (company_id, phone) DO NOTHING
                  RETURNING id
                """,
                company.id,
                phone,
            )
        )
        row = self.env.cr.fetchone()
        return self.sudo().browse(row[0] if row else [])

    @api.model
    def _sync(self, leads):
        """Keep the identities in step with the registered phones of ``leads`` (A2)."""
        Identity = self.sudo()
        Desk = self.env["crm.attribution.desk"]
        for lead in leads:
            company = lead.company_id or self.env.company
            if not lead.phone:
                raise ValidationError(
                    self.env._("A registered customer must keep a phone number (A1).")
                )
            phone, _international = Desk._parse_phone(lead.phone, company)
            identity = Identity.search([("lead_id", "=", lead.id)], limit=1)
            if identity.phone == phone:
                continue
            other = Identity._find(company, phone)
            if other.lead_id:
                raise ValidationError(
                    self.env._(
                        "%(phone)s is already the phone of another customer, owned by "
                        "%(owner)s (A2).",
                        phone=lead.phone,
                        owner=other.lead_id.user_id.name or self.env._("nobody"),
                    )
                )
            if other:  # an identity whose lead was deleted: take it over
                identity.unlink()
                other.lead_id = lead
            elif identity:
                identity.phone = phone
            else:
                Identity.create({"company_id": company.id, "phone": phone, "lead_id": lead.id})

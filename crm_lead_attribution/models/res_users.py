from odoo import fields, models

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from ..const import MANAGER_GROUP, RECEPTION_GROUP, SALESMAN_GROUP


class ResUsers(models.Model):
    _inherit = "res.users"

    attribution_last_claim = fields.Datetime(
        readonly=True,
        copy=False,
        help="Technical: the salesperson's last claim from the public pool. "
        "Updating it serializes one salesperson's claims, so the limits (F2) "
        "count fresh data.",
    )

    def write(self, vals):
        leaving = self.browse()
        if (
            "active" in vals
            and not vals["active"]
            and not self.env.context.get(MODULE_UNINSTALL_FLAG)
        ):
            leaving = self.filtered("active")
        result = super().write(vals)
        if leaving:
            # F4: a departing salesperson's customers go to the sales manager
            leads = (
                self.env["crm.lead"]
                .sudo()
                .search(
                    [
                        ("user_id", "in", leaving.ids),
                        ("attribution_state", "in", ("protected", "locked")),
                    ]
                )
            )
            leads._attribution_hand_over()
        return result

    def _attribution_can_own(self, company):
        """An active salesperson of ``company``: who may receive or own customers."""
        self.ensure_one()
        # a yes or no about the user's groups and companies, read as superuser:
        # the acting user (reception) reading another user's record would
        # evaluate the record rules of users and contacts on every registration
        user = self.sudo()
        return bool(
            user.active
            and not user.share
            and company in user.company_ids
            and user.has_group(SALESMAN_GROUP)
        )

    def _attribution_registers_for_others(self):
        """The reception desk and the sales managers register customers for
        the salesperson whose turn it is (the rotation) without it being that
        salesperson's claim (F2); a salesperson registering for a colleague
        makes the colleague claim the customer."""
        self.ensure_one()
        return self.has_group(RECEPTION_GROUP) or self.has_group(MANAGER_GROUP)

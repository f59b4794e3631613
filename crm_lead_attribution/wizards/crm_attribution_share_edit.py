from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import MANAGER_GROUP, SHARE_KINDS
from ..tools import share_policy as sp
from ..tools import vocabulary as v

_EDITED = v._lt("H5: the shares were set by the sales manager: %(note)s")


class CrmAttributionShareEdit(models.TransientModel):
    """H5 / G4: a sales manager sets a won deal's shares, with a reason;
    each kind must total exactly 100 %."""

    _name = "crm.attribution.share.edit"
    _inherit = ["crm.attribution.guard"]
    _description = "Set the Shares of a Deal"
    _attribution_guarded = {"lead_id": "read"}
    _attribution_texts = {"note": True}

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, readonly=True)
    line_ids = fields.One2many("crm.attribution.share.edit.line", "wizard_id", string="Shares")
    note = fields.Text(string="Reason", help="Why the shares differ from the rules' (H5).")

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        lead = self.env["crm.lead"].browse(defaults.get("lead_id"))
        if lead and "line_ids" in fields_list:
            defaults["line_ids"] = [
                (0, 0, {"user_id": share.user_id.id, "kind": share.kind, "percent": share.percent})
                for share in lead.sudo().attribution_share_ids
            ]
        return defaults

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only a sales manager sets the shares of a deal (G4, H5)."))
        lead = self.lead_id.sudo()
        if not lead._attribution_is_won():
            raise UserError(self.env._("Only a won deal has shares (G4)."))
        lines = [
            (line.user_id.id or None, line.kind, round(line.percent * 100))
            for line in self.line_ids
        ]
        wrong = sp.check_shares(lines)
        kinds = {kind for _user, kind, _basis in lines}
        missing = sorted(set(sp.SHARE_KINDS) - kinds)
        if wrong or missing:
            Share = self.env["crm.attribution.share"]
            labels = dict(Share._fields["kind"]._description_selection(self.env))
            raise ValidationError(
                self.env._(
                    "The shares of each kind must total exactly 100 %%, none below 0: "
                    "%(kinds)s (G4).",
                    kinds=", ".join(labels[kind] for kind in wrong + missing),
                )
            )
        reason = v.Reason("H5", _EDITED, {"note": self.note})
        shares = [sp.Share(user_id, kind, basis, reason) for user_id, kind, basis in lines if basis]
        at = self.env["crm.lead"]._attribution_now()
        self.env["crm.attribution.share"]._write({lead: shares}, at, edited=True)
        return {"type": "ir.actions.act_window_close"}


class CrmAttributionShareEditLine(models.TransientModel):
    _name = "crm.attribution.share.edit.line"
    _description = "A Share Being Set"

    wizard_id = fields.Many2one("crm.attribution.share.edit", required=True, ondelete="cascade")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        domain=[("share", "=", False)],
        help="Empty: the company (a forfeited deal).",
    )
    kind = fields.Selection(SHARE_KINDS, required=True)
    percent = fields.Float(digits=(5, 2), required=True)

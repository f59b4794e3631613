from odoo import api, models


class CalendarEvent(models.Model):
    _name = "calendar.event"
    _inherit = ["crm.attribution.guard", "calendar.event"]
    # F3: an attendee's name and phone are copied from the contact in sudo,
    # the opportunity and the document are shown by name: a meeting cannot be
    # about, or invite, a customer the user may not read
    _attribution_guarded = {"partner_ids": "read", "partner_id": "read", "opportunity_id": "read"}

    @api.model
    def _attribution_check_chosen(self, values, typing=False, creating=False):
        super()._attribution_check_chosen(values, typing=typing, creating=creating)
        if self.env.su or not values.get("res_id"):
            return
        model = values.get("res_model")
        if not model and values.get("res_model_id"):
            model = self.env["ir.model"].sudo().browse(values["res_model_id"]).model
        if model in self.env:
            self.env[model].browse(values["res_id"]).exists().check_access("read")


class CalendarAttendee(models.Model):
    _name = "calendar.attendee"
    _inherit = ["crm.attribution.guard", "calendar.attendee"]
    _attribution_guarded = {"partner_id": "read"}

from odoo import models


class CalendarEvent(models.Model):
    _name = "calendar.event"
    _inherit = ["crm.attribution.guard", "calendar.event"]
    # F3: an attendee's name and phone are copied from the contact in sudo:
    # a meeting cannot invite a hidden customer's contact
    _attribution_guarded = {"partner_ids": "read", "partner_id": "read"}


class CalendarAttendee(models.Model):
    _name = "calendar.attendee"
    _inherit = ["crm.attribution.guard", "calendar.attendee"]
    _attribution_guarded = {"partner_id": "read"}

from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    # F3: followers and recipients are listed with their names (followers,
    # notifications, the chatter): nobody makes a contact they may not read
    # follow a record, nor messages or notifies it, on any model.

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        self._attribution_check_recipients(partner_ids)
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def message_post(self, **kwargs):
        self._attribution_check_recipients(kwargs.get("partner_ids"))
        return super().message_post(**kwargs)

    def message_notify(self, **kwargs):
        self._attribution_check_recipients(kwargs.get("partner_ids"))
        return super().message_notify(**kwargs)

    def _attribution_check_recipients(self, partner_ids):
        if partner_ids and not self.env.su:
            ids = self.env["crm.attribution.guard"]._attribution_ids(partner_ids)
            self.env["res.partner"].browse(ids).exists().check_access("read")

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    attribution_visit_days = fields.Integer(
        related="company_id.attribution_visit_days", readonly=False
    )
    attribution_call_days = fields.Integer(
        related="company_id.attribution_call_days", readonly=False
    )
    attribution_channel_days = fields.Integer(
        related="company_id.attribution_channel_days", readonly=False
    )
    attribution_first_follow_up_days = fields.Integer(
        related="company_id.attribution_first_follow_up_days", readonly=False
    )
    attribution_phone_country_id = fields.Many2one(
        related="company_id.attribution_phone_country_id", readonly=False
    )

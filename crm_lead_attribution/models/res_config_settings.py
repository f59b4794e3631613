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
    attribution_reminder_days = fields.Integer(
        related="company_id.attribution_reminder_days", readonly=False
    )
    attribution_release = fields.Boolean(related="company_id.attribution_release", readonly=False)
    attribution_conversion_days = fields.Integer(
        related="company_id.attribution_conversion_days", readonly=False
    )
    attribution_first_deal = fields.Boolean(
        related="company_id.attribution_first_deal", readonly=False
    )
    attribution_first_deal_days = fields.Integer(
        related="company_id.attribution_first_deal_days", readonly=False
    )
    attribution_holding_limit = fields.Integer(
        related="company_id.attribution_holding_limit", readonly=False
    )
    attribution_daily_claim_limit = fields.Integer(
        related="company_id.attribution_daily_claim_limit", readonly=False
    )
    attribution_cooldown_days = fields.Integer(
        related="company_id.attribution_cooldown_days", readonly=False
    )
    attribution_referral_report_days = fields.Integer(
        related="company_id.attribution_referral_report_days", readonly=False
    )
    attribution_helper_share_percent = fields.Integer(
        related="company_id.attribution_helper_share_percent", readonly=False
    )
    attribution_phone_country_id = fields.Many2one(
        related="company_id.attribution_phone_country_id", readonly=False
    )
    attribution_rotation_advance = fields.Selection(
        related="company_id.attribution_rotation_advance", readonly=False
    )
    attribution_skip_after_returning = fields.Boolean(
        related="company_id.attribution_skip_after_returning", readonly=False
    )
    attribution_makeup_turns = fields.Boolean(
        related="company_id.attribution_makeup_turns", readonly=False
    )
    attribution_event_mode = fields.Boolean(
        related="company_id.attribution_event_mode", readonly=False
    )
    attribution_drop_amount = fields.Integer(
        related="company_id.attribution_drop_amount", readonly=False
    )
    attribution_cut_in_amount = fields.Integer(
        related="company_id.attribution_cut_in_amount", readonly=False
    )
    attribution_quarrel_amount = fields.Integer(
        related="company_id.attribution_quarrel_amount", readonly=False
    )

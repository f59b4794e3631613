from datetime import timedelta

from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def _attribution_demo_history(self):
        """Demo data: a month of a sales office's registers, replayed through
        the real services (registration, follow-ups, closing) at past dates."""
        ref = self.env.ref
        reception = ref("crm_lead_attribution.demo_user_reception")
        li = ref("crm_lead_attribution.demo_user_li")
        wang = ref("crm_lead_attribution.demo_user_wang")
        zhang = ref("crm_lead_attribution.demo_user_zhang")
        liu = ref("crm_lead_attribution.demo_user_liu")
        now = fields.Datetime.now().replace(second=0, microsecond=0)

        def ago(days, hours=0):
            return now - timedelta(days=days, hours=hours)

        def register(actor, name, phone, kind, receiver, days, **kwargs):
            _decision, lead = (
                self.with_user(actor)
                .with_company(actor.company_id)
                ._attribution_register(name, phone, kind, receiver, at=ago(days), **kwargs)
            )
            return lead.sudo()

        def follow_up(lead, kind, days, note):
            owner = lead.user_id
            lead.with_user(owner)._attribution_log_follow_up(kind, note=note, at=ago(days), actor=owner)

        # B2 + E1: a walk-in received by Li, followed up regularly: protected.
        chen = register(reception, "陈志强", "138 0013 8001", "visit", li, 20, note="看了三居室样板间")
        follow_up(chen, "call", 18, "回访电话,客户对南向三居感兴趣")
        follow_up(chen, "message", 10, "微信发送了户型图和价格表")
        follow_up(chen, "meeting", 3, "约客户到售楼处谈首付方案")

        # C1: a caller received by Zhang, to be brought to a visit (C2).
        register(zhang, "赵丽", "+86 139 1234 5602", "call", zhang, 5, note="咨询学区和交房时间")

        # E3: a walk-in never followed up: protection has ended.
        register(reception, "孙浩", "13612345603", "visit", wang, 14)

        # E7: a customer followed up and closed: ownership is locked.
        zhou = register(reception, "周敏", "137-1234-5604", "visit", liu, 25)
        follow_up(zhou, "call", 23, "客户确认预算")
        follow_up(zhou, "visit", 12, "带家人二次看房")
        zhou.with_user(liu).with_context(attribution_now=ago(2)).action_set_won()

        # A3: a channel registration (渠道报备) from a roadshow.
        register(li, "吴刚", "135 1234 5605", "channel", li, 3, source_channel="channel", note="外展登记")

        # B3: a returning visitor who names the owner: the visit goes to Li.
        zheng = register(reception, "郑雪", "13412345606", "visit", li, 6)
        follow_up(zheng, "call", 5, "首次回访")
        register(reception, "郑雪", "+8613412345606", "visit", zhang, 1, named_user=li,
                 note="客户说找李经理")

        # E3: expired with Wang, then registered again by Zhang as new.
        register(reception, "冯建国", "15912345607", "visit", wang, 30)
        register(zhang, "冯建国", "159 1234 5607", "call", zhang, 8)

        # D1 (recorded for later rules): a referral of Chen's, received by Liu.
        qian = register(reception, "钱芳", "18612345608", "visit", liu, 2, source_channel="referral",
                        note="陈志强介绍来的朋友")
        qian.partner_id.attribution_referrer_id = chen.partner_id

        # A2: a landline caller.
        register(zhang, "何先生", "010-6552 9988", "call", zhang, 1)
        return True

"""Performance splits on won deals (分单): G1-G4, B5, B6, C3, B11, H5, as the
salespeople, reception and the manager meet them, with fixed dates."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import T0
from .test_rotation import RotationCase


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestShares(RotationCase):
    def shares(self, lead, kind=None):
        domain = [("lead_id", "=", lead.id)] + ([("kind", "=", kind)] if kind else [])
        return self.root["crm.attribution.share"].search(domain, order="kind, user_id")

    def split(self, lead, kind="performance"):
        return {(s.user_id, s.percent, s.rule) for s in self.shares(lead, kind)}

    def customer(self, name="张三", phone="13800138000", owner=None):
        with self.at(T0 - timedelta(days=1)):
            self.desk(self.reception, name, phone, receiver=owner or self.alice)
        return self.lead_of(phone)

    def test_g4_a_won_deal_without_special_rule_is_the_owners(self):
        lead = self.customer()
        lead.expected_revenue = 1000000
        with self.at(T0):
            lead.with_user(self.alice).action_set_won()
        self.assertEqual(self.split(lead), {(self.alice, 100.0, "G4")})
        self.assertEqual(self.split(lead, "bonus"), {(self.alice, 100.0, "G4")})
        self.assertEqual(self.shares(lead, "performance").amount, 1000000)
        entry = self.ledger(lead).filtered(lambda e: e.event == "share")
        self.assertEqual(entry.rule, "G4")
        self.assertEqual(self.shares(lead).ledger_id, entry)

    def test_g1_b5_a_same_day_helper_deal_splits_50_50(self):
        lead = self.customer()
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_out()
            wizard = self.returning_at_desk("张三", "13800138000")
            self.assertEqual(wizard.rotation_rule, "B5")
            lead.with_user(self.manager).action_set_won()
        for kind in ("performance", "bonus"):
            self.assertEqual(
                self.split(lead, kind), {(self.alice, 50.0, "G1"), (self.bob, 50.0, "G1")}
            )
        self.assertEqual(lead.user_id, self.alice, "follow-up after the deal stays with the owner")

    def test_g1_the_policy_ratio_applies(self):
        self.company.attribution_helper_share_percent = 30
        lead = self.customer()
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_out()
            self.returning_at_desk("张三", "13800138000")
            lead.with_user(self.manager).action_set_won()
        self.assertEqual(self.split(lead), {(self.alice, 70.0, "G1"), (self.bob, 30.0, "G1")})

    def test_g1_a_helper_of_another_day_gets_nothing(self):
        lead = self.customer()
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_out()
            self.returning_at_desk("张三", "13800138000")
        with self.at(T0 + timedelta(days=1)):
            lead.with_user(self.alice).action_set_won()
        self.assertEqual(self.split(lead), {(self.alice, 100.0, "G4")})

    def test_g3_an_arranged_signing_stays_whole_with_the_owner(self):
        lead = self.customer()
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_out()
            form = self.desk_form(
                self.team.with_user(self.reception).action_attribution_returning()
            )
            form.receiver_id = self.carol
            form.name = "张三"
            form.phone = "13800138000"
            form.arranged_signing = True
            form.save().action_register()
            lead.with_user(self.manager).action_set_won()
        self.assertEqual(self.split(lead), {(self.alice, 100.0, "G3")})
        self.assertTrue(self.turns(event="helper").arranged)

    def test_g2_a_family_met_by_two_salespeople(self):
        with self.at(T0 - timedelta(days=5)):
            self.desk(self.reception, "张先生", "13800138000", receiver=self.bob)
        husband = self.lead_of("13800138000")
        wife = self.customer("张太太", "13900139000", owner=self.alice)
        with self.at(T0):
            form = Form(wife.with_user(self.manager))
            form.attribution_group_lead_ids.add(husband)
            form.save()
            wife.with_user(self.alice).action_set_won()
        self.assertEqual(self.split(wife), {(self.bob, 100.0, "G2")}, "the first receiver")
        self.assertEqual(
            self.split(wife, "bonus"), {(self.alice, 50.0, "G2"), (self.bob, 50.0, "G2")}
        )

    def test_c3_the_caller_named_after_booking_shares_the_commission(self):
        lead = self.customer()
        lead.with_user(self.manager).write(
            {"attribution_caller_id": self.carol.id, "attribution_caller_after_booking": True}
        )
        with self.at(T0):
            lead.with_user(self.alice).action_set_won()
        self.assertEqual(self.split(lead), {(self.alice, 100.0, "C3")})
        self.assertEqual(
            self.split(lead, "bonus"), {(self.alice, 50.0, "C3"), (self.carol, 50.0, "C3")}
        )

    def test_b11_a_quarrel_forfeits_the_deal_to_the_company(self):
        lead = self.customer()
        self.env["crm.attribution.violation"].with_user(self.manager).create(
            {
                "team_id": self.team.id,
                "user_id": self.alice.id,
                "kind": "quarrel",
                "lead_id": lead.id,
                "note": "吵架",
            }
        )
        with self.at(T0):
            lead.with_user(self.alice).action_set_won()
        self.assertEqual(self.split(lead), {(self.env["res.users"], 100.0, "B11")})

    def test_g4_reopened_and_won_again_the_shares_are_recomputed(self):
        lead = self.customer()
        with self.at(T0):
            lead.with_user(self.alice).action_set_won()
            lead.with_user(self.manager).write({"stage_id": self.stage_team1_1.id})
            self.assertFalse(self.shares(lead))
            self.member(self.alice).with_user(self.alice).action_attribution_out()
            self.returning_at_desk("张三", "13800138000")
            lead.with_user(self.manager).action_set_won()
        self.assertEqual(self.split(lead), {(self.alice, 50.0, "G1"), (self.bob, 50.0, "G1")})

    def test_h5_the_manager_sets_the_shares_with_a_reason(self):
        lead = self.customer()
        with self.at(T0):
            lead.with_user(self.alice).action_set_won()
        action = lead.with_user(self.manager).action_attribution_edit_shares()
        Edit = self.env["crm.attribution.share.edit"].with_user(self.manager)
        form = Form(Edit.with_context(**action["context"]))
        self.assertEqual(len(form.line_ids), 2, "the rules' shares to start from")
        form.note = "经理协调"
        wizard = form.save()
        wizard.line_ids = [
            (5, 0, 0),
            (0, 0, {"user_id": self.alice.id, "kind": "performance", "percent": 60}),
            (0, 0, {"user_id": self.bob.id, "kind": "performance", "percent": 40}),
            (0, 0, {"user_id": self.alice.id, "kind": "bonus", "percent": 100}),
        ]
        wizard.action_apply()
        self.assertEqual(self.split(lead), {(self.alice, 60.0, "H5"), (self.bob, 40.0, "H5")})
        self.assertTrue(all(self.shares(lead).mapped("edited")))
        self.assertIn("经理协调", self.ledger(lead)[-1].reason)

    def test_g4_manual_shares_that_do_not_total_100_are_refused(self):
        lead = self.customer()
        with self.at(T0):
            lead.with_user(self.alice).action_set_won()
        before = self.shares(lead)
        wizard = (
            self.env["crm.attribution.share.edit"]
            .with_user(self.manager)
            .create(
                {
                    "lead_id": lead.id,
                    "note": "试试",
                    "line_ids": [
                        (0, 0, {"user_id": self.alice.id, "kind": "performance", "percent": 60}),
                        (0, 0, {"user_id": self.bob.id, "kind": "performance", "percent": 30}),
                        (0, 0, {"user_id": self.alice.id, "kind": "bonus", "percent": 100}),
                    ],
                }
            )
        )
        with self.assertRefused(ValidationError, "exactly 100"):
            wizard.action_apply()
        self.assertEqual(self.shares(lead), before, "nothing is half-saved")

    def test_g4_salespeople_cannot_set_or_forge_shares(self):
        lead = self.customer()
        with self.at(T0):
            lead.with_user(self.alice).action_set_won()
        Share = self.env["crm.attribution.share"].with_user(self.alice)
        with self.assertRaises(UserError):
            Share.create({"lead_id": lead.id, "kind": "bonus", "percent": 100, "rule": "G4"})
        with self.assertRaises(UserError):
            self.shares(lead).with_user(self.alice).write({"percent": 1})
        with self.assertRaises(UserError):
            self.shares(lead).with_user(self.alice).unlink()
        with self.assertRaises(AccessError):
            self.env["crm.attribution.share.edit"].with_user(self.alice).create(
                {"lead_id": lead.id, "note": "x"}
            )
        with self.assertRefused(UserError, "sales manager records a family"):
            lead.with_user(self.alice).write({"attribution_caller_id": self.alice.id})
        # RPC round 3: nor on a new lead or a copy
        Lead = self.env["crm.lead"].with_user(self.alice)
        with self.assertRefused(UserError, "sales manager records a family"):
            Lead.create(
                {
                    "name": "假单",
                    "attribution_caller_id": self.alice.id,
                    "attribution_caller_after_booking": True,
                }
            )
        own = Lead.create({"name": "自己的单", "user_id": self.alice.id})
        with self.assertRefused(UserError, "sales manager records a family"):
            own.copy({"attribution_caller_id": self.bob.id})
        self.assertEqual(len(self.shares(lead)), 2)

    def test_g4_who_sees_which_shares(self):
        lead = self.customer()
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_out()
            self.returning_at_desk("张三", "13800138000")
            lead.with_user(self.manager).action_set_won()
        Share = self.env["crm.attribution.share"]
        domain = [("lead_id", "=", lead.id)]
        self.assertEqual(Share.with_user(self.alice).search_count(domain), 4, "the owner's deal")
        self.assertEqual(
            Share.with_user(self.bob).search(domain).user_id, self.bob, "the helper's own lines"
        )
        self.assertFalse(Share.with_user(self.carol).search(domain))
        self.assertEqual(Share.with_user(self.manager).search_count(domain), 4)

    def test_g4_shares_of_many_deals_in_one_batch(self):
        leads = self.env["crm.lead"]
        for index in range(5):
            leads |= self.customer(f"客户{index}", f"1380013800{index}")
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        with self.at(T0):
            leads.with_user(self.manager).write({"stage_id": won_stage.id})
        for lead in leads:
            self.assertEqual(self.split(lead), {(self.alice, 100.0, "G4")})

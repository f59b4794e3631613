"""The reception rotation on the desk (排轮): B1, B3-B8, B11, as reception,
salespeople and the manager, with fixed dates."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import T0, AttributionCase

HOUR = timedelta(hours=1)


@tagged("post_install", "-at_install", "crm_lead_attribution")
class RotationCase(AttributionCase):
    """Alice, Bob and Carol in seats 1, 2, 3 of the sales office; the first
    receiver never advances (the order starts with Alice every day)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.attribution_rotation_advance = "never"
        for seat, user in enumerate((cls.alice, cls.bob, cls.carol), start=1):
            member = cls.team.crm_team_member_ids.filtered(lambda m, u=user: m.user_id == u)
            member.attribution_seat = seat

    def member(self, user):
        return self.team.crm_team_member_ids.filtered(lambda m: m.user_id == user)

    def receive_next(self, user=None):
        """Reception presses *Receive Next Walk-in*; returns the receiver."""
        action = self.team.with_user(user or self.reception).action_attribution_receive_next()
        return self.env["res.users"].browse(action["context"]["default_receiver_id"])

    def done(self, *users):
        for user in users:
            self.member(user).with_user(self.reception).action_attribution_available()

    def turns(self, **domain):
        domain = dict(domain, team_id=self.team.id)  # demo data has turns of its own
        return self.env["crm.attribution.turn"].search(
            [(key, "=", value) for key, value in domain.items()], order="id"
        )

    def desk_form(self, action):
        """The registration dialog that a rotation desk action opens, as reception."""
        Register = self.env["crm.attribution.register"].with_user(self.reception)
        return Form(Register.with_context(**action["context"]))

    def walk_in_at_desk(self, name, phone):
        """Reception presses *Receive Next Walk-in* and registers the visitor."""
        form = self.desk_form(self.team.with_user(self.reception).action_attribution_receive_next())
        form.name = name
        form.phone = phone
        wizard = form.save()
        wizard.action_register()
        return wizard

    def returning_at_desk(self, name, phone, receiver=None):
        """Reception registers a returning visitor at the rotation desk."""
        form = self.desk_form(self.team.with_user(self.reception).action_attribution_returning())
        form.receiver_id = receiver or self.carol
        form.name = name
        form.phone = phone
        wizard = form.save()
        wizard.action_register()
        return wizard


class TestRotation(RotationCase):
    def test_b1_walk_ins_go_round_the_seats_and_are_counted(self):
        with self.at(T0):
            received = []
            for _ in range(4):
                received.append(self.receive_next())
                self.done(received[-1])
        self.assertEqual(received, [self.alice, self.bob, self.carol, self.alice])
        with self.at(T0):
            counts = {m.user_id: m.attribution_count_today for m in self.team.crm_team_member_ids}
            self.assertEqual(counts[self.alice], 2)
            self.assertEqual((counts[self.bob], counts[self.carol]), (1, 1))
            self.assertTrue(self.member(self.bob).attribution_is_next)
        taken = self.turns(event="taken")
        self.assertEqual(taken.mapped("rule"), ["B1"] * 4)
        self.assertTrue(all(taken.mapped("counted")))

    def test_b1_off_out_and_receiving_are_skipped_with_the_reason(self):
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_off()
            self.member(self.bob).with_user(self.reception).action_attribution_out()
            self.assertEqual(self.receive_next(), self.carol)
            with self.assertRefused(UserError, "Nobody"):
                self.receive_next()  # Carol is receiving, the others away
        skipped = self.turns(event="skipped")
        self.assertEqual(skipped.mapped("user_id"), self.alice | self.bob)
        self.assertIn("off today", skipped[0].reason)
        with self.at(T0 + timedelta(days=1)):  # a new day: statuses are reset
            self.assertEqual(self.receive_next(), self.alice)

    def test_b1_event_mode_lets_members_receive_several_groups(self):
        with self.at(T0):
            self.team.with_user(self.manager).action_attribution_event_mode()
            receivers = [self.receive_next() for _ in range(4)]
        self.assertEqual(receivers, [self.alice, self.bob, self.carol, self.alice])
        with self.assertRefused(UserError, "Only a sales manager"):
            self.team.with_user(self.reception).action_attribution_event_mode()

    def test_b1_the_first_receiver_advances_every_week(self):
        self.company.attribution_rotation_advance = "weekly"
        with self.at(T0):
            first = self.receive_next()
        with self.at(T0 + timedelta(days=7)):
            second_week = self.receive_next()
        seats = [self.alice, self.bob, self.carol]
        self.assertEqual(seats[(seats.index(first) + 1) % 3], second_week)

    def test_b4_returning_customer_to_the_owner_whose_next_turn_is_skipped(self):
        with self.at(T0 - timedelta(days=1)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        with self.at(T0):
            wizard = self.returning_at_desk("张三", "13800138000")
            self.assertEqual((wizard.outcome, wizard.rotation_user_id), ("returning", self.alice))
            self.assertEqual(wizard.rotation_rule, "B4")
            self.done(self.alice)
            self.assertEqual(self.receive_next(), self.bob)  # Alice's turn skipped
        self.assertEqual(self.turns(event="skipped", user_id=self.alice.id).rule, "B4")
        self.assertEqual(self.turns(event="returning").mapped("counted"), [True])

    def test_b4_make_up_turn_the_same_day_then_it_lapses(self):
        self.company.attribution_makeup_turns = True
        with self.at(T0 - timedelta(days=1)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
        with self.at(T0):
            self.returning_at_desk("张三", "13800138000")  # it was Alice's turn
            self.assertEqual(self.receive_next(), self.bob)
            self.assertTrue(self.member(self.alice).attribution_makeup_today)
        with self.at(T0 + timedelta(days=1)):
            self.receive_next()
        self.assertEqual(self.turns(event="owed").user_id, self.alice)
        lapsed = self.turns(event="lapsed")
        self.assertEqual((lapsed.user_id, lapsed.day), (self.alice, T0.date()))

    def test_b5_b6_b7_b8_helpers_for_a_busy_or_absent_owner(self):
        with self.at(T0 - timedelta(days=1)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
            self.desk(self.reception, "李四", "13900139000", receiver=self.alice)
            closed = self.lead_of("13900139000")
            closed.with_user(self.alice).action_set_won()
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_out()
            b5 = self.returning_at_desk("张三", "13800138000")
            self.assertEqual((b5.rotation_user_id, b5.rotation_rule), (self.bob, "B5"))
        helper = self.turns(event="helper")
        self.assertEqual((helper.rule, helper.owner_id), ("B5", self.alice))
        with self.at(T0 + timedelta(days=1)):
            self.receive_next()  # Alice receives a new walk-in
            b6 = self.returning_at_desk("张三", "13800138000")
            self.assertEqual((b6.rotation_user_id, b6.rotation_rule), (self.carol, "B6"))
            self.done(self.alice, self.carol)
            self.member(self.alice).with_user(self.alice).action_attribution_signing()
            b7 = self.returning_at_desk("张三", "13800138000")
            self.assertEqual((b7.rotation_user_id, b7.rotation_rule), (self.alice, "B7"))
            b8 = self.returning_at_desk("李四", "13900139000")
            self.assertEqual(b8.rotation_rule, "B8")
            self.assertNotEqual(b8.rotation_user_id, self.alice)
        self.assertFalse(self.turns(rule="B8").counted)

    def test_b1_status_is_the_members_or_the_desks(self):
        with self.assertRefused(UserError, "Only the salesperson"):
            self.member(self.bob).with_user(self.alice).action_attribution_out()
        with self.assertRefused(UserError, "reception desk or a sales manager"):
            self.receive_next(self.alice)

    def test_i1_turns_are_append_only_and_seen_by_who_they_concern(self):
        with self.at(T0):
            self.receive_next()
        turn = self.turns(event="taken")
        for user in (self.alice, self.manager):
            with self.assertRaises(UserError):
                turn.with_user(user).write({"rule": "X"})
            with self.assertRaises(UserError):
                turn.with_user(user).unlink()
        with self.assertRaises(UserError):
            self.env["crm.attribution.turn"].with_user(self.manager).create(
                {"team_id": self.team.id, "event": "taken", "rule": "B1"}
            )
        Turn = self.env["crm.attribution.turn"]
        self.assertEqual(Turn.with_user(self.alice).search([]), turn)
        self.assertFalse(Turn.with_user(self.bob).search([]))
        with self.assertRaises(AccessError):
            turn.with_user(self.bob).read(["lead_id"])

    def test_b1_the_desk_kanban_and_the_report_load(self):
        action = self.team.with_user(self.reception).action_attribution_open_rotation()
        Member = self.env["crm.team.member"].with_user(self.reception)
        views = Member.get_views(
            [(action["views"][0][0] if action.get("views") else False, "kanban")]
        )
        self.assertIn("attribution_is_next", views["views"]["kanban"]["arch"])
        rows = Member.web_search_read(
            action["domain"],
            {"user_id": {}, "attribution_count_today": {}, "attribution_is_next": {}},
        )
        self.assertEqual(rows["length"], 3)
        self.env["crm.attribution.turn"].with_user(self.manager).get_views(
            [(False, "pivot"), (False, "graph"), (False, "list"), (False, "search")]
        )


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestViolations(RotationCase):
    def test_b11_the_manager_records_violations_with_the_policys_amount(self):
        Violation = self.env["crm.attribution.violation"]
        form = Form(Violation.with_user(self.manager))
        form.team_id = self.team
        form.user_id = self.bob
        form.kind = "cut_in"
        self.assertEqual(form.amount, 100)
        form.note = "在接待中插手同事的客户"
        cut_in = form.save()
        quarrel = Violation.with_user(self.manager).create(
            {"team_id": self.team.id, "user_id": self.bob.id, "kind": "quarrel", "note": "x"}
        )
        self.assertEqual((quarrel.amount, quarrel.forfeits, cut_in.forfeits), (200, True, False))
        with self.assertRefused(UserError, "Only a sales manager"):
            Violation.with_user(self.alice).create(
                {"team_id": self.team.id, "user_id": self.bob.id, "kind": "drop", "note": "x"}
            )
        with self.assertRefused(UserError, "cannot be changed"):
            cut_in.with_user(self.manager).write({"amount": 0})
        self.assertEqual(Violation.with_user(self.bob).search([]), cut_in | quarrel)
        self.assertFalse(Violation.with_user(self.alice).search([]))
        totals = Violation.with_user(self.manager).read_group(
            [], ["amount:sum"], ["user_id", "date:month"], lazy=False
        )
        self.assertEqual(totals[0]["amount"], 300)


class TestRotationHandOffAndFriends(RotationCase):
    """B9 and B10 at the rotation desk, as reception."""

    def test_b9_language_barrier_the_next_in_rotation_becomes_the_owner(self):
        with self.at(T0):
            wizard = self.walk_in_at_desk("John Smith", "13800138000")
            self.assertEqual((wizard.outcome, wizard.owner_id), ("new", self.alice))
        with self.at(T0 + timedelta(minutes=5)):
            wizard.action_hand_off()
        lead = self.lead_of("13800138000")
        self.assertEqual((lead.user_id, lead.attribution_first_receiver_id), (self.bob, self.bob))
        self.assertEqual(lead.attribution_rule, "B9")
        self.assertEqual(lead.attribution_protected_until, T0 + timedelta(days=10))
        self.assertEqual((wizard.owner_id, wizard.rule), (self.bob, "B9"))
        self.assertEqual((wizard.rotation_user_id, wizard.rotation_rule), (self.bob, "B9"))
        entry = self.ledger(lead)[-1]
        self.assertEqual((entry.rule, entry.previous_owner_id), ("B9", self.alice))
        # the first follow-up is Bob's now, and Alice no longer follows the customer
        self.assertEqual(lead.activity_ids.user_id, self.bob)
        self.assertNotIn(self.alice.partner_id, lead.message_partner_ids)
        # Alice keeps the reception count; Bob's hand-off is not counted
        with self.at(T0 + timedelta(minutes=5)):
            counts = {m.user_id: m.attribution_count_today for m in self.team.crm_team_member_ids}
        self.assertEqual((counts[self.alice], counts[self.bob]), (1, 0))
        self.assertEqual(self.turns(event="handoff").user_id, self.bob)
        with self.assertRefused(UserError, "once"):
            wizard.action_hand_off()

    def test_b9_only_the_desk_hands_off_and_only_a_new_walk_in(self):
        with self.at(T0 - timedelta(days=1)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.carol)
        with self.at(T0):
            returning = self.returning_at_desk("张三", "13800138000")
            with self.assertRefused(UserError, "new walk-in"):
                returning.action_hand_off()
            wizard = self.walk_in_at_desk("李四", "13900139000")
        with self.assertRaises(AccessError):  # another user's dialog
            wizard.with_user(self.alice).action_hand_off()
        with self.assertRefused(UserError, "reception desk or a sales manager"):
            self.desk(self.alice, "王五", "13700137000", receiver=self.alice).action_hand_off()
        self.assertEqual(self.lead_of("13900139000").user_id, self.alice)
        with self.at(T0 + timedelta(days=1)), self.assertRefused(UserError, "day of the visit"):
            wizard.action_hand_off()
        self.assertEqual(self.lead_of("13900139000").user_id, self.alice)

    def test_b9_no_hand_off_without_a_turn_taken_at_the_desk(self):
        """Reception cannot make a walk-in look received in turn: the turn
        must be in the rotation's log, and the desk's fields are not written
        afterwards (RPC break-in round on B9)."""
        Register = self.env["crm.attribution.register"].with_user(self.reception)
        values = {"team_id": self.team.id, "name": "选择丙", "phone": "13800004444"}
        with self.at(T0):
            forged = Register.create(
                dict(values, receiver_id=self.carol.id, rotation_receiver_id=self.carol.id)
            )
            forged.action_register()
            with self.assertRefused(UserError, "received in turn"):
                forged.action_hand_off()
            wizard = self.walk_in_at_desk("李四", "13900139000")  # Alice's turn
            wizard.write({"rotation_receiver_id": self.carol.id, "team_id": False})
            self.assertEqual((wizard.rotation_receiver_id, wizard.team_id), (self.alice, self.team))
        self.assertEqual(self.lead_of("13800004444").user_id, self.carol)

    def test_b10_friends_are_not_handed_off(self):
        with self.at(T0 - timedelta(days=3)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.bob)
            self.lead_of("13800138000").with_user(self.bob).action_set_won()
        with self.at(T0):
            wizard = (
                self.env["crm.attribution.register"]
                .with_user(self.reception)
                .create(
                    {
                        "team_id": self.team.id,
                        "name": "朋友己",
                        "phone": "13800007777",
                        "buyer_phone": "13800138000",
                    }
                )
            )
            wizard.action_register()
            wizard.write({"rotation_receiver_id": self.bob.id, "buyer_phone": False})
            self.assertEqual(wizard.buyer_phone, "13800138000")
            with self.assertRefused(UserError, "received in turn"):
                wizard.action_hand_off()
        self.assertEqual(self.lead_of("13800007777").user_id, self.bob)

    def test_b10_a_buyers_friends_belong_to_the_buyers_owner(self):
        with self.at(T0 - timedelta(days=3)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.bob)
            buyer = self.lead_of("13800138000")
            buyer.with_user(self.bob).action_set_won()
        with self.at(T0):
            form = self.desk_form(
                self.team.with_user(self.reception).action_attribution_returning()
            )
            form.buyer_phone = "138 0013 8000"
            self.assertEqual(form.receiver_id, self.bob)
            form.name = "张三的朋友"
            form.phone = "13900139000"
            wizard = form.save()
            wizard.action_register()
        friend = self.lead_of("13900139000")
        self.assertEqual((wizard.outcome, friend.user_id), ("new", self.bob))
        self.assertEqual(friend.partner_id.attribution_referrer_id, buyer.partner_id)
        self.assertEqual((wizard.rotation_user_id, wizard.rotation_rule), (self.bob, "B10"))
        turn = self.turns(event="returning")
        self.assertEqual((turn.user_id, turn.rule, turn.counted), (self.bob, "B10", True))
        self.assertFalse(self.turns(event="taken"), "no turn used")

    def test_b10_the_owner_away_the_last_in_rotation_receives_uncounted(self):
        with self.at(T0 - timedelta(days=3)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.alice)
            self.lead_of("13800138000").with_user(self.alice).action_set_won()
        with self.at(T0):
            self.member(self.alice).with_user(self.alice).action_attribution_off()
            form = self.desk_form(
                self.team.with_user(self.reception).action_attribution_returning()
            )
            form.buyer_phone = "13800138000"
            form.name = "张三的朋友"
            form.phone = "13900139000"
            wizard = form.save()
            wizard.action_register()
        self.assertEqual(self.lead_of("13900139000").user_id, self.alice)
        helper = self.turns(event="helper")
        self.assertEqual(
            (helper.user_id, helper.owner_id, helper.rule, helper.counted),
            (self.carol, self.alice, "B10", False),
        )

    def test_b10_not_a_buyer_and_not_for_salespeople(self):
        with self.at(T0 - timedelta(days=3)):
            self.desk(self.reception, "张三", "13800138000", receiver=self.bob)  # not closed
        Register = self.env["crm.attribution.register"]
        with self.at(T0):
            wizard = Register.with_user(self.reception).create(
                {
                    "team_id": self.team.id,
                    "receiver_id": self.carol.id,
                    "name": "朋友",
                    "phone": "13900139000",
                    "buyer_phone": "13800138000",
                }
            )
            with self.assertRefused(ValidationError, "is not the phone of a buyer"):
                wizard.action_register()
            spy = Register.with_user(self.alice).create(
                {
                    "team_id": self.team.id,
                    "receiver_id": self.alice.id,
                    "name": "朋友",
                    "phone": "13900139000",
                    "buyer_phone": "13800138000",
                }
            )
            with self.assertRefused(UserError, "reception desk registers the friends"):
                spy.action_register()
        self.assertFalse(self.lead_of("13900139000"))

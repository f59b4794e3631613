"""Ways around the rules found by trying them over RPC as the demo users
(F2, F3, F4, E3, E7, E8, H1, I1); each test plays the attacking user through
the entry point they used and checks the refusal and that nothing changed."""

from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import DAY, T0, LifecycleCase, PoolCase

HOUR = timedelta(hours=1)


def ids_in(value):
    """Every integer inside an onchange value (commands, ids, dicts)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [i for item in value.values() for i in ids_in(item)]
    if isinstance(value, (list, tuple)):
        return [i for item in value for i in ids_in(item)]
    return []


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestLeaksFoundOverRpc(LifecycleCase):
    """F3: names and phones that leaked through Odoo's followers, meetings,
    duplicate detection and contacts; I1: forged ledger entries."""

    def setUp(self):
        super().setUp()
        self.alice_lead = self.register("张三", "13800138000", self.alice)
        self.customer = self.alice_lead.partner_id

    def test_f3_followers_of_a_colleagues_customer_are_not_listed(self):
        """The owner's customer follows her lead; colleagues and reception do not
        read that follower row, nor make the customer follow their own lead."""
        self.alice_lead.with_user(self.alice).message_subscribe(partner_ids=self.customer.ids)
        for user in (self.bob, self.reception):
            rows = (
                self.env["mail.followers"]
                .with_user(user)
                .search_read([("partner_id", "=", self.customer.id)], ["partner_id", "name"])
            )
            self.assertEqual(rows, [], user.name)
        own = self.register("李四", "13900139000", self.bob)
        with self.assertRaises(AccessError):
            own.with_user(self.bob).message_subscribe(partner_ids=self.customer.ids)
        with self.assertRaises(AccessError):
            own.with_user(self.bob).message_post(body="hi", partner_ids=self.customer.ids)
        self.assertNotIn(self.customer, own.message_partner_ids)

    def test_f3_meetings_about_a_colleagues_customer_are_hers(self):
        """A meeting with the owner's customer is invisible to colleagues and
        reception (attendee name and phone, opportunity, title); nobody sets a
        meeting on a lead they may not read."""
        event = (
            self.env["calendar.event"]
            .with_user(self.alice)
            .create(
                {
                    "name": "与张三看房",
                    "start": T0 + DAY,
                    "stop": T0 + DAY + HOUR,
                    "partner_ids": [Command.set((self.alice.partner_id | self.customer).ids)],
                    "opportunity_id": self.alice_lead.id,
                }
            )
        )
        for user in (self.bob, self.reception):
            Attendee = self.env["calendar.attendee"].with_user(user)
            self.assertFalse(Attendee.search([("partner_id", "=", self.customer.id)]), user.name)
            self.assertFalse(
                self.env["calendar.event"].with_user(user).search([("id", "=", event.id)]),
                user.name,
            )
        mine = (
            self.env["calendar.event"]
            .with_user(self.bob)
            .create({"name": "x", "start": T0 + DAY, "stop": T0 + DAY + HOUR})
        )
        for values in (
            {"opportunity_id": self.alice_lead.id},
            {"res_model": "crm.lead", "res_id": self.alice_lead.id},
            {"partner_ids": [Command.link(self.customer.id)]},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                mine.write(values)
        self.assertFalse(mine.opportunity_id)

    def test_f3_duplicate_detection_is_no_oracle_of_hidden_phones(self):
        """Odoo's duplicate search runs as superuser: a lead form given a phone
        of someone else's customer (or of the pool) shows no duplicate."""
        pooled = self.released("王五", "13700137000", owner=self.carol)
        for user in (self.bob, self.reception):
            for phone, lead in (("13800138000", self.alice_lead), ("13700137000", pooled)):
                result = (
                    self.env["crm.lead"]
                    .with_user(user)
                    .onchange(
                        {"name": "x", "phone": phone, "type": "opportunity"},
                        ["phone"],
                        {"phone": {}, "duplicate_lead_ids": {}, "duplicate_lead_count": {}},
                    )
                )
                value = result.get("value", {})
                self.assertNotIn(lead.id, ids_in(value.get("duplicate_lead_ids")), user.name)
                self.assertFalse(value.get("duplicate_lead_count"), user.name)

    def test_a3_registering_takes_no_colleague_or_company_contact(self):
        """A lead put on a colleague's own contact (or a company) and registered
        gets a contact of its own: the colleague's contact is not hidden away."""
        carol_partner = self.carol.partner_id
        lead = (
            self.env["crm.lead"]
            .with_user(self.bob)
            .create(
                {
                    "name": "Hijack",
                    "type": "opportunity",
                    "partner_id": carol_partner.id,
                    "mobile": "+86 188 0000 0001",
                }
            )
        )
        self.desk(self.bob, "某人", "18800000001")
        self.assertEqual(self.lead_of("18800000001"), lead)
        self.assertNotEqual(lead.partner_id, carol_partner)
        self.assertEqual(
            carol_partner.with_user(self.alice).read(["name"])[0]["name"], "Carol Zhang"
        )
        self.assertEqual(
            self.desk(self.reception, "王五", "13600136000", receiver=self.carol).owner_id,
            self.carol,
        )

    def test_i1_nobody_creates_or_copies_a_ledger_entry(self):
        """Not even an administrator who grants themselves the right to."""
        self.env["ir.model.access"].create(
            {
                "name": "forge",
                "model_id": self.env.ref("crm_lead_attribution.model_crm_attribution_ledger").id,
                "group_id": self.env.ref("base.group_system").id,
                "perm_read": True,
                "perm_create": True,
            }
        )
        Ledger = self.env["crm.attribution.ledger"].with_user(self.admin)
        entry = self.ledger(self.alice_lead)[:1]
        count = len(self.ledger(self.alice_lead))
        with self.assertRefused(UserError, "written by the rules only"):
            Ledger.create({"event": "claim", "rule": "F1", "lead_id": self.alice_lead.id})
        with self.assertRefused(UserError, "cannot be copied"):
            entry.with_user(self.admin).copy()
        self.assertEqual(len(self.ledger(self.alice_lead)), count)

    def test_f3_reception_no_longer_reads_its_dialog_of_a_customer_gone_to_the_pool(self):
        wizard = self.desk(self.reception, "吕布", "13900001112", receiver=self.bob)
        Desk = self.env["crm.attribution.register"].with_user(self.reception)
        self.assertEqual(Desk.search([("id", "=", wizard.id)]), wizard)
        self.lead_of("13900001112").with_user(self.bob)._attribution_give_up("不买了")
        self.assertFalse(Desk.search([("id", "=", wizard.id)]))
        self.assertEqual(
            self.env["crm.attribution.register"]
            .with_user(self.manager)
            .search([("id", "=", wizard.id)]),
            wizard,
        )


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestBadInputFoundOverRpc(LifecycleCase):
    """Bad input gets a clear message and nothing is saved (A1, E5, H1)."""

    def setUp(self):
        super().setUp()
        self.lead = self.register("张三", "13800138000", self.alice)

    def test_e1_unknown_follow_up_kind_and_oversized_note(self):
        FollowUp = self.env["crm.attribution.follow.up"].with_user(self.alice)
        with self.assertRefused(ValidationError, "is not a choice"):
            FollowUp.create({"lead_id": self.lead.id, "kind": "bogus"})
        with self.assertRefused(ValidationError, "at most 2000"):
            FollowUp.create({"lead_id": self.lead.id, "kind": "call", "note": "x" * 200000})
        with self.assertRefused(ValidationError, "cannot be saved"):
            FollowUp.create({"lead_id": self.lead.id, "kind": "call", "note": "a\x00b"})

    def test_e5_give_up_needs_a_reason(self):
        GiveUp = self.env["crm.attribution.give.up"].with_user(self.alice)
        for reason in ("", "   "):
            with self.assertRefused(ValidationError, "cannot be empty"):
                GiveUp.create({"lead_id": self.lead.id, "reason": reason})
        self.assertEqual(self.lead.attribution_state, "protected")

    def test_a1_a_nul_character_or_unknown_user_at_the_desk(self):
        Desk = self.env["crm.attribution.register"].with_user(self.reception)
        wizard = Desk.create(
            {"name": "张\x00三", "phone": "139\x0000139000", "receiver_id": self.bob.id}
        )
        self.assertEqual((wizard.name, wizard.phone), ("张三", "13900139000"))
        with self.assertRefused(ValidationError, "cannot be saved"):
            wizard.write({"note": "a\x00b"})
        with self.assertRefused(ValidationError, "does not exist"):
            Desk.create({"name": "张三", "phone": "13900139000", "receiver_id": 999999})

    def test_h1_change_request_needs_a_customer_and_a_salesperson(self):
        Request = self.env["crm.attribution.change.request"].with_user(self.alice)
        with self.assertRefused(UserError, "Choose the customer"):
            Request.create({"requested_user_id": self.bob.id, "reason": "x"})
        with self.assertRefused(UserError, "cannot own customers"):
            Request.create(
                {"lead_id": self.lead.id, "requested_user_id": self.reception.id, "reason": "x"}
            )
        with self.assertRefused(ValidationError, "cannot be empty"):
            Request.create({"lead_id": self.lead.id, "requested_user_id": self.bob.id})


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestLimitsFoundOverRpc(PoolCase):
    """F2 / E3 / E7 / E8 / H1: ways around the claim limits and the protection."""

    def test_e7_a_salesperson_does_not_reopen_a_closed_deal(self):
        """Closing a deal and reopening it would free and refill the holding
        limit (F2) at will: undoing a signed deal is the manager's."""
        lead = self.register("李四", "13900139000", self.bob)
        lead.with_user(self.bob).action_set_won()
        self.assertEqual(lead.attribution_state, "locked")
        stage = self.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        with self.assertRefused(UserError, "sales manager only"):
            lead.with_user(self.bob).write({"stage_id": stage.id})
        with self.assertRefused(UserError, "sales manager only"):
            lead.with_user(self.bob).action_set_lost()
        self.assertEqual(lead.attribution_state, "locked")
        lead.with_user(self.manager).write({"stage_id": stage.id})
        self.assertEqual(lead.attribution_state, "protected")

    def test_e3_the_former_owner_does_not_close_an_expired_customer(self):
        lead = self.register("李四", "13900139000", self.bob)
        with self.at(T0 + 10 * DAY + HOUR), self.assertRefused(UserError, "no longer yours"):
            lead.with_user(self.bob).action_set_won()
        self.assertEqual(lead.attribution_state, "protected")

    def test_f2_the_daily_limit_counts_the_offices_day(self):
        """A user's own time zone does not move the day of the daily limit."""
        self.company.attribution_daily_claim_limit = 1
        self.company.partner_id.tz = "Asia/Shanghai"
        second = self.released("王五", "13700137000", owner=self.carol)
        with self.at(T0 + 10 * DAY + 2 * HOUR):
            self.pool_row(self.lead, self.bob).action_claim()
            self.bob.sudo().tz = "America/Lima"
            with self.assertRefused(UserError, "Daily claim limit"):
                self.pool_row(second, self.bob).action_claim()
        self.assertEqual(second.attribution_state, "pool")

    def test_h1_an_accepted_request_is_the_new_owners_claim(self):
        """A customer passed on at its request (owner's consent) is taken by the
        new owner within their limits: a former owner's cool-down holds."""
        with self.at(T0 + 10 * DAY + HOUR):
            self.pool_row(self.lead, self.bob).action_claim()
            request = (
                self.env["crm.attribution.change.request"]
                .with_user(self.bob)
                .create(
                    {"lead_id": self.lead.id, "requested_user_id": self.alice.id, "reason": "x"}
                )
            )
            with self.assertRefused(UserError, "Cool-down"):
                request.with_user(self.bob).action_accept()
        self.assertEqual(self.lead.user_id, self.bob)

    def test_e8_a_side_deal_does_not_take_a_customer_from_the_pool(self):
        """E8 / F2: a deal on a pool customer's contact moves nothing: the
        customer is claimed (within the limits) or given first."""
        self.company.attribution_first_deal = True
        deal = self.root["crm.lead"].create(
            {
                "name": "Side deal",
                "partner_id": self.lead.partner_id.id,
                "user_id": self.alice.id,
                "type": "opportunity",
            }
        )
        with self.at(T0 + 10 * DAY + HOUR):
            deal.action_set_won()
        self.assertEqual((self.lead.attribution_state, self.lead.user_id.id), ("pool", False))

    def test_f1_claiming_several_or_none(self):
        second = self.released("王五", "13700137000", owner=self.carol)
        Pool = self.env["crm.attribution.pool"].with_user(self.bob)
        with self.assertRefused(UserError, "Choose a customer"):
            Pool.browse().action_claim()
        with self.at(T0 + 10 * DAY + HOUR):
            Pool.browse([self.lead.id, second.id]).action_claim()
        self.assertEqual((self.lead | second).mapped("user_id"), self.bob)


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestDeskFormFoundOverRpc(LifecycleCase):
    def test_b3_a_colleagues_draft_dialog_cannot_be_used(self):
        """F3: another user's desk dialog can be neither read nor registered."""
        form = Form(self.env["crm.attribution.register"].with_user(self.reception))
        form.name = "张三"
        form.phone = "13800138000"
        form.receiver_id = self.alice
        wizard = form.save()
        with self.assertRaises(AccessError):
            wizard.with_user(self.bob).write({"receiver_id": self.bob.id})
        with self.assertRaises(AccessError):
            wizard.with_user(self.bob).action_register()
        self.assertEqual(wizard.state, "draft")


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestSecondRoundOverRpc(PoolCase):
    """The second round over RPC (F3, A2, B1, B11, I1)."""

    def test_f3_notifications_tell_no_names_of_hidden_customers(self):
        """Nobody messages or notifies a contact they may not read, on any
        model, nor reads the notifications of one."""
        event = (
            self.env["calendar.event"]
            .with_user(self.reception)
            .create({"name": "x", "start": T0 + DAY, "stop": T0 + DAY + HOUR})
        )
        hidden = self.lead.partner_id  # a pool customer's contact
        with self.assertRaises(AccessError):
            event.with_user(self.reception).message_post(body="x", partner_ids=hidden.ids)
        own = self.register("李四", "13900139000", self.bob)
        with self.assertRaises(AccessError):
            own.with_user(self.bob).message_notify(body="x", partner_ids=hidden.ids)
        with self.assertRaises(AccessError):
            own.with_user(self.bob).message_subscribe(partner_ids=[str(hidden.id)])
        self.assertFalse(
            self.env["mail.notification"]
            .with_user(self.bob)
            .search([("res_partner_id", "=", hidden.id)])
        )

    def test_f3_string_ids_do_not_pass_the_guard(self):
        """The ORM takes "51" for 51: so does the guard."""
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(self.bob).create(
                {"name": "x", "partner_id": str(self.lead.partner_id.id)}
            )
        with self.assertRaises(AccessError):
            self.env["crm.attribution.register"].with_user(self.bob).create(
                {"lead_hint_id": str(self.lead.id)}
            )
        with self.assertRaises(ValidationError):
            self.env["crm.lead"].with_user(self.bob).create({"name": "x", "partner_id": "x1"})

    def test_a2_a_phone_change_is_no_oracle(self):
        """The refusal does not say whose a number is, and a number written on
        several of one's own leads at once is refused before any is tried."""
        first = self.register("李四", "13900139000", self.bob)
        second = self.register("王五", "13600136000", self.bob)
        with self.assertRefused(ValidationError, "give each its own"):
            (first | second).with_user(self.bob).write({"phone": "13711112222"})
        with self.assertRaises(ValidationError) as refusal:
            first.with_user(self.bob).write({"phone": "13800138000"})  # the pool customer's
        self.assertNotIn("nobody", str(refusal.exception))
        self.assertIn("another registered customer", str(refusal.exception))

    def test_f3_the_activity_report_shows_no_pool_customer(self):
        rows = (
            self.env["crm.activity.report"]
            .with_user(self.bob)
            .search([("lead_id", "=", self.lead.id)])
        )
        self.assertFalse(rows)

    def test_f3_an_unassigned_lead_on_a_hidden_contact_is_hidden(self):
        lead = self.root["crm.lead"].create(
            {"name": "Inbound", "partner_id": self.lead.partner_id.id, "user_id": False}
        )
        self.assertFalse(self.env["crm.lead"].with_user(self.bob).search([("id", "=", lead.id)]))

    def test_f3_a_child_contact_does_not_show_its_hidden_parent(self):
        child = self.root["res.partner"].create(
            {"name": "张太太", "parent_id": self.lead.partner_id.id}
        )
        for user in (self.bob, self.reception):
            self.assertFalse(
                self.env["res.partner"].with_user(user).search([("id", "=", child.id)]),
                user.name,
            )

    def test_f3_a_preview_is_the_same_whatever_the_customers_team_policy(self):
        """The pool customer's team has its own policy: a salesperson's preview
        of its phone still equals that of a new phone."""
        self.team.write({"attribution_override": True, "attribution_visit_days": 12})
        other = self.env["crm.team"].create({"name": "Other Office"})
        other.crm_team_member_ids = [Command.create({"user_id": self.carol.id})]
        Desk = self.env["crm.attribution.desk"].with_user(self.bob)
        with self.at(T0 + 10 * DAY + HOUR):
            pool, _lead = Desk._preview("张三", "13800138000", "visit", self.carol)
            new, _lead = Desk._preview("张三", "13811112222", "visit", self.carol)
        self.assertEqual(
            (pool.outcome, pool.customer.protected_until, pool.reason),
            (new.outcome, new.customer.protected_until, new.reason),
        )


@tagged("post_install", "-at_install", "crm_lead_attribution")
class TestRotationRoundOverRpc(LifecycleCase):
    """B1 / B11: the rotation cannot be bent through the desk's dialog."""

    def setUp(self):
        super().setUp()
        self.company.attribution_rotation_advance = "never"
        for seat, user in enumerate((self.alice, self.bob, self.carol), start=1):
            self.team.crm_team_member_ids.filtered(lambda m, u=user: m.user_id == u).write(
                {"attribution_seat": seat}
            )

    def test_b1_a_salesperson_runs_no_rotation_through_the_dialog(self):
        """A salesperson's dialog with a sales office set moves nobody's turn,
        and a registered dialog records nothing again."""
        self.register("赵丽", "13955550102", self.alice)
        Turn = self.root["crm.attribution.turn"]
        wizard = (
            self.env["crm.attribution.register"]
            .with_user(self.bob)
            .create(
                {
                    "kind": "visit",
                    "receiver_id": self.bob.id,
                    "name": "赵丽",
                    "phone": "13955550102",
                    "team_id": self.team.id,
                }
            )
        )
        with self.at(T0 + HOUR):
            wizard.action_register()
            entries = len(self.ledger(self.lead_of("13955550102")))
            wizard.action_register()
        self.assertEqual(len(self.ledger(self.lead_of("13955550102"))), entries)
        self.assertFalse(Turn.search([("team_id", "=", self.team.id)]))

    def test_b1_a_walk_in_registered_out_of_turn_is_recorded(self):
        """Bob registers a new walk-in himself while it is Alice's turn: it is
        his reception, counted, and recorded as out of turn."""
        with self.at(T0):
            self.desk(self.bob, "钱七", "13500135000", receiver=self.bob)
        turn = self.root["crm.attribution.turn"].search([("team_id", "=", self.team.id)])
        self.assertEqual((turn.event, turn.user_id, turn.counted), ("out_of_turn", self.bob, True))
        with self.at(T0):
            self.desk(self.alice, "孙八", "13400134000", receiver=self.alice)
        taken = self.root["crm.attribution.turn"].search(
            [("team_id", "=", self.team.id), ("event", "=", "taken")]
        )
        self.assertEqual(taken.user_id, self.alice)  # it was her turn: she took it

    def test_b11_violations_bad_input_and_copy(self):
        Violation = self.env["crm.attribution.violation"].with_user(self.manager)
        values = {"team_id": self.team.id, "user_id": self.bob.id, "kind": "drop", "note": "x"}
        with self.assertRefused(ValidationError, "is not a choice"):
            Violation.create(dict(values, kind="bogus"))
        with self.assertRefused(ValidationError, "cannot be empty"):
            Violation.create(dict(values, note="  "))
        with self.assertRefused(UserError, "whole number"):
            Violation.create(dict(values, amount=10**12))
        with self.assertRefused(UserError, "is not a salesperson of"):
            Violation.create(dict(values, user_id=self.reception.id))
        violation = Violation.create(values)
        with self.assertRefused(UserError, "cannot be copied"):
            violation.copy()
        with self.assertRaises(AccessError):
            violation.with_user(self.bob).read(["lead_id"])

    def test_i1_turns_stay_with_their_sales_office(self):
        with self.at(T0):
            self.team.with_user(self.reception).action_attribution_receive_next()
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.team.with_user(self.manager).unlink()

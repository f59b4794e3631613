from odoo.tests import tagged, users, warmup

from .common import DAY, T0, LifecycleCase


@tagged("post_install", "-at_install", "crm_lead_attribution", "crm_attribution_performance")
class TestAttributionPerformance(LifecycleCase):
    """Query counts of the hot paths: the phone lookup and the registration at
    the desk, a claim from the pool, a batch of each sweep.

    As in crm's ``test_performances``: run as the user who does it
    (``@users``; the sweeps as the scheduled actions' superuser), caches
    warmed by a first run that is rolled back (``@warmup``), each count set
    at the measured value. ``assertQueryCount`` flushes before and after, so
    a count includes the writes the call caused. A count lower than set is
    only logged: then lower the figure.

    The salespeople are notified by e-mail (``new_test_user``'s default):
    each notification, assignment of an activity included, costs about 30
    queries here, a dozen of which send the e-mail, which tests do on the
    same cursor and a server does after the commit.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Desk = cls.env["crm.attribution.desk"].with_user(cls.reception)
        # the returning customer of the lookup and of the returning visit
        Desk._register_customer("张三", "13800138000", "visit", cls.alice, at=T0 - 2 * DAY)
        # the customer to claim: Carol's, released to the pool ten days later
        _decision, cls.pool_lead = Desk._register_customer(
            "王五", "13700137000", "visit", cls.carol, at=T0 - 20 * DAY
        )
        with cls.at(cls, T0 - 10 * DAY):
            cls.env["crm.attribution.sweep"]._cron_release()
        # five customers due for release at T0 (protection ended 5 days ago) and
        # five due for a reminder (protection ends in 2 days), of three owners
        owners = (cls.alice, cls.bob, cls.carol, cls.alice, cls.bob)
        for n, owner in enumerate(owners):
            Desk._register_customer(f"释放{n}", f"1360000000{n}", "visit", owner, at=T0 - 15 * DAY)
            Desk._register_customer(f"提醒{n}", f"1350000000{n}", "visit", owner, at=T0 - 8 * DAY)

    @users("cla_desk")
    @warmup
    def test_a2_perf_phone_lookup(self):
        """A2: the desk's lookup (判客) of a returning and of a new phone.

        Covers: the receiver's check (salesperson of the company), the phone
        identity lookup, reading the customer's lead for the decision, and
        the policy of its team; nothing is written."""
        Desk = self.env["crm.attribution.desk"]
        with self.assertQueryCount(cla_desk=9):
            decision, lead = Desk._preview("张先生", "138-0013-8000", "visit", self.bob)
        self.assertEqual(
            (decision.outcome, decision.customer.owner_id), ("returning", self.alice.id)
        )
        self.env.invalidate_all()  # the next lookup is another request
        with self.assertQueryCount(cla_desk=6):
            decision, lead = Desk._preview("李四", "139 0013 9000", "visit", self.bob)
        self.assertEqual((decision.outcome, lead), ("new", self.env["crm.lead"]))

    @users("cla_desk")
    @warmup
    def test_b2_perf_register_a_new_walk_in(self):
        """B2: the desk registers a new walk-in for Bob.

        Covers: the checks (A1, A3), claiming the phone identity, looking for
        an unregistered lead to adopt (A3), the contact and the lead created
        with crm's own computes (stage, probabilities), the ledger entry, the
        chatter note, the E2 follow-up activity and Odoo's e-mail to Bob
        about it, and the flush."""
        Desk = self.env["crm.attribution.desk"]
        with self.assertQueryCount(cla_desk=65):
            decision, _lead = Desk._register_customer("李四", "13900139000", "visit", self.bob)
        self.assertEqual((decision.outcome, decision.rule), ("new", "B2"))

    @users("cla_desk")
    @warmup
    def test_b3_perf_register_a_returning_visitor(self):
        """B3: the desk registers Alice's customer coming back, received by Bob.

        Covers: the checks, the identity lookup and the lead locked and read,
        the policy of its team, looking for a moot reminder (E6), the ledger
        entry, the chatter note, and the write of the visit extending
        protection (E1) with crm's recomputed probabilities."""
        Desk = self.env["crm.attribution.desk"]
        with self.assertQueryCount(cla_desk=25):
            decision, _lead = Desk._register_customer("张三", "13800138000", "visit", self.bob)
        self.assertEqual((decision.outcome, decision.rule), ("returning", "B3"))

    @users("cla_bob")
    @warmup
    def test_f1_perf_claim_from_the_pool(self):
        """F1 / F2: Bob claims a pool customer from the pool screen.

        Covers: serializing Bob's claims, locking and reading the customer,
        its policy, the F2 limits (held customers, claims today, cool-down),
        how the customer came to the pool (F1), the ledger entry, and the
        write with crm's recomputed probabilities."""
        row = self.env["crm.attribution.pool"].browse(self.pool_lead.id)
        with self.assertQueryCount(cla_bob=28):
            row.action_claim()
        self.assertEqual(self.root["crm.lead"].browse(self.pool_lead.id).user_id, self.bob)

    @users("__system__")
    @warmup
    def test_e3_perf_release_batch(self):
        """E3: one batch of 3 of the 5 customers due, of 3 owners, as the cron runs it.

        Covers: the policy scopes, the due query (locked), reading the batch
        and its policies, one UPDATE (and crm's recomputes after it), one
        ledger INSERT, unfollowing and dropping the former owners' activities,
        one e-mail notification per former owner (some 85 of the queries),
        and counting what remains."""
        Sweep = self.env["crm.attribution.sweep"]
        with self.assertQueryCount(__system__=129):
            done, remaining = Sweep._cron_release(batch_size=3)
        self.assertEqual((done, remaining), (3, 2))

    @users("__system__")
    @warmup
    def test_e6_perf_remind_batch(self):
        """E6: one batch of 3 of the 5 customers to remind, of 3 owners, as the cron runs it.

        Covers: the policy scopes, the due query (locked), reading the batch
        and its policies, one UPDATE, one ledger INSERT, one activity INSERT,
        one e-mail notification per owner (some 85 of the queries), and
        counting what remains."""
        Sweep = self.env["crm.attribution.sweep"]
        with self.assertQueryCount(__system__=104):
            done, remaining = Sweep._cron_remind(batch_size=3)
        self.assertEqual((done, remaining), (3, 2))

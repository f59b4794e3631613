"""Performance splits (G1-G4, B5, B6, C3, B11): the pure policy.

Property: shares of each kind total exactly 100 % for any combination of
rules and any number of salespeople, rounding included.
"""

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from cla_tools import share_policy as sp

DAY = date(2026, 3, 2)
OTHER_DAY = date(2026, 3, 1)
A, B, C = 1, 2, 3


def lines(shares):
    return sorted((s.kind, s.user_id, s.basis, s.rule) for s in shares)


def test_g4_a_deal_without_special_rule_is_the_owners():
    shares = sp.decide_shares(sp.Deal(A, DAY))
    assert lines(shares) == [("bonus", A, 10000, "G4"), ("performance", A, 10000, "G4")]


def test_g1_same_day_helper_splits_by_the_policy_ratio():
    deal = sp.Deal(A, DAY, helpers=(sp.Helper(B, DAY),))
    assert lines(sp.decide_shares(deal)) == [
        ("bonus", A, 5000, "G1"),
        ("bonus", B, 5000, "G1"),
        ("performance", A, 5000, "G1"),
        ("performance", B, 5000, "G1"),
    ]
    shares = sp.decide_shares(deal, helper_percent=30)
    assert {(s.user_id, s.basis) for s in shares if s.kind == "performance"} == {
        (A, 7000),
        (B, 3000),
    }


def test_g1_a_helper_of_another_day_gets_nothing():
    deal = sp.Deal(A, DAY, helpers=(sp.Helper(B, OTHER_DAY),))
    assert {s.rule for s in sp.decide_shares(deal)} == {"G4"}


def test_g1_a_helper_ratio_of_zero_leaves_the_owner_whole():
    deal = sp.Deal(A, DAY, helpers=(sp.Helper(B, DAY),))
    shares = sp.decide_shares(deal, helper_percent=0)
    assert {(s.user_id, s.basis) for s in shares} == {(A, 10000)}


def test_g3_an_arranged_signing_stays_whole_with_the_owner():
    deal = sp.Deal(A, DAY, helpers=(sp.Helper(B, DAY, arranged=True),))
    assert lines(sp.decide_shares(deal)) == [
        ("bonus", A, 10000, "G3"),
        ("performance", A, 10000, "G3"),
    ]


def test_g2_a_group_splits_commission_evenly_performance_to_the_first_receiver():
    group = ((datetime(2026, 2, 1), B), (datetime(2026, 1, 1), C), (datetime(2026, 3, 1), A))
    shares = sp.decide_shares(sp.Deal(A, DAY, group=group))
    assert [(s.user_id, s.basis) for s in shares if s.kind == "performance"] == [(C, 10000)]
    assert sorted((s.user_id, s.basis) for s in shares if s.kind == "bonus") == [
        (A, 3333),
        (B, 3333),
        (C, 3334),
    ]
    assert {s.rule for s in shares} == {"G2"}


def test_c3_caller_named_after_booking_gets_half_the_commission():
    shares = sp.decide_shares(sp.Deal(A, DAY, caller_after_booking_id=B))
    assert lines(shares) == [
        ("bonus", A, 5000, "C3"),
        ("bonus", B, 5000, "C3"),
        ("performance", A, 10000, "C3"),
    ]


def test_b11_a_quarrel_forfeits_the_deal_to_the_company():
    deal = sp.Deal(A, DAY, helpers=(sp.Helper(B, DAY),), forfeit=True)
    assert lines(sp.decide_shares(deal)) == [
        ("bonus", None, 10000, "B11"),
        ("performance", None, 10000, "B11"),
    ]


def test_g4_manual_shares_must_total_100_per_kind():
    assert sp.check_shares([(A, "performance", 6000), (B, "performance", 4000)]) == []
    assert sp.check_shares([(A, "performance", 6000), (B, "performance", 3999)]) == ["performance"]
    assert sp.check_shares([(A, "bonus", 10001), (B, "bonus", -1)]) == ["bonus"]


def test_split_is_exact():
    assert sp.split([1, 1, 1]) == [3334, 3333, 3333]
    assert sum(sp.split([1] * 7)) == 10000


@settings(max_examples=400, deadline=None)
@given(
    owner=st.sampled_from([None, 1, 2, 3]),
    helpers=st.lists(
        st.builds(sp.Helper, st.integers(1, 9), st.sampled_from([DAY, OTHER_DAY]), st.booleans()),
        max_size=4,
    ),
    group=st.lists(
        st.tuples(
            st.datetimes(datetime(2025, 1, 1), datetime(2026, 3, 1)),
            st.one_of(st.none(), st.integers(1, 40)),
        ),
        max_size=40,
    ),
    caller=st.one_of(st.none(), st.integers(1, 9)),
    forfeit=st.booleans(),
    ratio=st.integers(0, 100),
)
def test_g4_property_each_kind_totals_exactly_100(owner, helpers, group, caller, forfeit, ratio):
    deal = sp.Deal(owner, DAY, tuple(helpers), tuple(group), caller, forfeit)
    shares = sp.decide_shares(deal, helper_percent=ratio)
    assert sp.totals(shares) == {"performance": 10000, "bonus": 10000}
    assert all(share.basis > 0 for share in shares)
    assert sp.check_shares([(s.user_id, s.kind, s.basis) for s in shares]) == []

"""The one-start-per-person rule (domain.md v3 §4, §9), as pure functions.

A person's start is the earliest start date; ties: the earlier referral date, then the
lower referral id, the provider id first. :func:`decide_one_start` applied to the starts in
any arrival order (each against the one standing) always ends with that start standing,
and every other start either rejected ``already_started`` on arrival or displaced once.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from schemas.common import RejectionReason
from services.common.decisions import ACCEPT
from services.common.rejection import Rejection
from services.intake.domain import (
    Displace,
    StartClaim,
    decide_one_start,
    person_start,
    precedes,
)

DAY = date(2024, 4, 1)


def claim(
    start: int = 0, referral: int = 0, provider: str = "prov-a", referral_id: str = "r1"
) -> StartClaim:
    return StartClaim(
        DAY + timedelta(days=start), DAY - timedelta(days=20 - referral), provider, referral_id
    )


def test_the_earlier_start_date_comes_first_whatever_the_referral() -> None:
    assert precedes(claim(0, referral=5, referral_id="r9"), claim(1, referral=0, referral_id="r1"))


def test_on_the_same_start_date_the_earlier_referral_date_comes_first() -> None:
    assert precedes(claim(0, referral=0, referral_id="r9"), claim(0, referral=1, referral_id="r1"))


def test_then_the_lower_referral_id_of_the_same_provider() -> None:
    assert precedes(claim(referral_id="r1"), claim(referral_id="r2"))
    assert not precedes(claim(referral_id="r2"), claim(referral_id="r1"))


def test_between_two_providers_the_provider_id_comes_before_the_referral_id() -> None:
    assert precedes(
        claim(provider="prov-a", referral_id="z"), claim(provider="prov-b", referral_id="a")
    )


def test_a_start_against_no_standing_start_or_itself_is_accepted() -> None:
    assert decide_one_start(claim(), None) == ACCEPT
    assert decide_one_start(claim(), claim()) == ACCEPT


def test_a_later_start_is_already_started_and_an_earlier_one_displaces() -> None:
    standing = claim(3, referral_id="r1")
    later = decide_one_start(claim(4, referral_id="r2"), standing)
    assert isinstance(later, Rejection)
    assert later.reason is RejectionReason.ALREADY_STARTED
    assert "r1" in later.message
    assert decide_one_start(claim(2, referral_id="r2"), standing) == Displace(standing)


claims = st.lists(
    st.builds(
        claim,
        st.integers(0, 3),
        st.integers(0, 2),
        st.sampled_from(["prov-a", "prov-b"]),
        st.sampled_from(["r1", "r2", "r3"]),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda c: (c.provider_id, c.referral_id),
)


@given(data=st.data(), starts=claims)
def test_any_arrival_order_leaves_the_same_start_standing(
    data: st.DataObject, starts: list[StartClaim]
) -> None:
    order = data.draw(st.permutations(starts), label="arrival order")
    standing: StartClaim | None = None
    rejected: list[StartClaim] = []
    displaced: list[StartClaim] = []
    for arriving in order:
        decision = decide_one_start(arriving, standing)
        if isinstance(decision, Rejection):
            assert decision.reason is RejectionReason.ALREADY_STARTED
            rejected.append(arriving)
            continue
        if isinstance(decision, Displace):
            assert decision.displaced == standing
            displaced.append(decision.displaced)
        else:
            assert standing is None
        standing = arriving
    assert standing == person_start(starts)
    assert sorted(rejected + displaced, key=lambda c: c.precedence) == sorted(
        (c for c in starts if c != standing), key=lambda c: c.precedence
    )

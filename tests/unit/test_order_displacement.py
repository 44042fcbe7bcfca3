"""Property tests: which of two starts of one person stands never depends on arrival
(domain.md v3 §4, §10).

Generated histories with a person started twice (tests/unit/histories.py
``rival_histories``) run through the whole pipeline in memory (services/simulation.py).
Whatever the merge of the streams and the batching: the same rejections (and reasons)
within the hold time, the same standing milestones, the same net payments per
(contract, participant, milestone) -- and payments minus reversals equal the amount due.
After the hold time the only difference allowed is the residual the rule book shares
with withdrawn placements: evidence (or its retraction) of a placement that never counts is
``unknown_placement`` (``unknown_evidence``) in the order where it waited, and was accepted
(counting for nothing) in the other.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced
from services.simulation import Simulation, simulate
from tests.unit.histories import (
    EVIDENCE,
    INTAKE,
    PLACEMENTS,
    Stream,
    interleavings,
    rival_histories,
    topic_order,
)
from tests.unit.test_order_properties import meaning, natural

RESIDUAL = {RejectionReason.UNKNOWN_PLACEMENT, RejectionReason.UNKNOWN_EVIDENCE}
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def within_hold_time(order: list[Any], batch: int = 1) -> Simulation:
    return simulate(order, batch_size=batch, expire_holds=False)


def of_rival(stream: Stream, suffix: str) -> bool:
    """Does the stream belong to rival start ``suffix`` (its intake, jobs or evidence)?"""
    names = ("referral_id", "placement_id", "evidence_id")
    return any(f"rival-{suffix}" in str(getattr(stream[0], n, "")) for n in names)


def rival_first(streams: list[Stream], suffix: str) -> list[Stream]:
    """The streams with rival ``suffix``'s whole history (start, jobs, evidence) first."""
    return sorted(streams, key=lambda s: not of_rival(s, suffix))


@PROPERTY
@given(data=st.data(), streams=rival_histories())
def test_two_starts_in_any_interleaving_give_the_same_result(
    data: st.DataObject, streams: list[Stream]
) -> None:
    expected = within_hold_time(natural(streams))
    assert expected.net_payments() == expected.due()
    order = data.draw(interleavings(streams), label="arrival order")
    batch = data.draw(st.integers(1, 4), label="batch size")
    result = within_hold_time(order, batch)
    assert meaning(result) == meaning(expected)
    assert result.net_payments() == result.due()


@PROPERTY
@given(streams=rival_histories())
def test_either_start_first_with_all_its_money_gives_the_same_result(
    streams: list[Stream],
) -> None:
    """Each rival's whole history (paid in full) before the other's intake arrives: one
    order rejects the later start on arrival, the other displaces it and reverses."""
    expected = within_hold_time(natural(streams))
    for order in (natural(rival_first(streams, "a")), natural(rival_first(streams, "b"))):
        for batch in (1, 50):
            result = within_hold_time(order, batch)
            assert meaning(result) == meaning(expected)
            assert result.net_payments() == result.due()
    for order in (
        topic_order(streams, INTAKE, PLACEMENTS, EVIDENCE),
        topic_order(streams, EVIDENCE, PLACEMENTS, INTAKE),
    ):
        assert meaning(within_hold_time(order)) == meaning(expected)


@PROPERTY
@given(data=st.data(), streams=rival_histories())
def test_after_the_hold_time_only_evidence_of_the_displaced_start_differs(
    data: st.DataObject, streams: list[Stream]
) -> None:
    expected = simulate(natural(streams))
    result = simulate(data.draw(interleavings(streams), label="arrival order"))
    assert result.net_payments() == expected.net_payments() == expected.due()
    assert meaning(result)["standing"] == meaning(expected)["standing"]
    evidence_ids = {str(e.event_id) for s in streams for e in s if isinstance(e, EVIDENCE)}
    a, b = expected.reasons(), result.reasons()
    for key in set(a) ^ set(b) | {k for k in set(a) & set(b) if a[k] != b[k]}:
        assert key in evidence_ids
        assert {a.get(key), b.get(key)} & RESIDUAL


def test_the_generated_rivals_are_displaced_in_some_order() -> None:
    """The strategy does exercise displacement (not only already_started on arrival)."""
    seen: list[bool] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(streams=rival_histories())
    def look(streams: list[Stream]) -> None:
        for order in (natural(rival_first(streams, "a")), natural(rival_first(streams, "b"))):
            seen.append(bool(within_hold_time(order).of_type(ParticipantDisplaced)))

    look()
    assert any(seen)
    assert not all(seen)

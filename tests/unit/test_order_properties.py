"""Property tests: arrival order never changes the result (domain.md v2 §10).

Generated histories (tests/unit/histories.py) run through the whole pipeline in memory
(services/simulation.py). For any two merges that keep each key's own order, and any
batching: the same rejections (and reasons), the same standing milestones (payable, not
payable reason, amount due) and the same net payments per (contract, participant,
milestone). Always: payments minus reversals equal the amount due on what stands.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.base import Event
from schemas.provider import EvidenceSubmitted
from services.simulation import Simulation, simulate
from tests.builders import repeatable_id
from tests.unit.histories import (
    EVIDENCE,
    INTAKE,
    PLACEMENTS,
    Stream,
    histories,
    interleave,
    interleavings,
    topic_order,
)

PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def meaning(result: Simulation) -> dict[str, Any]:
    """What may not depend on arrival order (reached dates and occurrences may)."""
    return {
        "rejected": result.reasons(),
        "standing": {
            key: (m.payable, m.not_payable_reason, m.amount_due_pence)
            for key, m in result.standing().items()
        },
        "net": result.net_payments(),
    }


def natural(streams: list[Stream]) -> list[Event]:
    return interleave(streams, [i for i, s in enumerate(streams) for _ in s])


@PROPERTY
@given(data=st.data(), streams=histories())
def test_any_interleaving_gives_the_same_result(data: st.DataObject, streams: list[Stream]) -> None:
    expected = simulate(natural(streams))
    assert expected.net_payments() == expected.due()
    order = data.draw(interleavings(streams), label="arrival order")
    batch = data.draw(st.integers(1, 4), label="batch size")
    result = simulate(order, batch_size=batch)
    assert meaning(result) == meaning(expected)
    assert result.net_payments() == result.due()


@PROPERTY
@given(streams=histories())
def test_evidence_first_then_placements_then_intake_gives_the_same_result(
    streams: list[Stream],
) -> None:
    expected = simulate(natural(streams))
    for order in (
        topic_order(streams, EVIDENCE, PLACEMENTS, INTAKE),
        topic_order(streams, INTAKE, PLACEMENTS, EVIDENCE),
        topic_order(streams, PLACEMENTS, EVIDENCE, INTAKE),
    ):
        for batch in (1, 50):
            assert meaning(simulate(order, batch_size=batch)) == meaning(expected)


@PROPERTY
@given(data=st.data(), streams=histories())
def test_a_correction_followed_by_its_undo_restores_the_result(
    data: st.DataObject, streams: list[Stream]
) -> None:
    pieces = [s for s in streams if isinstance(s[0], EvidenceSubmitted) and len(s) == 1]
    if not pieces:
        return
    stream = data.draw(st.sampled_from(pieces), label="evidence corrected")
    original = stream[0]
    assert isinstance(original, EvidenceSubmitted)
    pence = data.draw(st.sampled_from([0, 50_000, 480_000]), label="corrected earnings")
    correction = original.model_copy(
        update={"event_id": _new_id(original, 2), "version": 2, "gross_earnings_pence": pence}
    )
    undo = original.model_copy(update={"event_id": _new_id(original, 3), "version": 3})
    before = simulate(natural(streams))
    after = simulate([*natural(streams), correction, undo])
    restored = meaning(after)
    for added in (correction, undo):  # rejected with the original when it was invalid
        restored["rejected"].pop(str(added.event_id), None)
    assert restored == meaning(before)
    assert after.net_payments() == after.due()


def _new_id(event: EvidenceSubmitted, version: int) -> Any:

    return repeatable_id("undo", event.evidence_id, version)

"""Sustainment publishes what the read model needs for §11: each accepted evidence
version and retraction, and after each change what the evidence counts so far."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from schemas.sustainment import EvidenceProgress, EvidenceRecorded, EvidenceRemoved
from tests.builders import (
    PARTICIPANT,
    PLACEMENT,
    evidence,
    participant_started,
    placement_confirmed,
    retraction,
)
from tests.integration.conftest import ServiceHarness, meaningful, of_type

pytestmark = pytest.mark.integration


async def test_evidence_progress_follows_versions_and_retractions(
    sustainment: ServiceHarness,
) -> None:
    await sustainment.send(participant_started(), placement_confirmed())
    first = await sustainment.new_output(evidence_ledger=True)
    [nothing_yet] = of_type(first, EvidenceProgress)
    assert (nothing_yet.counted_earnings_pence, nothing_yet.placements) == (0, ())
    assert (nothing_yet.earnings_threshold_pence, nothing_yet.weekly_hours_min) == (
        416 * 1144,
        Decimal(16),
    )

    await sustainment.send(evidence("ev-1", date(2024, 4, 15), date(2024, 5, 12), 210_000))
    await sustainment.send(evidence("ev-1", date(2024, 4, 15), date(2024, 5, 12), 220_000,
                                    version=2))  # fmt: skip
    output = await sustainment.new_output(evidence_ledger=True)
    assert [(e.evidence_id, e.version, e.gross_earnings_pence)
            for e in of_type(output, EvidenceRecorded)] == [
        ("ev-1", 1, 210_000), ("ev-1", 2, 220_000)
    ]  # fmt: skip
    latest = of_type(output, EvidenceProgress)[-1]
    assert meaningful(latest) == {
        "type": "evidence_progress",
        "participant_id": PARTICIPANT,
        "provider_id": "prov-whp-central",
        "contract_id": "whp-central",
        "earnings_threshold_pence": 475_904,
        "weekly_hours_min": Decimal(16),
        "counted_earnings_pence": 220_000,
        "latest_employed_evidence_end": date(2024, 5, 12),
        "in_work_weeks": 0,  # 60 hours over four weeks: 15 a week, below 16
        "self_employment_days": 0,
        "latest_self_employment_end": None,
        "placements": ({"placement_id": PLACEMENT, "latest_period_end": date(2024, 5, 12)},),
    }
    assert all(r.key == PARTICIPANT for r in output)

    await sustainment.send(retraction("ev-1"))
    output = await sustainment.new_output(evidence_ledger=True)
    assert [e.evidence_id for e in of_type(output, EvidenceRemoved)] == ["ev-1"]
    assert of_type(output, EvidenceProgress)[-1].counted_earnings_pence == 0


async def test_the_milestone_output_is_unchanged_by_the_ledger(
    sustainment: ServiceHarness,
) -> None:
    await sustainment.send(participant_started(), placement_confirmed())
    milestones_only = await sustainment.new_output()
    assert {r.topic for r in milestones_only} == {"sustainment.milestones.v1"}

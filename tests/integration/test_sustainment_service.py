"""Sustainment on real PostgreSQL: participants, placements and evidence -> milestones."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from schemas.base import Event
from schemas.rejections import EventRejected
from tests.builders import (
    PARTICIPANT,
    PLACEMENT,
    PROVIDER,
    evidence,
    participant_left,
    participant_started,
    placement_confirmed,
    retraction,
)
from tests.integration.conftest import HOLD_SECONDS, ServiceHarness, meaningful, of_type

pytestmark = pytest.mark.integration

# Programme start 2024-04-01: threshold T = 416 x 1144 = 475,904 pence. Three payslips of
# 2,000 / 2,000 / 1,000 pounds cross it with the third. 60 hours a month is about 14 hours
# a week, under the contract's 16, so no sustained_* milestone is reached.
PARTICIPANT_START = participant_started()
JOB = placement_confirmed(job_start_date=date(2024, 4, 15), pays_llw=True)
EV1 = evidence("ev-1", date(2024, 4, 15), date(2024, 5, 14), 200_000)
EV2 = evidence("ev-2", date(2024, 5, 15), date(2024, 6, 14), 200_000)
EV3 = evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 100_000)
FACTS: tuple[Event, ...] = (PARTICIPANT_START, JOB, EV1, EV2, EV3)


def reached(
    milestone: str,
    reached_on: date,
    evidence_ids: tuple[str, ...] = (),
    *,
    occurrence: int = 1,
) -> dict[str, Any]:
    return {
        "type": "milestone_reached",
        "participant_id": PARTICIPANT,
        "provider_id": PROVIDER,
        "contract_id": "whp-central",
        "eligibility_group": "disability",
        "milestone": milestone,
        "occurrence": occurrence,
        "reached_on": reached_on,
        "job_pays_llw": True,
        "placement_id": PLACEMENT,
        "evidence_ids": evidence_ids,
        "payable": True,
        "not_payable_reason": None,
        "price": PRICES[milestone],
    }


PRICES = {  # whp-central (version 2024-01), the job paying the LLW: 25 % uplift
    "job_start": {"contract_version": "2024-01", "base_pence": 0, "uplift_pence": 0},
    "first_earnings": {"contract_version": "2024-01", "base_pence": 0, "uplift_pence": 0},
    "earnings_outcome": {
        "contract_version": "2024-01",
        "base_pence": 400000,
        "uplift_pence": 100000,
    },
}


def announced(event: Any) -> dict[str, Any]:
    """A milestone event's meaning: without envelope and latency information."""
    return meaningful(event, "source_produced_at")


def revoked(milestone: str, occurrence: int = 1) -> dict[str, Any]:
    return {
        "type": "milestone_revoked",
        "participant_id": PARTICIPANT,
        "provider_id": PROVIDER,
        "contract_id": "whp-central",
        "milestone": milestone,
        "occurrence": occurrence,
    }


EXPECTED_MILESTONES = [
    reached("job_start", date(2024, 4, 15)),
    reached("first_earnings", date(2024, 5, 14), ("ev-1",)),
    reached("earnings_outcome", date(2024, 7, 14), ("ev-1", "ev-2", "ev-3")),
]


def by_milestone(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: list(MILESTONE_ORDER).index(e["milestone"]))


MILESTONE_ORDER = ("job_start", "first_earnings", "earnings_outcome")


@pytest.fixture
async def reached_outcome(sustainment: ServiceHarness) -> ServiceHarness:
    """Sustainment, given the facts above delivered in order: three milestones reached."""
    await sustainment.send_each(*FACTS)
    output = await sustainment.new_output()
    assert by_milestone([announced(r.event) for r in output]) == EXPECTED_MILESTONES
    return sustainment


@pytest.mark.parametrize(
    "batches",
    [
        pytest.param([[f] for f in FACTS], id="in-order-one-by-one"),
        pytest.param([[f] for f in reversed(FACTS)], id="reversed-one-by-one"),
        pytest.param([list(reversed(FACTS))], id="reversed-in-one-batch"),
        pytest.param([[EV3, EV1, EV2], [JOB], [PARTICIPANT_START]], id="evidence-placement-person"),
        pytest.param([[EV2, JOB], [EV1, PARTICIPANT_START], [EV3]], id="interleaved"),
    ],
)
async def test_milestones_do_not_depend_on_arrival_order(
    sustainment: ServiceHarness, batches: list[list[Event]]
) -> None:
    # when the same facts arrive in some order and batching
    for batch in batches:
        await sustainment.send(*batch)

    # then the same milestones are reached, with the same dates and lineage
    output = await sustainment.new_output()
    assert by_milestone([announced(r.event) for r in output]) == EXPECTED_MILESTONES
    assert {(r.topic, r.key) for r in output} == {("sustainment.milestones.v1", PARTICIPANT)}
    assert await sustainment.held() == []


async def test_a_lower_later_version_revokes_the_earnings_outcome(
    reached_outcome: ServiceHarness,
) -> None:
    # when the crossing payslip is corrected down so the total falls below the threshold
    await reached_outcome.send(
        evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 50_000, version=2)
    )

    # then only the earnings outcome is revoked
    output = await reached_outcome.new_output()
    assert [announced(r.event) for r in output] == [revoked("earnings_outcome")]

    # and a stale version 1 arriving late is ignored
    await reached_outcome.send(evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 100_000))
    assert await reached_outcome.new_output() == []


async def test_retraction_recomputes_and_a_later_crossing_reaches_again(
    reached_outcome: ServiceHarness,
) -> None:
    # when the crossing payslip is retracted
    await reached_outcome.send(retraction("ev-3"))

    # then the earnings outcome is revoked
    assert [announced(r.event) for r in await reached_outcome.new_output()] == [
        revoked("earnings_outcome")
    ]

    # when a new payslip brings the total over the threshold again
    await reached_outcome.send(evidence("ev-4", date(2024, 7, 15), date(2024, 8, 14), 200_000))

    # then the earnings outcome is reached a second time, on the new crossing evidence
    assert [announced(r.event) for r in await reached_outcome.new_output()] == [
        reached("earnings_outcome", date(2024, 8, 14), ("ev-1", "ev-2", "ev-4"), occurrence=2)
    ]


async def test_evidence_after_the_leaver_date_does_not_count(sustainment: ServiceHarness) -> None:
    # given the participant left on the last day of the second payslip
    await sustainment.send(PARTICIPANT_START, participant_left(end_date=date(2024, 6, 14)))

    # when all three payslips arrive
    await sustainment.send(JOB, EV1, EV2, EV3)

    # then the third payslip does not count, so there is no earnings outcome
    output = await sustainment.new_output()
    assert by_milestone([announced(r.event) for r in output]) == EXPECTED_MILESTONES[:2]


async def test_evidence_for_an_unknown_placement_expires_as_unknown_placement(
    sustainment: ServiceHarness,
) -> None:
    # given evidence for a placement never confirmed
    await sustainment.send(PARTICIPANT_START, EV1)

    # when the hold time runs out
    sustainment.clock.advance(timedelta(seconds=HOLD_SECONDS + 1))
    await sustainment.processor.expire_holds()

    # then the evidence is rejected as unknown_placement
    output = await sustainment.new_output()
    assert [r.reason.value for r in of_type(output, EventRejected)] == ["unknown_placement"]
    assert len(output) == 1

"""Rule book v2 in each service on real PostgreSQL: withdrawal, finish, re-announcing a
milestone whose money changed, checks before holds, and rows a re-send does not own."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from schemas.common import MilestoneKind
from schemas.payments import ProviderPaymentIssued
from schemas.placement import PlacementConfirmed, PlacementWithdrawn
from schemas.provider import JobStarted
from schemas.rejections import EventRejected
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from tests.builders import (
    PARTICIPANT,
    PLACEMENT,
    evidence,
    job_start,
    milestone_reached,
    milestone_revoked,
    new_id,
    participant_left,
    participant_started,
    placement_confirmed,
    programme_end,
    programme_start,
    referral,
    retraction,
)
from tests.integration.conftest import ServiceHarness, of_type

pytestmark = pytest.mark.integration

EV1 = evidence("ev-1", date(2024, 4, 15), date(2024, 5, 14), 200_000)
EV2 = evidence("ev-2", date(2024, 5, 15), date(2024, 6, 14), 200_000)
EV3 = evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 100_000)


# --- placement: §5 withdrawal -------------------------------------------------------------


async def test_a_leaver_withdraws_a_job_start_after_its_date_and_tells_the_provider(
    placement: ServiceHarness,
) -> None:
    # given a confirmed job start on 2024-06-03 and one on the leaver date
    await placement.send(participant_started())
    after = job_start("plc-after", job_start_date=date(2024, 6, 3))
    on_the_day = job_start("plc-on-the-day", job_start_date=date(2024, 5, 31))
    [after_record] = placement.records(after)
    await placement.send(after_record, on_the_day)
    assert len(of_type(await placement.new_output(), PlacementConfirmed)) == 2
    resend = after.model_copy(update={"event_id": new_id()})
    await placement.send(resend)  # the same job start again: no effect yet
    assert await placement.new_output() == []

    # when the leaver (2024-05-31) arrives, and again
    await placement.send(participant_left(end_date=date(2024, 5, 31)))
    output = await placement.new_output()
    await placement.send(participant_left(end_date=date(2024, 5, 31)))

    # then the later job start is withdrawn, and its job start event rejected with its bytes
    [withdrawn] = of_type(output, PlacementWithdrawn)
    assert (withdrawn.placement_id, withdrawn.job_start_event_id) == (
        "plc-after",
        str(after.event_id),
    )
    assert withdrawn.reason == "after_programme_end"
    rejected, rejected_resend = of_type(output, EventRejected)
    assert (rejected_resend.reason, rejected_resend.source_event_id) == (
        "after_programme_end",
        str(resend.event_id),
    )
    assert (rejected.reason, rejected.source_event_id) == (
        "after_programme_end",
        str(after.event_id),
    )
    assert (rejected.source_topic, rejected.source_offset) == (
        after_record.topic,
        after_record.offset,
    )
    assert base64.b64decode(rejected.original_prefix_b64) == after_record.value
    assert await placement.new_output() == []  # the same leaver again withdraws nothing more

    # and the same job start sent again is rejected like on arrival, not confirmed
    await placement.send(after.model_copy(update={"event_id": new_id()}))
    again = await placement.new_output()
    assert [r.reason for r in of_type(again, EventRejected)] == ["after_programme_end"]
    assert of_type(again, PlacementConfirmed) == []


async def test_a_withdrawn_placement_counts_for_nothing_in_sustainment(
    sustainment: ServiceHarness,
) -> None:
    await sustainment.send(participant_started(), placement_confirmed(), EV1)
    reached = of_type(await sustainment.new_output(), MilestoneReached)
    assert {m.milestone for m in reached} == {"job_start", "first_earnings"}

    await sustainment.send(
        PlacementWithdrawn(
            event_id=new_id(),
            produced_at=EV1.produced_at,
            participant_id=PARTICIPANT,
            placement_id=PLACEMENT,
            provider_id=EV1.provider_id,
            job_start_event_id=str(new_id()),
            job_start_date=date(2024, 4, 15),
            leaver_date=date(2024, 4, 14),
        )
    )
    revoked = of_type(await sustainment.new_output(), MilestoneRevoked)
    assert {m.milestone for m in revoked} == {"job_start", "first_earnings"}


# --- sustainment: §6 finish, §7 money -------------------------------------------------------


async def test_a_milestone_reached_and_revoked_within_one_transaction_is_never_announced(
    sustainment: ServiceHarness,
) -> None:
    # given the payslips held, waiting for their placement
    await sustainment.send(participant_started(), EV1, EV2, EV3)
    assert await sustainment.new_output() == []

    # when the placement and the retraction of the crossing payslip come in one batch:
    # the retraction is held on the evidence, released by it in a later round
    report = await sustainment.send(placement_confirmed(), retraction("ev-3"))

    # then the earnings outcome is neither announced nor revoked
    output = await sustainment.new_output()
    assert report.held == 1
    assert {m.milestone for m in of_type(output, MilestoneReached)} == {
        "job_start",
        "first_earnings",
    }
    assert of_type(output, MilestoneRevoked) == []


async def test_a_changed_outcome_job_is_announced_again_as_a_new_occurrence(
    sustainment: ServiceHarness,
) -> None:
    no_llw = placement_confirmed("plc-a", pays_llw=False)
    llw = placement_confirmed("plc-b", job_start_date=date(2024, 4, 20), pays_llw=True)
    ev_a = evidence("ev-a", date(2024, 5, 15), date(2024, 6, 14), 300_000, placement_id="plc-a")
    ev_b = evidence("ev-b", date(2024, 6, 15), date(2024, 7, 14), 200_000, placement_id="plc-b")
    await sustainment.send(participant_started(), no_llw, llw, ev_a, ev_b)
    [first] = [
        m
        for m in of_type(await sustainment.new_output(), MilestoneReached)
        if m.milestone == "earnings_outcome"
    ]
    assert (first.occurrence, first.job_pays_llw, first.placement_id) == (1, True, "plc-b")

    # when a correction makes plc-a (no LLW) the outcome job
    await sustainment.send(
        evidence(
            "ev-a", date(2024, 5, 15), date(2024, 6, 14), 480_000, placement_id="plc-a", version=2
        )
    )

    # then the earnings outcome is revoked and reached again, on its first date
    output = [r.event for r in await sustainment.new_output()]
    assert [(type(e).__name__, e.milestone, e.occurrence) for e in output] == [
        ("MilestoneRevoked", MilestoneKind.EARNINGS_OUTCOME, 1),
        ("MilestoneReached", MilestoneKind.EARNINGS_OUTCOME, 2),
    ]
    again = output[1]
    assert isinstance(again, MilestoneReached)
    assert (again.job_pays_llw, again.placement_id, again.reached_on) == (
        False,
        "plc-a",
        first.reached_on,
    )
    assert again.source_produced_at == EV1.produced_at


# --- §10: checks before holds, one owner per row ---------------------------------------------


async def test_evidence_is_rejected_on_arrival_for_its_own_faults(
    sustainment: ServiceHarness,
) -> None:
    bad_period = evidence("ev-x", date(2024, 6, 1), date(2024, 5, 1), 1, placement_id="unknown")
    bad_hours = evidence("ev-y", date(2024, 5, 1), date(2024, 5, 31), 1, hours=Decimal("1.505"))
    report = await sustainment.send(bad_period, bad_hours)
    output = of_type(await sustainment.new_output(), EventRejected)
    assert [r.reason for r in output] == ["invalid_period", "invalid_evidence"]
    assert report.held == 0
    assert await sustainment.held() == []


async def test_a_version_naming_another_placement_changes_no_row(
    sustainment: ServiceHarness,
) -> None:
    await sustainment.send(
        participant_started(), placement_confirmed(), placement_confirmed("plc-2"), EV1
    )
    await sustainment.new_output()
    before = await sustainment.table("evidence")

    moved = evidence(
        "ev-1", date(2024, 4, 15), date(2024, 5, 14), 900_000, placement_id="plc-2", version=2
    )
    foreign = EV1.model_copy(
        update={"event_id": new_id(), "version": 3, "provider_id": "prov-whp-west"}
    )
    await sustainment.send(moved, foreign)

    # another provider's ev-1 is its own evidence (v3 §9), for its own unknown placement
    assert [r.reason for r in of_type(await sustainment.new_output(), EventRejected)] == [
        "invalid_evidence"
    ]
    assert await sustainment.held() == [f"prov-whp-west:{foreign.event_id}"]
    assert await sustainment.table("evidence") == before


async def test_a_job_start_re_using_another_providers_placement_id_changes_no_row(
    placement: ServiceHarness,
) -> None:
    await placement.send(participant_started(), job_start())
    await placement.new_output()
    before = await placement.table("placements")

    foreign: JobStarted = job_start(provider_id="prov-whp-west", referral_id="ref-9")
    await placement.send(foreign)

    # west's plc-1 is west's own placement (v3 §9), for its own unknown referral: held
    assert of_type(await placement.new_output(), EventRejected) == []
    assert await placement.held() == [f"prov-whp-west:{foreign.event_id}"]
    assert await placement.table("placements") == before


async def test_intake_rows_belong_to_their_provider(intake: ServiceHarness) -> None:
    await intake.send(referral(), programme_start())
    await intake.new_output()
    before = await intake.table("referrals")

    await intake.send(
        referral(provider_id="prov-whp-west", borough="Brent", contract_id="whp-west"),
        programme_start(provider_id="prov-whp-west", start_date=date(2024, 4, 2)),
        programme_end(provider_id="prov-whp-west"),
    )

    # west's ref-1 is west's own referral (v3 §9) of the same person: accepted, but the
    # person started under central's referral; west's leaver waits for a west start
    assert [r.reason for r in of_type(await intake.new_output(), EventRejected)] == [
        "already_started"
    ]
    central = await intake.pool.fetch(
        "SELECT * FROM referrals WHERE provider_id = 'prov-whp-central' ORDER BY referral_id"
    )
    assert sorted((tuple(r.values()) for r in central), key=repr) == before
    west = await intake.pool.fetchrow(
        "SELECT start_date FROM referrals WHERE provider_id = 'prov-whp-west'"
    )
    assert west is not None
    assert west["start_date"] is None


# --- latency: provider event -> payment ------------------------------------------------------


def _latency(contract: str) -> tuple[float, float]:
    labels = {"contract": contract}
    count = REGISTRY.get_sample_value("outcomes_payment_latency_seconds_count", labels) or 0.0
    total = REGISTRY.get_sample_value("outcomes_payment_latency_seconds_sum", labels) or 0.0
    return count, total


async def test_a_payment_observes_the_latency_from_the_provider_event(
    payments: ServiceHarness,
) -> None:
    before = _latency("whp-central")
    source = payments.clock.now - timedelta(seconds=2.5)
    await payments.send(milestone_reached().model_copy(update={"source_produced_at": source}))
    await payments.send(milestone_revoked())  # a reversal observes nothing

    count, total = _latency("whp-central")
    assert (count - before[0], total - before[1]) == (1.0, 2.5)
    assert [
        p.amount_pence for p in of_type(await payments.new_output(), ProviderPaymentIssued)
    ] == [
        500_000,
        -500_000,
    ]

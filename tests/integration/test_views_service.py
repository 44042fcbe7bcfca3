"""The read model on real PostgreSQL: output events in, pages' rows out (domain.md §11)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from schemas.base import Event
from schemas.common import EvidenceKind, MilestoneKind, RejectionReason, SubRegion
from schemas.intake import ParticipantDisplaced
from schemas.payments import MilestoneNotPaid, PaymentLineage, ProviderPaymentIssued
from schemas.placement import PlacementEnded, PlacementWithdrawn
from schemas.rejections import EventRejected
from schemas.sustainment import EvidenceProgress, EvidenceRecorded, PlacementEvidenceEnd
from schemas.topics import PROVIDER_REJECTIONS, provider_rejections_topic
from services.common.messages import RawRecord
from services.common.reference import load_contracts, load_rates
from services.views import notify, read
from services.views.handlers import ViewsHandler
from services.views.projections import Outlook
from services.views.read_model import (
    CaseloadFilters,
    CaseloadSort,
    PageRequest,
    Stage,
    TimelineKind,
)
from services.views.rebuild import reset_schema
from tests.builders import (
    CONTRACT,
    PARTICIPANT,
    PLACEMENT,
    PROVIDER,
    REFERRAL,
    milestone_reached,
    milestone_revoked,
    new_id,
    participant_left,
    participant_started,
    placement_confirmed,
)
from tests.integration.conftest import PRODUCED_AT, PROGRAMME_START, ServiceHarness, ServiceStarter

pytestmark = pytest.mark.integration

TODAY = date(2024, 6, 3)
THRESHOLD = 416 * 1144  # NLW on 2024-04-01
JOB_START = date(2024, 4, 15)  # 1400 p/h x 37.5 h a week: 7,500 pence a day
TABLES = ("participants", "placements", "progress", "milestones", "payments", "rejections")


@pytest.fixture
async def views(start_service: ServiceStarter) -> ServiceHarness:
    return await start_service(ViewsHandler(load_contracts(), load_rates()))


def progress(
    counted: int, latest_end: date | None, *, weeks: int = 0, participant: str = PARTICIPANT
) -> EvidenceProgress:
    return EvidenceProgress(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=participant,
        provider_id=PROVIDER,
        contract_id=CONTRACT,
        earnings_threshold_pence=THRESHOLD,
        weekly_hours_min=Decimal(16),
        counted_earnings_pence=counted,
        latest_employed_evidence_end=latest_end,
        in_work_weeks=weeks,
        self_employment_days=0,
        placements=(PlacementEvidenceEnd(placement_id=PLACEMENT, latest_period_end=latest_end),)
        if latest_end
        else (),
    )


def recorded(evidence_id: str, start: date, end: date, pence: int) -> EvidenceRecorded:
    return EvidenceRecorded(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=PARTICIPANT,
        provider_id=PROVIDER,
        placement_id=PLACEMENT,
        evidence_id=evidence_id,
        version=1,
        kind=EvidenceKind.PAYSLIP,
        period_start=start,
        period_end=end,
        gross_earnings_pence=pence,
        hours_worked=Decimal("150"),
        reported_on=end + timedelta(days=2),
    )


def payment(
    payment_id: str, amount: int, *, reverses: str | None = None, occurrence: int = 1
) -> ProviderPaymentIssued:
    return ProviderPaymentIssued(
        event_id=new_id(),
        produced_at=datetime(2024, 8, 1, 10, tzinfo=UTC) + timedelta(hours=occurrence),
        payment_id=payment_id,
        contract_id=CONTRACT,
        contract_version="2024-01",
        provider_id=PROVIDER,
        participant_id=PARTICIPANT,
        milestone=MilestoneKind.EARNINGS_OUTCOME,
        occurrence=occurrence,
        reached_on=date(2024, 7, 14),
        amount_pence=amount,
        base_pence=amount,
        uplift_pence=0,
        lineage=PaymentLineage(milestone_event_id=str(new_id()), placement_id=PLACEMENT),
        reverses=reverses,
    )


def provider_rejection(original: dict[str, Any], reason: RejectionReason) -> EventRejected:
    raw = json.dumps(original).encode()
    return EventRejected(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        service="placement",
        reason=reason,
        message="weekly_hours must be above 0",
        source_topic=provider_rejections_topic(PROVIDER).replace("rejections", "placements"),
        source_partition=0,
        source_offset=7,
        source_event_id=str(new_id()),
        provider_id=PROVIDER,
        original_prefix_b64=base64.b64encode(raw).decode(),
        original_length=len(raw),
        original_sha256="0" * 64,
    )


def on_topic(views: ServiceHarness, rejected: EventRejected) -> RawRecord:
    """A rejection as read from its provider's rejection topic."""
    value = rejected.model_dump_json().encode()
    return views.feed.raw(
        PROVIDER_REJECTIONS, value, key=rejected.source_event_id, provider_id=PROVIDER
    )


def a_journey(views: ServiceHarness) -> list[Event | RawRecord]:
    """Started, in work, a payslip counted, a payment reversed, a job start rejected."""
    return [
        participant_started(),
        placement_confirmed(job_start_date=JOB_START),
        recorded("ev-1", date(2024, 4, 15), date(2024, 5, 12), 210_000),
        progress(210_000, date(2024, 5, 12), weeks=4),
        milestone_reached(MilestoneKind.JOB_START, reached_on=JOB_START),
        payment("pay-1", 400_000),
        payment("rev-1", -400_000, reverses="pay-1", occurrence=2),
        on_topic(
            views,
            provider_rejection(
                {"type": "job_start", "referral_id": REFERRAL, "placement_id": "plc-bad"},
                RejectionReason.INVALID_JOB,
            ),
        ),
    ]


async def snapshot(pool: Any) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in TABLES:
        rows = await pool.fetch(f"SELECT * FROM {table}")
        out[table] = sorted((tuple(r.values()) for r in rows), key=repr)
    return out


async def page_of(views: ServiceHarness) -> Any:
    async with views.pool.acquire() as conn:
        return await read.caseload(
            conn, PROVIDER, CaseloadFilters(), CaseloadSort.REFERRAL_ID, PageRequest(1, 50), TODAY
        )


async def test_a_caseload_row_shows_stage_job_projection_and_attention(
    views: ServiceHarness,
) -> None:
    await views.send(*a_journey(views))

    page = await page_of(views)

    assert page.total == 1
    row = page.rows[0]
    assert (row.referral_id, row.stage, row.milestones_reached) == (
        REFERRAL,
        Stage.IN_WORK,
        (MilestoneKind.JOB_START,),
    )
    assert row.current_job is not None
    assert row.current_job.placement_id == PLACEMENT
    # 475,904 - 210,000 = 265,904 at 7,500 a day from 13 May: 36 days -> 17 June.
    assert row.next_milestone is not None
    assert (row.next_milestone.milestone, row.next_milestone.projected_on) == (
        MilestoneKind.EARNINGS_OUTCOME,
        date(2024, 6, 17),
    )
    assert row.next_milestone.outlook is Outlook.PROJECTED
    assert row.window_days_left == (PROGRAMME_START + timedelta(days=637) - TODAY).days
    assert row.evidence_due_since is None  # 12 May + 35 = 16 June, after today
    assert [(a.reason, a.event_type) for a in row.attention] == [("invalid_job", "job_start")]
    assert row.attention[0].what_to_do.startswith("Correct the wage")


async def test_evidence_due_and_overdue_follow_today(views: ServiceHarness) -> None:
    await views.send(*a_journey(views))
    async with views.pool.acquire() as conn:
        later = await read.caseload(
            conn,
            PROVIDER,
            CaseloadFilters(evidence_due=True),
            CaseloadSort.REFERRAL_ID,
            PageRequest(),
            date(2024, 7, 23),
        )
        on_the_day = await read.caseload(
            conn,
            PROVIDER,
            CaseloadFilters(evidence_due=True),
            CaseloadSort.REFERRAL_ID,
            PageRequest(),
            date(2024, 6, 16),
        )
    assert on_the_day.total == 0
    assert later.total == 1
    row = later.rows[0]
    assert row.evidence_due_since == date(2024, 6, 16)
    assert row.next_milestone is not None
    assert row.next_milestone.outlook is Outlook.OVERDUE


async def test_a_leaver_has_no_projection_and_no_evidence_due(views: ServiceHarness) -> None:
    await views.send(*a_journey(views), participant_left(end_date=date(2024, 5, 31)))
    row = (await page_of(views)).rows[0]
    assert (row.left_on, row.next_milestone, row.evidence_due_since) == (
        date(2024, 5, 31),
        None,
        None,
    )
    assert row.window_days_left is None  # the window ended on the leaver date


async def test_a_job_end_leaves_no_current_job_and_no_projection(views: ServiceHarness) -> None:
    ended = PlacementEnded(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=PARTICIPANT,
        placement_id=PLACEMENT,
        provider_id=PROVIDER,
        end_date=date(2024, 5, 20),
    )
    await views.send(*a_journey(views), ended)
    row = (await page_of(views)).rows[0]
    assert (row.stage, row.current_job, row.next_milestone) == (Stage.IN_WORK, None, None)


async def test_another_providers_participant_is_not_found(views: ServiceHarness) -> None:
    await views.send(*a_journey(views))
    async with views.pool.acquire() as conn:
        mine = await read.participant_timeline(conn, PROVIDER, REFERRAL, TODAY)
        theirs = await read.participant_timeline(conn, "prov-whp-west", PARTICIPANT, TODAY)
        guessed = await read.participant_timeline(conn, PROVIDER, "nobody", TODAY)
        other_page = await read.caseload(
            conn,
            "prov-whp-west",
            CaseloadFilters(),
            CaseloadSort.REFERRAL_ID,
            PageRequest(),
            TODAY,
        )
    assert mine is not None
    assert mine.participant.participant_id == PARTICIPANT
    assert (theirs, guessed, other_page.total) == (None, None, 0)


async def test_the_timeline_links_a_reversal_to_its_payment(views: ServiceHarness) -> None:
    await views.send(*a_journey(views), milestone_revoked(MilestoneKind.JOB_START))
    async with views.pool.acquire() as conn:
        timeline = await read.participant_timeline(conn, PROVIDER, PARTICIPANT, TODAY)
    assert timeline is not None
    kinds = [e.kind for e in timeline.entries]
    assert kinds[0] is TimelineKind.STARTED
    for kind in (
        TimelineKind.JOB_STARTED,
        TimelineKind.EVIDENCE,
        TimelineKind.MILESTONE_REACHED,
        TimelineKind.MILESTONE_REVOKED,
        TimelineKind.REJECTED,
    ):
        assert kind in kinds
    by_ref = {e.ref: e for e in timeline.entries}
    assert by_ref["rev-1"].kind is TimelineKind.REVERSAL
    assert by_ref["rev-1"].links == ("pay-1",)
    assert by_ref["pay-1"].links == ("rev-1",)
    assert [e.on for e in timeline.entries] == sorted(e.on for e in timeline.entries)
    assert timeline.participant.milestones_reached == ()  # job_start revoked


async def test_statement_lines_name_the_referral(views: ServiceHarness) -> None:
    await views.send(*a_journey(views))
    async with views.pool.acquire() as conn:
        lines = await read.payment_lines(
            conn, CONTRACT, datetime(2024, 8, 1, tzinfo=UTC), datetime(2024, 9, 1, tzinfo=UTC)
        )
    assert [(ln.payment_id, ln.referral_id, ln.amount_pence, ln.reverses) for ln in lines] == [
        ("pay-1", REFERRAL, 400_000, None),
        ("rev-1", REFERRAL, -400_000, "pay-1"),
    ]


async def test_a_redelivered_batch_changes_nothing(views: ServiceHarness) -> None:
    events = a_journey(views)
    records = views.records(*events)
    await views.processor.process(records)
    before = await snapshot(views.pool)
    report = await views.processor.process(records)
    assert report.duplicates == len(records)
    assert await snapshot(views.pool) == before


async def test_content_does_not_depend_on_batching_or_topic_order(
    views: ServiceHarness, fresh_database: str
) -> None:
    events = a_journey(views)
    await views.send(*events)
    together = await snapshot(views.pool)

    await reset_schema(fresh_database)
    # Each event alone, the topics the other way round (the placement before its
    # participant); the two payments share a key, so they keep their order.
    payments = [e for e in events if isinstance(e, ProviderPaymentIssued)]
    others = [e for e in reversed(events) if not isinstance(e, ProviderPaymentIssued)]
    await views.send_each(*others, *payments)

    assert await snapshot(views.pool) == together


async def test_a_milestone_not_paid_before_it_is_reached_still_shows_reached(
    views: ServiceHarness,
) -> None:
    not_paid = MilestoneNotPaid(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        contract_id=CONTRACT,
        provider_id=PROVIDER,
        participant_id=PARTICIPANT,
        milestone=MilestoneKind.SELF_EMPLOYMENT_OUTCOME,
        occurrence=1,
        reached_on=date(2024, 10, 1),
        reason=RejectionReason.SUPERSEDED,
    )
    await views.send(participant_started(), not_paid)
    assert (await page_of(views)).rows[0].milestones_reached == ()
    await views.send(
        milestone_reached(
            MilestoneKind.SELF_EMPLOYMENT_OUTCOME,
            reached_on=date(2024, 10, 1),
            payable=False,
            not_payable_reason=RejectionReason.SUPERSEDED,
        )
    )
    assert (await page_of(views)).rows[0].milestones_reached == (
        MilestoneKind.SELF_EMPLOYMENT_OUTCOME,
    )


async def test_each_committed_batch_notifies_views_changed(
    views: ServiceHarness, fresh_database: str
) -> None:
    received: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(fresh_database)
    try:
        await listener.add_listener(notify.CHANNEL, lambda *args: received.put_nowait(args[3]))
        await views.send(*a_journey(views))
        payloads = [await asyncio.wait_for(received.get(), 5)]
        while not received.empty():
            payloads.append(received.get_nowait())
    finally:
        await listener.close()
    changes = {notify.parse(p) for p in payloads}
    assert changes == {
        notify.Change(PROVIDER, PARTICIPANT),
        notify.Change(PROVIDER, None),  # the rejection: the provider's pages as a whole
    }


async def test_a_rejection_that_is_not_json_is_kept_without_ids(views: ServiceHarness) -> None:
    rejected = provider_rejection({}, RejectionReason.INVALID_SCHEMA).model_copy(
        update={"original_prefix_b64": base64.b64encode(b"\x00not json").decode()}
    )
    await views.send(on_topic(views, rejected))
    rows = await views.pool.fetch("SELECT reason, referral_id, event_type FROM rejections")
    assert [tuple(r.values()) for r in rows] == [("invalid_schema", None, None)]


async def test_the_web_statement_is_the_cli_statement_with_referrals(
    views: ServiceHarness,
) -> None:
    await views.send(*a_journey(views))
    async with views.pool.acquire() as conn:
        [august] = await read.statements(conn, CONTRACT, "2024-08", PROVIDER)
        others = await read.statements(conn, CONTRACT, "2024-08", "prov-whp-west")
    assert [(p.payment_id, august.referral_of(p)) for p in august.lines] == [
        ("pay-1", REFERRAL),
        ("rev-1", REFERRAL),
    ]
    assert august.totals().net_pence == 0
    assert others == []


async def test_funnel_rows_give_each_start_its_work_and_standing_milestones(
    views: ServiceHarness,
) -> None:
    other = participant_started("participant-2", referral_id="ref-2", start_date=date(2024, 5, 2))
    west = participant_started(
        "participant-3",
        referral_id="ref-3",
        provider_id="prov-whp-west",
        contract_id="whp-west",
        sub_region=SubRegion.WEST,
        borough="Brent",
    )
    await views.send(
        *a_journey(views),
        other,
        west,
        milestone_reached(MilestoneKind.EARNINGS_OUTCOME, reached_on=date(2024, 7, 14)),
        milestone_reached(MilestoneKind.FIRST_EARNINGS, reached_on=date(2024, 5, 12)),
        milestone_revoked(MilestoneKind.FIRST_EARNINGS),
    )
    async with views.pool.acquire() as conn:
        central = await read.funnel_rows(conn, ["central"], date(2024, 4, 1), date(2024, 4, 30))
        everyone = await read.funnel_rows(conn)
    assert [(r.participant_id, r.ever_in_work, r.milestones) for r in central] == [
        (
            PARTICIPANT,
            True,
            (
                (MilestoneKind.JOB_START, JOB_START),
                (MilestoneKind.EARNINGS_OUTCOME, date(2024, 7, 14)),
            ),
        )
    ]
    assert sorted(r.participant_id for r in everyone) == [
        PARTICIPANT,
        "participant-2",
        "participant-3",
    ]


async def test_the_minimum_wage_feed_holds_flagged_employed_jobs_not_withdrawn(
    views: ServiceHarness,
) -> None:
    low = placement_confirmed("plc-low").model_copy(
        update={"below_minimum_wage": True, "hourly_wage_pence": 1000}
    )
    withdrawn = placement_confirmed("plc-gone").model_copy(update={"below_minimum_wage": True})
    await views.send(
        participant_started(),
        low,
        withdrawn,
        placement_confirmed("plc-fair"),
        PlacementWithdrawn(
            event_id=new_id(),
            produced_at=PRODUCED_AT,
            participant_id=PARTICIPANT,
            placement_id="plc-gone",
            provider_id=PROVIDER,
            job_start_event_id=str(new_id()),
            job_start_date=date(2024, 4, 15),
            leaver_date=date(2024, 4, 10),
        ),
    )
    async with views.pool.acquire() as conn:
        rows = await read.minimum_wage_rows(conn, ["central"])
        none_west = await read.minimum_wage_rows(conn, ["west"])
    assert [(r.placement_id, r.hourly_wage_pence, r.borough, r.age_band) for r in rows] == [
        ("plc-low", 1000, "Camden", "25-49")
    ]
    assert none_west == []


def displaced(referral_id: str, start_date: date) -> ParticipantDisplaced:
    return ParticipantDisplaced(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=PARTICIPANT,
        referral_id=referral_id,
        provider_id=PROVIDER,
        contract_id=CONTRACT,
        start_date=start_date,
    )


async def caseload_referrals(views: ServiceHarness, provider: str = PROVIDER) -> list[str]:
    async with views.pool.acquire() as conn:
        page = await read.caseload(
            conn, provider, CaseloadFilters(), CaseloadSort.REFERRAL_ID, PageRequest(), TODAY
        )
    return [row.referral_id for row in page.rows]


@pytest.mark.parametrize("one_batch", [False, True])
async def test_a_displaced_start_leaves_the_caseload_for_the_start_that_displaced_it(
    views: ServiceHarness, one_batch: bool
) -> None:
    # given a start, then an earlier start of the same person at another provider (§4 v3)
    later = participant_started(referral_id="ref-later", start_date=PROGRAMME_START)
    earlier = participant_started(
        referral_id="ref-earlier",
        provider_id="prov-whp-west",
        contract_id="whp-west",
        sub_region=SubRegion.WEST,
        borough="Brent",
        start_date=PROGRAMME_START - timedelta(days=7),
    )
    events = [later, displaced("ref-later", PROGRAMME_START), earlier]
    # when the read model reads them one by one, or all in one batch (as a rebuild may)
    if one_batch:
        await views.send(*events)
    else:
        for event in events:
            await views.send(event)
    # then the displaced start is on no caseload, and the standing one on its provider's
    assert await caseload_referrals(views) == []
    assert await caseload_referrals(views, "prov-whp-west") == ["ref-earlier"]

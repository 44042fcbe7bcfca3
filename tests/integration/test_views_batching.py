"""The read model is a function of its events, however they are batched (real PostgreSQL).

Each batch writes its events kind by kind with one set-based statement per kind and then
recomputes the derived columns of only the participants it touched, writing only the
rows whose columns change. The law: any sequence of events gives the same tables
(derived columns included) whether each event is a batch of its own, the sequence is
cut into batches anywhere, or it is one batch, the whole history at once, as a rebuild
reads it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.base import Event
from schemas.common import EvidenceKind, MilestoneKind, RejectionReason
from schemas.intake import ParticipantLeft, ParticipantStarted
from schemas.payments import MilestoneNotPaid
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.sustainment import (
    EvidenceProgress,
    EvidenceRecorded,
    EvidenceRemoved,
    MilestoneReached,
    MilestoneRevoked,
    PlacementEvidenceEnd,
)
from services.common.messages import Received
from services.common.outcome import BatchOutcome
from services.common.reference import load_contracts, load_rates
from services.views.adapters.postgres import array_literal
from services.views.adapters.repository import ViewsRepository
from services.views.handlers import ViewsHandler
from services.views.rebuild import reset_schema
from tests.builders import (
    CONTRACT,
    PROVIDER,
    milestone_reached,
    milestone_revoked,
    new_id,
    participant_left,
    participant_started,
    placement_confirmed,
)
from tests.integration.conftest import PRODUCED_AT, ServiceHarness, ServiceStarter
from tests.integration.test_views_service import THRESHOLD, payment

pytestmark = pytest.mark.integration

START = date(2024, 4, 1)
PARTICIPANTS = 2
PLACEMENTS = 2
TABLES = ("participants", "placements", "progress", "milestones", "payments", "evidence")
MILESTONES = (MilestoneKind.JOB_START, MilestoneKind.EARNINGS_OUTCOME)


def pid(i: int) -> str:
    return f"participant-{i}"


def plc(i: int, j: int) -> str:
    return f"plc-{i}-{j}"


days = st.integers(min_value=0, max_value=300).map(lambda d: START + timedelta(days=d))
who = st.integers(min_value=0, max_value=PARTICIPANTS - 1)
job = st.integers(min_value=0, max_value=PLACEMENTS - 1)


moments = st.integers(min_value=-3, max_value=3).map(lambda h: PRODUCED_AT + timedelta(hours=h))
"""When an event was produced: a participant's row keeps the latest (``updated_at``),
whatever order they arrive in."""


@st.composite
def started(draw: st.DrawFn) -> Event:
    i = draw(who)
    e = participant_started(pid(i), referral_id=f"ref-{i}", start_date=draw(days))
    return e.model_copy(update={"produced_at": draw(moments)})


@st.composite
def confirmed(draw: st.DrawFn) -> Event:
    i, j = draw(who), draw(job)
    return placement_confirmed(plc(i, j), participant_id=pid(i), job_start_date=draw(days))


@st.composite
def ended(draw: st.DrawFn) -> Event:
    i, j = draw(who), draw(job)
    return PlacementEnded(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=pid(i),
        placement_id=plc(i, j),
        provider_id=PROVIDER,
        end_date=draw(days),
    )


@st.composite
def recorded(draw: st.DrawFn) -> Event:
    i, j = draw(who), draw(job)
    first = draw(days)
    return EvidenceRecorded(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=pid(i),
        provider_id=PROVIDER,
        placement_id=plc(i, j),
        evidence_id=f"ev-{i}-{draw(st.integers(0, 2))}",
        version=draw(st.integers(1, 2)),
        kind=EvidenceKind.PAYSLIP,
        period_start=first,
        period_end=first + timedelta(days=27),
        gross_earnings_pence=draw(st.integers(0, 300_000)),
        hours_worked=Decimal("150"),
        reported_on=first + timedelta(days=30),
    )


@st.composite
def progress(draw: st.DrawFn) -> Event:
    i = draw(who)
    ends = draw(st.dictionaries(job, days, max_size=PLACEMENTS))
    latest = max(ends.values(), default=None)
    return EvidenceProgress(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=pid(i),
        provider_id=PROVIDER,
        contract_id=CONTRACT,
        earnings_threshold_pence=THRESHOLD,
        weekly_hours_min=Decimal(16),
        counted_earnings_pence=draw(st.integers(0, 2 * THRESHOLD)),
        latest_employed_evidence_end=latest,
        in_work_weeks=draw(st.integers(0, 60)),
        self_employment_days=0,
        placements=tuple(
            PlacementEvidenceEnd(placement_id=plc(i, j), latest_period_end=end)
            for j, end in sorted(ends.items())
        ),
    )


@st.composite
def reached(draw: st.DrawFn) -> Event:
    """Two announcements of one occurrence may differ (the later one stands)."""
    return milestone_reached(
        draw(st.sampled_from(MILESTONES)),
        occurrence=draw(st.integers(1, 2)),
        participant_id=pid(draw(who)),
        reached_on=draw(days),
        job_pays_llw=draw(st.booleans()),
    )


@st.composite
def revoked(draw: st.DrawFn) -> Event:
    return milestone_revoked(
        draw(st.sampled_from(MILESTONES)),
        occurrence=draw(st.integers(1, 2)),
        participant_id=pid(draw(who)),
    )


@st.composite
def left(draw: st.DrawFn) -> Event:
    i = draw(who)
    e = participant_left(pid(i), referral_id=f"ref-{i}", end_date=draw(days))
    return e.model_copy(update={"produced_at": draw(moments)})


@st.composite
def withdrawn(draw: st.DrawFn) -> Event:
    i, j = draw(who), draw(job)
    return PlacementWithdrawn(
        event_id=new_id(),
        produced_at=draw(moments),
        participant_id=pid(i),
        placement_id=plc(i, j),
        provider_id=PROVIDER,
        job_start_event_id=str(new_id()),
        job_start_date=START,
        leaver_date=draw(days),
    )


@st.composite
def removed(draw: st.DrawFn) -> Event:
    """An evidence retracted: the first retraction's time stands."""
    i = draw(who)
    return EvidenceRemoved(
        event_id=new_id(),
        produced_at=draw(moments),
        participant_id=pid(i),
        provider_id=PROVIDER,
        evidence_id=f"ev-{i}-{draw(st.integers(0, 2))}",
    )


@st.composite
def not_paid(draw: st.DrawFn) -> Event:
    """A milestone not paid, perhaps before it is known as reached (its row is created)."""
    return MilestoneNotPaid(
        event_id=new_id(),
        produced_at=draw(moments),
        contract_id=CONTRACT,
        provider_id=PROVIDER,
        participant_id=pid(draw(who)),
        milestone=draw(st.sampled_from(MILESTONES)),
        occurrence=draw(st.integers(1, 2)),
        reached_on=draw(days),
        reason=draw(st.sampled_from([RejectionReason.SUPERSEDED, RejectionReason.CLAIM_LATE])),
    )


@st.composite
def paid(draw: st.DrawFn) -> Event:
    i, n = draw(who), draw(st.integers(1, 3))
    issued = payment(f"pay-{i}-{n}", draw(st.integers(1, 500_000)), occurrence=n)
    return issued.model_copy(update={"participant_id": pid(i)})


def stream(e: Event) -> tuple[tuple[str, ...], int] | None:
    """The stream an event is ordered in upstream (one topic, one key) and its place
    there: a start before its leaver, a confirmation before its end, a milestone reached
    before it is revoked. Across streams any order may arrive."""
    match e:
        case ParticipantStarted() | ParticipantLeft():
            return ("intake", e.participant_id), isinstance(e, ParticipantLeft)
        case PlacementConfirmed() | PlacementEnded() | PlacementWithdrawn():
            return ("placement", e.placement_id), not isinstance(e, PlacementConfirmed)
        case EvidenceRecorded() | EvidenceRemoved():
            return ("evidence", e.evidence_id), isinstance(e, EvidenceRemoved)
        case MilestoneReached() | MilestoneRevoked():
            key = ("milestone", e.participant_id, e.milestone.value, str(e.occurrence))
            return key, isinstance(e, MilestoneRevoked)
    return None


def in_stream_order(events: list[Event]) -> list[Event]:
    """``events`` with each stream's events in their upstream order, on the same places
    of the sequence (the interleaving of streams is kept)."""
    places: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for n, e in enumerate(events):
        if (s := stream(e)) is not None:
            places[s[0]].append(n)
    ordered = list(events)
    for positions in places.values():
        members = sorted((events[n] for n in positions), key=lambda e: stream(e) or ((), 0))
        for n, e in zip(positions, members, strict=True):
            ordered[n] = e
    return ordered


@st.composite
def announced_twice(draw: st.DrawFn) -> list[Event]:
    """One occurrence of a milestone announced twice, the second time differently, or
    one placement confirmed twice: in one batch both name one row."""
    first = draw(st.one_of(reached(), confirmed()))
    if isinstance(first, MilestoneReached):
        second: Event = first.model_copy(
            update={"event_id": new_id(), "reached_on": draw(days), "payable": False}
        )
    else:
        second = first.model_copy(update={"event_id": new_id(), "job_start_date": draw(days)})
    return [first, second]


def again(e: Event, produced_at: datetime) -> list[Event]:
    """``e`` and the same event sent again later or earlier (a retry, or a second leaver):
    in one batch both name one row."""
    return [e, e.model_copy(update={"event_id": new_id(), "produced_at": produced_at})]


@st.composite
def retracted(draw: st.DrawFn) -> list[Event]:
    """An evidence recorded, then removed, perhaps twice: the first removal's time stands."""
    r = draw(recorded())
    assert isinstance(r, EvidenceRecorded)
    removals = [
        EvidenceRemoved(
            event_id=new_id(),
            produced_at=draw(moments),
            participant_id=r.participant_id,
            provider_id=PROVIDER,
            evidence_id=r.evidence_id,
        )
        for _ in range(draw(st.integers(1, 2)))
    ]
    return [r, *removals]


named_twice = st.tuples(
    st.one_of(started(), left(), ended(), withdrawn(), removed(), not_paid(), revoked()), moments
).map(lambda pair: again(*pair))


histories = st.lists(
    st.one_of(
        st.one_of(
            started(),
            confirmed(),
            ended(),
            recorded(),
            progress(),
            reached(),
            revoked(),
            left(),
            paid(),
            withdrawn(),
            removed(),
            not_paid(),
        ).map(lambda e: [e]),
        announced_twice(),
        named_twice,
        retracted(),
    ),
    min_size=1,
    max_size=8,
).map(lambda runs: in_stream_order([e for run in runs for e in run]))


def batches(events: list[Event], cuts: set[int]) -> list[list[Event]]:
    """``events`` cut before each index in ``cuts``."""
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(events)), len(events)]
    return [events[a:b] for a, b in pairwise(bounds)]


async def tables_after(
    start_service: ServiceStarter, database: str, batched: list[list[Event]]
) -> dict[str, list[tuple[Any, ...]]]:
    """The read model's tables after ``batched``, processed batch by batch on a fresh
    ``views`` schema. A batch that fails is not split into smaller ones here (as the
    processor does to isolate a bad record): a statement that cannot take a batch's rows
    together fails the test."""
    await reset_schema(database)
    views: ServiceHarness = await start_service(ViewsHandler(load_contracts(), load_rates()))
    try:
        for batch in batched:
            async with views.pool.acquire() as conn, conn.transaction():
                repo = ViewsRepository(conn)
                outcome = BatchOutcome("views", PRODUCED_AT)
                items = [Received(views.feed.record(e), e) for e in batch]
                await views.handler.handle(repo, items, outcome)
                await views.handler.finish(repo, outcome)
        return {table: await views.table(table) for table in TABLES}
    finally:
        await views.pool.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=histories, cuts=st.sets(st.integers(min_value=1, max_value=11), max_size=5))
async def test_the_tables_do_not_depend_on_how_the_events_are_batched(
    start_service: ServiceStarter, fresh_database: str, events: list[Event], cuts: set[int]
) -> None:
    one_by_one = await tables_after(start_service, fresh_database, [[e] for e in events])
    cut = await tables_after(start_service, fresh_database, batches(events, cuts))
    at_once = await tables_after(start_service, fresh_database, [events])

    assert cut == one_by_one
    assert at_once == one_by_one


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8))
    )
)
async def test_an_array_literal_reads_back_as_the_texts_it_was_made_of(
    fresh_database: str, rows: list[list[str]]
) -> None:
    """Rows of arrays of different lengths travel as one literal each (quotes, backslashes,
    commas, braces, spaces and NULL spelled out are texts like any other)."""
    conn = await asyncpg.connect(fresh_database)
    try:
        found = await conn.fetch(
            "SELECT a::text[] AS a FROM unnest($1::text[]) WITH ORDINALITY AS u(a, n) ORDER BY n",
            [array_literal(r) for r in rows],
        )
    finally:
        await conn.close()
    assert [list(r["a"]) for r in found] == rows

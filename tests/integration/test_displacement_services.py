"""Rule book v3 §4 through the four real handlers on PostgreSQL: a person started twice.

The start dated 2024-04-15 (whp-central) is paid an earnings outcome; the start dated
2024-04-02 (pioneer-central) of the same NINO arrives first or second. Whichever arrives
first, the earlier start stands: the later one is ``already_started`` (on arrival, or
displaced when the earlier one arrives -- its placement withdrawn and its job start held
again, its milestones revoked under its own contract, its payment reversed).
"""

from __future__ import annotations

import base64
from datetime import date
from typing import TypeVar

import pytest

from schemas.base import Event
from schemas.common import MilestoneKind, RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantStarted
from schemas.placement import PlacementConfirmed, PlacementWithdrawn
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import Owner
from services.common.reference import load_contracts, load_rates
from services.payments.handlers import PaymentsHandler
from services.placement.handlers import PlacementHandler
from services.simulation import simulate
from services.sustainment.handlers import SustainmentHandler
from tests.builders import (
    CONTRACT,
    PARTICIPANT,
    PLACEMENT,
    PROVIDER,
    REPEATABLE,
    new_id,
    participant_started,
    placement_confirmed,
)
from tests.builders import evidence as conftest_evidence
from tests.integration.conftest import (
    PARTICIPANT_KEY,
    PRODUCED_AT,
    ServiceHarness,
    ServiceStarter,
    intake_handler,
)
from tests.integration.test_order_services import Pipeline, run, shuffled
from tests.unit.histories import Stream, interleave

pytestmark = pytest.mark.integration
E = TypeVar("E", bound=Event)

WHP, PIONEER = "prov-whp-central", "prov-pioneer-central"
NINO = "AB530001C"
LATE: Stream = [
    REPEATABLE.referral("late", nino=NINO, provider_id=WHP, contract_id="whp-central"),
    REPEATABLE.programme_start("late", start_date=date(2024, 4, 15), provider_id=WHP),
]
LATE_JOB: Stream = [
    REPEATABLE.job_start(
        "plc-late", referral_id="late", job_start_date=date(2024, 5, 1), provider_id=WHP
    )
]
LATE_PAY: Stream = [
    REPEATABLE.evidence(
        "ev-late",
        date(2024, 5, 1),
        date(2024, 5, 31),
        480_000,
        hours="160",
        placement_id="plc-late",
        provider_id=WHP,
    )
]
EARLY: Stream = [
    REPEATABLE.referral(
        "early", nino="ab 53 00 01 c", provider_id=PIONEER, contract_id="pioneer-central"
    ),
    REPEATABLE.programme_start("early", start_date=date(2024, 4, 2), provider_id=PIONEER),
]
EARLY_JOB: Stream = [
    REPEATABLE.job_start(
        "plc-early", referral_id="early", job_start_date=date(2024, 4, 10), provider_id=PIONEER
    )
]
LATE_FIRST = [LATE, LATE_JOB, LATE_PAY, EARLY, EARLY_JOB]
EARLY_FIRST = [EARLY, EARLY_JOB, LATE, LATE_JOB, LATE_PAY]


def in_order(streams: list[Stream]) -> list[Event]:
    return interleave(streams, [i for i, s in enumerate(streams) for _ in s])


ORDERS = {
    "later-start-first": in_order(LATE_FIRST),
    "earlier-start-first": in_order(EARLY_FIRST),
    "shuffled-1": shuffled(LATE_FIRST, 1),
    "shuffled-2": shuffled(LATE_FIRST, 2),
}


@pytest.mark.parametrize("order", list(ORDERS))
async def test_the_earlier_start_stands_and_is_paid_alike_in_every_order(
    start_service: ServiceStarter, order: str
) -> None:
    events = ORDERS[order]
    expected = simulate(events, participant_key=PARTICIPANT_KEY)

    pipeline = await run(start_service, events, 1)

    assert pipeline.net() == expected.net_payments() == expected.due()
    assert [(k[0], k[2], pence) for k, pence in pipeline.net().items()] == [
        ("pioneer-central", MilestoneKind.JOB_START, 50_000)
    ]
    assert pipeline.reasons() == expected.reasons()
    reasons = pipeline.reasons()
    assert reasons[str(LATE[1].event_id)] is RejectionReason.ALREADY_STARTED
    assert reasons[str(LATE_JOB[0].event_id)] is RejectionReason.UNKNOWN_PARTICIPANT


async def test_a_later_arriving_earlier_start_displaces_the_paid_one(
    start_service: ServiceStarter,
) -> None:
    pipeline = await services(start_service)
    await pipeline.deliver("intake", LATE)
    await pipeline.deliver("placement", LATE_JOB)
    await pipeline.deliver("sustainment", LATE_PAY)
    [paid] = pipeline.payments
    assert (paid.contract_id, paid.milestone, paid.amount_pence) == (
        "whp-central",
        MilestoneKind.EARNINGS_OUTCOME,
        500_000,
    )
    before = {owner: len(await h.outbox()) for owner, h in pipeline.services.items()}

    await pipeline.deliver("intake", EARLY)

    # intake: the later start is told already_started, with its original bytes, and
    # downstream hears of the displacement before the start that stands
    [rejected] = [r for r in pipeline.rejections if r.service == "intake"]
    assert (rejected.reason, rejected.source_event_id) == (
        "already_started",
        str(LATE[1].event_id),
    )
    assert b'"2024-04-15"' in base64.b64decode(rejected.original_prefix_b64)
    assert "2024-04-02" in rejected.message
    intake = await new_events(pipeline, "intake", before)
    assert [type(e).__name__ for e in intake] == [
        "ParticipantDisplaced",
        "ParticipantStarted",
        "EventRejected",
    ]
    starts = await pipeline.services["intake"].pool.fetch(
        "SELECT referral_id, start_date, displaced_by FROM referrals ORDER BY referral_id"
    )
    assert [tuple(r.values()) for r in starts] == [
        ("early", date(2024, 4, 2), None),
        ("late", None, f"{PIONEER}:early"),
    ]
    # placement: the later start's job is withdrawn and waits again for its referral
    placement = pipeline.services["placement"]
    rows = await placement.pool.fetch(
        "SELECT referral_id, contract_id, displaced FROM participants"
    )
    assert [tuple(r.values()) for r in rows] == [("early", "pioneer-central", False)]
    [withdrawn] = of_kind(await new_events(pipeline, "placement", before), PlacementWithdrawn)
    assert (withdrawn.placement_id, withdrawn.reason, withdrawn.leaver_date) == (
        "plc-late",
        "already_started",
        None,
    )
    assert await placement.held() == [f"{WHP}:{LATE_JOB[0].event_id}"]
    # sustainment: revoked under the displaced contract; payments: reversed
    revoked = of_kind(await new_events(pipeline, "sustainment", before), MilestoneRevoked)
    assert {(m.contract_id, m.milestone) for m in revoked} == {
        ("whp-central", MilestoneKind.JOB_START),
        ("whp-central", MilestoneKind.FIRST_EARNINGS),
        ("whp-central", MilestoneKind.EARNINGS_OUTCOME),
    }
    reversal = pipeline.payments[-1]
    assert (reversal.contract_id, reversal.amount_pence, reversal.reverses) == (
        "whp-central",
        -500_000,
        paid.payment_id,
    )
    assert pipeline.net() == {}

    # and the earlier start's own job is paid on its own contract
    await pipeline.deliver("placement", EARLY_JOB)
    assert [(k[0], k[2], v) for k, v in pipeline.net().items()] == [
        ("pioneer-central", MilestoneKind.JOB_START, 50_000)
    ]


async def services(start_service: ServiceStarter) -> Pipeline:
    contracts, rates = load_contracts(), load_rates()
    return Pipeline(
        {
            "intake": await start_service(intake_handler()),
            "placement": await start_service(PlacementHandler(rates)),
            "sustainment": await start_service(SustainmentHandler(contracts, rates)),
            "payments": await start_service(PaymentsHandler()),
        }
    )


async def new_events(pipeline: Pipeline, owner: Owner, before: dict[Owner, int]) -> list[Event]:
    rows = await pipeline.services[owner].outbox()
    return [r.event for r in rows[before[owner] :]]


def of_kind(events: list[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


# --- sustainment: the topics from intake and from placement do not wait for each other ----


def displaced(referral_id: str = "ref-1") -> ParticipantDisplaced:
    return ParticipantDisplaced(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=PARTICIPANT,
        referral_id=referral_id,
        provider_id=PROVIDER,
        contract_id=CONTRACT,
        start_date=date(2024, 4, 1),
    )


def winner() -> ParticipantStarted:
    return participant_started(
        referral_id="ref-early",
        provider_id=PIONEER,
        contract_id="pioneer-central",
        start_date=date(2024, 3, 20),
    )


def winners_placement() -> PlacementConfirmed:
    return placement_confirmed("plc-early").model_copy(
        update={
            "referral_id": "ref-early",
            "provider_id": PIONEER,
            "contract_id": "pioneer-central",
        }
    )


async def test_a_placement_of_the_displaced_start_read_after_the_displacement_never_counts(
    sustainment: ServiceHarness,
) -> None:
    await sustainment.send(participant_started(), displaced(), winner())
    assert of_kind([r.event for r in await sustainment.new_output()], MilestoneReached) == []

    late = placement_confirmed()  # confirmed under ref-1 before placement heard of it
    await sustainment.send(late, EV_LATE)
    await sustainment.send(withdrawal_of(late))

    assert await sustainment.new_output() == []
    assert await sustainment.held() == [f"{PROVIDER}:{EV_LATE.event_id}"]  # as if never confirmed
    rows = await sustainment.pool.fetch("SELECT placement_id, withdrawn FROM placements")
    assert [tuple(r.values()) for r in rows] == [(PLACEMENT, True)]


async def test_the_winners_placement_read_before_the_displacement_waits_for_its_start(
    sustainment: ServiceHarness,
) -> None:
    await sustainment.send(participant_started(), placement_confirmed(), EV_LATE)
    first = [r.event for r in await sustainment.new_output()]
    assert {m.contract_id for m in of_kind(first, MilestoneReached)} == {CONTRACT}

    early = winners_placement()
    await sustainment.send(early)  # before intake's displacement is read: held
    assert await sustainment.held() == [str(early.event_id)]

    await sustainment.send(displaced(), winner())
    after = [r.event for r in await sustainment.new_output()]
    revoked = of_kind(after, MilestoneRevoked)
    assert {(m.contract_id, m.occurrence) for m in revoked} == {(CONTRACT, 1)}
    reached = of_kind(after, MilestoneReached)
    assert [(m.contract_id, m.milestone, m.placement_id) for m in reached] == [
        ("pioneer-central", MilestoneKind.JOB_START, "plc-early")
    ]
    assert await sustainment.held() == []


def withdrawal_of(placement: PlacementConfirmed) -> PlacementWithdrawn:
    return PlacementWithdrawn(
        event_id=new_id(),
        produced_at=PRODUCED_AT,
        participant_id=placement.participant_id,
        placement_id=placement.placement_id,
        provider_id=placement.provider_id,
        job_start_event_id=str(new_id()),
        job_start_date=placement.job_start_date,
        reason=RejectionReason.ALREADY_STARTED,
    )


EV_LATE = conftest_evidence("ev-late", date(2024, 4, 15), date(2024, 5, 14), 200_000)

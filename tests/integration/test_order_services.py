"""The same history through the four real handlers on PostgreSQL, in several arrival orders.

Each order runs in a fresh database: every service on its own schema, with its real
BatchProcessor (inbox, holds, releases, ``finish``, outbox). What a service writes to its
outbox is delivered to the services that consume the topic, until all are quiet; then the
hold time passes. Net payments per (contract, participant, milestone) and the rejections
must be the same in every order -- and the same as the pure simulator's.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from datetime import timedelta

import pytest

from schemas.base import Event
from schemas.common import MilestoneKind, RejectionReason
from schemas.payments import ProviderPaymentIssued
from schemas.rejections import EventRejected
from schemas.topics import CONSUMERS, Owner, by_name
from services.common.reference import load_contracts, load_rates
from services.payments.handlers import PaymentsHandler
from services.placement.handlers import PlacementHandler
from services.simulation import simulate
from services.sustainment.handlers import SustainmentHandler
from tests.integration.conftest import (
    HOLD_SECONDS,
    PARTICIPANT_KEY,
    ServiceHarness,
    ServiceStarter,
    intake_handler,
)
from tests.unit.histories import EVIDENCE, INTAKE, PLACEMENTS, Stream, interleave, topic_order
from tests.unit.journeys import journey_streams

pytestmark = pytest.mark.integration

Net = dict[tuple[str, str, MilestoneKind], int]


def natural(streams: list[Stream]) -> list[Event]:
    return interleave(streams, [i for i, s in enumerate(streams) for _ in s])


def shuffled(streams: list[Stream], seed: int) -> list[Event]:
    slots = [i for i, s in enumerate(streams) for _ in s]
    random.Random(seed).shuffle(slots)
    return interleave(streams, slots)


STREAMS = journey_streams()
ORDERS = {
    "natural": (natural(STREAMS), 1),
    "evidence-placements-intake": (topic_order(STREAMS, EVIDENCE, PLACEMENTS, INTAKE), 1),
    "evidence-placements-intake-batched": (
        topic_order(STREAMS, EVIDENCE, PLACEMENTS, INTAKE),
        100,
    ),
    "placements-evidence-intake": (topic_order(STREAMS, PLACEMENTS, EVIDENCE, INTAKE), 7),
    "shuffled-1": (shuffled(STREAMS, 1), 3),
    "shuffled-2": (shuffled(STREAMS, 2), 1),
}


class Pipeline:
    """The four services on one database, delivering outbox rows to their consumers."""

    def __init__(self, services: dict[Owner, ServiceHarness]) -> None:
        self.services = services
        self.payments: list[ProviderPaymentIssued] = []
        self.rejections: list[EventRejected] = []

    async def deliver(self, service: Owner, events: list[Event]) -> None:
        queue: deque[tuple[Owner, list[Event]]] = deque([(service, events)])
        while queue:
            owner, batch = queue.popleft()
            await self.services[owner].send(*batch)
            await self._route(owner, queue)

    async def _route(self, owner: Owner, queue: deque[tuple[Owner, list[Event]]]) -> None:
        by_topic: dict[str, list[Event]] = defaultdict(list)
        for row in await self.services[owner].new_output():
            if isinstance(row.event, EventRejected):
                self.rejections.append(row.event)
                continue
            if isinstance(row.event, ProviderPaymentIssued):
                self.payments.append(row.event)
            by_topic[row.topic].append(row.event)
        for topic, events in by_topic.items():
            spec = by_name(topic)
            for consumer, inputs in CONSUMERS.items():
                if spec in inputs:
                    queue.append((consumer, events))

    async def expire(self) -> None:
        for owner, harness in self.services.items():
            harness.clock.advance(timedelta(seconds=HOLD_SECONDS + 1))
            await harness.processor.expire_holds()
            await self._route(owner, deque())

    def net(self) -> Net:
        net: Net = defaultdict(int)
        for p in self.payments:
            net[(p.contract_id, p.participant_id, p.milestone)] += p.amount_pence
        return {k: v for k, v in sorted(net.items()) if v}

    def reasons(self) -> dict[str, RejectionReason]:
        return {str(r.source_event_id): r.reason for r in self.rejections}


async def run(start_service: ServiceStarter, events: list[Event], batch_size: int) -> Pipeline:
    contracts, rates = load_contracts(), load_rates()
    pipeline = Pipeline(
        {
            "intake": await start_service(intake_handler()),
            "placement": await start_service(PlacementHandler(rates)),
            "sustainment": await start_service(SustainmentHandler(contracts, rates)),
            "payments": await start_service(PaymentsHandler(contracts)),
        }
    )
    batch: list[Event] = []
    for event in events:
        if batch and (type(batch[0]) not in _family(event) or len(batch) == batch_size):
            await pipeline.deliver(_service_of(batch[0]), batch)
            batch = []
        batch.append(event)
    if batch:
        await pipeline.deliver(_service_of(batch[0]), batch)
    await pipeline.expire()
    return pipeline


def _family(event: Event) -> tuple[type[Event], ...]:
    return next(f for f in (INTAKE, PLACEMENTS, EVIDENCE) if isinstance(event, f))


def _service_of(event: Event) -> Owner:
    if isinstance(event, INTAKE):
        return "intake"
    return "placement" if isinstance(event, PLACEMENTS) else "sustainment"


@pytest.mark.parametrize("order", list(ORDERS))
async def test_the_same_history_pays_the_same_in_every_arrival_order(
    start_service: ServiceStarter, order: str
) -> None:
    events, batch_size = ORDERS[order]
    expected = simulate(natural(STREAMS), participant_key=PARTICIPANT_KEY)

    pipeline = await run(start_service, events, batch_size)

    assert pipeline.net() == expected.net_payments()
    assert pipeline.net() == expected.due()
    assert pipeline.reasons() == expected.reasons()
    assert sorted(pipeline.reasons().values()) == [
        RejectionReason.AFTER_PROGRAMME_END,
        RejectionReason.INVALID_EVIDENCE,
        RejectionReason.INVALID_PERIOD,
        RejectionReason.UNKNOWN_PLACEMENT,  # another provider's evidence names its own (v3 §9)
    ]
    assert sorted((k[0], k[2], pence) for k, pence in pipeline.net().items()) == [
        ("pioneer-central", MilestoneKind.JOB_START, 50_000),
        ("pioneer-central", MilestoneKind.SUSTAINED_13W, 100_000),
        ("whp-central", MilestoneKind.EARNINGS_OUTCOME, 400_000),
    ]

"""The five real handlers in one fresh database (each on its own schema, with its real
BatchProcessor), delivering each service's outbox to the services that consume its
topics until all are quiet: provider events in, the read model (schema ``views``) out,
exactly as the running services would fill it. Page tests then render pages over it."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Final

from schemas.base import Event
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from schemas.topics import CONSUMERS, Owner, resolve
from services.common.messages import RawRecord
from services.common.reference import load_contracts, load_rates
from services.payments.handlers import PaymentsHandler
from services.placement.handlers import PlacementHandler
from services.sustainment.handlers import SustainmentHandler
from services.views.handlers import ViewsHandler
from tests.integration.conftest import (
    OutboxRow,
    ServiceHarness,
    ServiceStarter,
    intake_handler,
)

PROVIDER_SERVICE: Final[dict[type[Event], Owner]] = {
    ReferralMade: "intake",
    ProgrammeStarted: "intake",
    ProgrammeEnded: "intake",
    JobStarted: "placement",
    JobEnded: "placement",
    EvidenceSubmitted: "sustainment",
    EvidenceRetracted: "sustainment",
}


class InProcessPipeline:
    def __init__(self, services: dict[Owner, ServiceHarness]) -> None:
        self.services = services

    async def publish(self, *events: Event) -> None:
        """Provider events to their services in the order given (a run of events for one
        service as one batch); then every output on to its consumers until nothing is
        left to deliver."""
        runs: list[tuple[Owner, list[Event]]] = []
        for event in events:
            service = PROVIDER_SERVICE[type(event)]
            if runs and runs[-1][0] == service:
                runs[-1][1].append(event)
            else:
                runs.append((service, [event]))
        for service, run in runs:
            await self._deliver(service, run)

    async def _deliver(self, service: Owner, events: list[Event]) -> None:
        queue: deque[tuple[Owner, list[Event | RawRecord]]] = deque([(service, [*events])])
        while queue:
            owner, batch = queue.popleft()
            await self.services[owner].send(*batch)
            by_topic: dict[str, list[OutboxRow]] = defaultdict(list)
            for row in await self.services[owner].new_output(evidence_ledger=True):
                by_topic[row.topic].append(row)
            for topic, rows in by_topic.items():
                spec, provider_id = resolve(topic)
                for consumer, inputs in CONSUMERS.items():
                    if spec in inputs and consumer in self.services:
                        feed = self.services[consumer].feed
                        records: list[Event | RawRecord] = [
                            feed.raw(
                                spec,
                                r.event.model_dump_json().encode(),
                                key=r.key,
                                provider_id=provider_id,
                            )
                            for r in rows
                        ]
                        queue.append((consumer, records))


async def start_pipeline(start_service: ServiceStarter) -> InProcessPipeline:
    contracts, rates = load_contracts(), load_rates()
    return InProcessPipeline(
        {
            "intake": await start_service(intake_handler()),
            "placement": await start_service(PlacementHandler(rates)),
            "sustainment": await start_service(SustainmentHandler(contracts, rates)),
            "payments": await start_service(PaymentsHandler()),
            "views": await start_service(ViewsHandler(contracts, rates)),
        }
    )

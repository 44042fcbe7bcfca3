"""Views use cases: output events in -> read model rows -> ``views_changed``.

``handle`` writes the batch's events (sorted by kind, ingest.py); ``finish`` recomputes
the derived columns of every participant the transaction touched, from the facts as
they stand (derive.py), and queues the notifications, delivered at commit. Nothing is
held: the read model stores each fact as it comes, whatever order the topics deliver in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.intake import ParticipantStarted
from schemas.topics import CONSUMERS, Owner, TopicSpec
from services.common.messages import Received
from services.common.outcome import BatchOutcome, Masker, PerTransaction, identity
from services.common.reference import ContractBook, Rates, Reference
from services.common.settings import ServiceSettings
from services.views.derive import counted_milestones, derive
from services.views.ingest import batch_of
from services.views.notify import Change
from services.views.projections import OUTCOME_WINDOW_DAYS
from services.views.records import (
    DerivedColumns,
    Key,
    LatestEnd,
    ParticipantFacts,
    StartedRow,
    ViewsStorage,
)

THRESHOLD_HOURS = 416
DEFAULT_WEEKLY_HOURS_MIN = Decimal(16)
"""For a contract this deployment does not know (its participants still show)."""


CHANGES: PerTransaction[set[Change]] = PerTransaction("changes", set)
"""What a transaction changed, gathered over its rounds: refreshed and notified in ``finish``."""


class ViewsHandler:
    service: Owner = "views"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["views"]
    mask_original: Masker = staticmethod(identity)
    keeps_personal_data = False

    def __init__(self, contracts: ContractBook, rates: Rates) -> None:
        self.contracts = contracts
        self.rates = rates

    async def handle(
        self, repo: ViewsStorage, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        batch = batch_of(item.event for item in items)
        await repo.write(batch, [self._started(e) for e in batch.started])
        outcome.gathered(CHANGES).update(batch.changes)

    async def finish(self, repo: ViewsStorage, outcome: BatchOutcome) -> None:
        changes = outcome.gathered(CHANGES)
        keys = sorted({(c.provider_id, c.participant_id) for c in changes if c.participant_id})
        if keys:
            await self._refresh(repo, keys)
        await repo.notify(changes)

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return RejectionReason.PROCESSING_FAILED, "the views service holds nothing"

    def _started(self, e: ParticipantStarted) -> StartedRow:
        last_day = e.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        nlw = self.rates.nlw.rate_on(e.start_date) or 0
        counted = counted_milestones(self.contracts.get(e.contract_id), e.eligibility_group)
        return StartedRow(
            e, last_day, THRESHOLD_HOURS * nlw, str(self._hours_min(e.contract_id)), counted
        )

    def _hours_min(self, contract_id: str) -> Decimal:
        contract = self.contracts.get(contract_id)
        if contract is None:
            return DEFAULT_WEEKLY_HOURS_MIN
        return Decimal(contract.weekly_hours_min_hundredths) / 100

    # -------------------------------------------------------------------------- derived

    async def _refresh(self, repo: ViewsStorage, keys: Sequence[Key]) -> None:
        """Works out the derived columns of ``keys`` and writes only the rows whose
        columns differ from what they hold (most changes move few of them)."""
        derived: list[DerivedColumns] = []
        latest: list[LatestEnd] = []
        for participant in await repo.facts_of(keys):
            columns = self._derived(participant)
            if columns != participant.stored:
                derived.append(columns)
            provider_id = participant.key[0]
            stored = participant.stored_latest_ends
            for j in participant.jobs:
                end = participant.latest_ends.get(j.placement_id)
                if end != stored.get(j.placement_id):
                    latest.append(LatestEnd(provider_id, j.placement_id, end))
        if derived:
            await repo.write_derived(derived)
        if latest:
            await repo.write_latest_ends(latest)

    def _derived(self, p: ParticipantFacts) -> DerivedColumns:
        counted = counted_milestones(self.contracts.get(p.contract_id), p.eligibility_group)
        d = derive(p.window, p.jobs, p.progress, p.latest_ends, p.occurrences, counted)
        return DerivedColumns(
            key=p.key,
            in_work=d.in_work,
            milestones_reached=tuple(d.milestones_reached),
            counted_milestones=tuple(counted),
            next_milestone=d.next.milestone if d.next else None,
            next_projected_on=d.next.projected_on if d.next else None,
            next_on_track=d.next.on_track if d.next else None,
            evidence_due_since=d.evidence_due_since,
        )


def make_handler(settings: ServiceSettings, reference: Reference) -> ViewsHandler:
    return ViewsHandler(reference.contracts, reference.rates)

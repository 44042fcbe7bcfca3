"""Sustainment use cases: participants, placements and evidence -> milestone changes.

Items only update facts; milestones are then recomputed from each changed participant's
whole history, so arrival order never changes the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from schemas.common import RejectionReason
from schemas.intake import ParticipantLeft, ParticipantStarted
from schemas.placement import PlacementConfirmed, PlacementEnded
from schemas.provider import EvidenceRetracted, EvidenceSubmitted
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import (
    CONSUMERS,
    MILESTONES,
    Owner,
    TopicSpec,
)
from services.common.db import Connection
from services.common.messages import Received, ids_named
from services.common.outcome import BatchOutcome, derived_event_id
from services.common.reference import ContractBook, Rates, load_contracts, load_rates
from services.common.settings import ServiceSettings
from services.sustainment.adapters.postgres import (
    EvidenceRecord,
    ParticipantHistory,
    ParticipantRecord,
    PlacementRecord,
    SustainmentRepository,
)
from services.sustainment.domain import (
    EvidenceFacts,
    ParticipantWindow,
    PlacementFacts,
    RecordedMilestone,
    accept_version,
    check_evidence,
    compute_milestones,
    hours_to_hundredths,
    reconcile,
)


class SustainmentHandler:
    service: Owner = "sustainment"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["sustainment"]

    def __init__(self, contracts: ContractBook, rates: Rates) -> None:
        self.contracts = contracts
        self.rates = rates

    async def handle(
        self, conn: Connection, items: Sequence[Received], outcome: BatchOutcome
    ) -> None:
        repo = SustainmentRepository(conn)
        await repo.load(
            participant_ids=ids_named(items, "participant_id"),
            placement_ids=ids_named(items, "placement_id"),
            evidence_ids=ids_named(items, "evidence_id"),
        )
        changed: set[str] = set()
        for item in items:
            participant_id = self._apply(repo, item, outcome)
            if participant_id is not None:
                changed.add(participant_id)
        await repo.flush()
        if changed:
            await self._announce_milestones(repo, sorted(changed), outcome)

    def expired(self, item: Received) -> tuple[RejectionReason, str]:
        event = item.event
        if isinstance(event, EvidenceSubmitted):
            return (
                RejectionReason.UNKNOWN_PLACEMENT,
                f"evidence names placement_id {event.placement_id!r}, unknown after the hold time",
            )
        if isinstance(event, EvidenceRetracted):
            return (
                RejectionReason.UNKNOWN_EVIDENCE,
                f"retraction names evidence_id {event.evidence_id!r},"
                " never accepted within the hold time",
            )
        if isinstance(event, PlacementEnded):
            return (
                RejectionReason.UNKNOWN_PLACEMENT,
                f"placement_ended names {event.placement_id!r}, unknown after the hold time",
            )
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{event.type} names participant {event.participant_id!r}, unknown after the hold time",
        )

    def _apply(
        self, repo: SustainmentRepository, item: Received, outcome: BatchOutcome
    ) -> str | None:
        """Apply one item to the facts; return the participant whose facts changed."""
        event = item.event
        if isinstance(event, ParticipantStarted):
            return self._on_participant_started(repo, item, event, outcome)
        if isinstance(event, ParticipantLeft):
            return self._on_participant_left(repo, item, event, outcome)
        if isinstance(event, PlacementConfirmed):
            return self._on_placement_confirmed(repo, item, event, outcome)
        if isinstance(event, PlacementEnded):
            return self._on_placement_ended(repo, item, event, outcome)
        if isinstance(event, EvidenceSubmitted):
            return self._on_evidence(repo, item, event, outcome)
        if isinstance(event, EvidenceRetracted):
            return self._on_retraction(repo, item, event, outcome)
        return None

    def _on_participant_started(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: ParticipantStarted,
        outcome: BatchOutcome,
    ) -> str | None:
        if event.participant_id in repo.participants:
            return None
        contract = self.contracts.get(event.contract_id)
        nlw = self.rates.nlw.rate_on(event.start_date)
        if contract is None or nlw is None:
            outcome.reject(
                item,
                RejectionReason.START_OUTSIDE_CONTRACT,
                f"no contract {event.contract_id!r} or no NLW rate on {event.start_date}",
            )
            return None
        repo.put_participant(
            ParticipantRecord(
                participant_id=event.participant_id,
                provider_id=event.provider_id,
                contract_id=event.contract_id,
                eligibility_group=event.eligibility_group,
                window=ParticipantWindow(
                    start_date=event.start_date,
                    leaver_date=None,
                    nlw_pence_at_start=nlw,
                    weekly_hours_min_hundredths=contract.weekly_hours_min_hundredths,
                ),
            )
        )
        outcome.release(f"participant:{event.participant_id}")
        return event.participant_id

    def _on_participant_left(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: ParticipantLeft,
        outcome: BatchOutcome,
    ) -> str | None:
        record = repo.participants.get(event.participant_id)
        if record is None:
            outcome.hold(item, f"participant:{event.participant_id}")
            return None
        record.window = replace(record.window, leaver_date=event.end_date)
        repo.put_participant(record)
        return event.participant_id

    def _on_placement_confirmed(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: PlacementConfirmed,
        outcome: BatchOutcome,
    ) -> str | None:
        if event.participant_id not in repo.participants:
            outcome.hold(item, f"participant:{event.participant_id}")
            return None
        if event.placement_id in repo.placements:
            return None
        facts = PlacementFacts(
            placement_id=event.placement_id,
            job_start_date=event.job_start_date,
            employment_type=event.employment_type,
            pays_llw=event.pays_llw,
        )
        repo.put_placement(PlacementRecord(facts, event.participant_id, event.provider_id))
        outcome.release(f"placement:{event.placement_id}")
        return event.participant_id

    def _on_placement_ended(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: PlacementEnded,
        outcome: BatchOutcome,
    ) -> str | None:
        record = repo.placements.get(event.placement_id)
        if record is None:
            outcome.hold(item, f"placement:{event.placement_id}")
            return None
        record.end_date = event.end_date
        repo.put_placement(record)
        return None  # a job end has no effect on milestones

    def _on_evidence(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: EvidenceSubmitted,
        outcome: BatchOutcome,
    ) -> str | None:
        placement = repo.placements.get(event.placement_id)
        if placement is None:
            outcome.hold(item, f"placement:{event.placement_id}")
            return None
        hundredths = hours_to_hundredths(event.hours_worked)
        facts = EvidenceFacts(
            evidence_id=event.evidence_id,
            placement_id=event.placement_id,
            kind=event.kind,
            period_start=event.period_start,
            period_end=event.period_end,
            gross_earnings_pence=event.gross_earnings_pence,
            hours_hundredths=hundredths if hundredths is not None else 0,
            reported_on=event.reported_on,
        )
        rejection = check_evidence(
            facts,
            placement.facts.employment_type,
            placement.provider_id,
            event.provider_id,
            hours_worked=event.hours_worked if hundredths is None else None,
        )
        if rejection is not None:
            outcome.reject(item, rejection.reason, rejection.message)
            return None
        current = repo.evidence.get(event.evidence_id)
        if not accept_version(
            current.version if current else None,
            current.retracted if current else False,
            event.version,
        ):
            return None
        repo.put_evidence(
            EvidenceRecord(facts, placement.participant_id, event.provider_id, event.version)
        )
        outcome.release(f"evidence:{event.evidence_id}")
        return placement.participant_id

    def _on_retraction(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: EvidenceRetracted,
        outcome: BatchOutcome,
    ) -> str | None:
        current = repo.evidence.get(event.evidence_id)
        if current is None:
            outcome.hold(item, f"evidence:{event.evidence_id}")
            return None
        if current.provider_id != event.provider_id:
            outcome.reject(
                item,
                RejectionReason.PROVIDER_MISMATCH,
                f"evidence {event.evidence_id!r} belongs to another provider",
            )
            return None
        if current.retracted:
            return None
        current.retracted = True
        repo.put_evidence(current)
        return current.participant_id

    async def _announce_milestones(
        self, repo: SustainmentRepository, participant_ids: list[str], outcome: BatchOutcome
    ) -> None:
        recorded: list[tuple[str, RecordedMilestone]] = []
        for history in await repo.histories(participant_ids):
            recorded.extend(self._milestone_changes(history, outcome))
        if recorded:
            await repo.record_milestones(recorded)

    def _milestone_changes(
        self, history: ParticipantHistory, outcome: BatchOutcome
    ) -> list[tuple[str, RecordedMilestone]]:
        p = history.participant
        current = compute_milestones(p.window, history.placements, history.evidence)
        updates: list[tuple[str, RecordedMilestone]] = []
        for change in reconcile(history.recorded, current):
            event_id = derived_event_id(
                p.participant_id, change.milestone, change.occurrence, change.kind
            )
            if change.kind == "revoked":
                before = history.recorded[change.milestone]
                updates.append((p.participant_id, replace(before, active=False)))
                outcome.emit(
                    MILESTONES,
                    p.participant_id,
                    MilestoneRevoked(
                        event_id=event_id,
                        produced_at=outcome.now,
                        participant_id=p.participant_id,
                        provider_id=p.provider_id,
                        contract_id=p.contract_id,
                        milestone=change.milestone,
                        occurrence=change.occurrence,
                    ),
                )
                continue
            facts = change.facts
            assert facts is not None
            updates.append(
                (
                    p.participant_id,
                    RecordedMilestone(change.milestone, change.occurrence, True, facts.reached_on),
                )
            )
            outcome.emit(
                MILESTONES,
                p.participant_id,
                MilestoneReached(
                    event_id=event_id,
                    produced_at=outcome.now,
                    participant_id=p.participant_id,
                    provider_id=p.provider_id,
                    contract_id=p.contract_id,
                    eligibility_group=p.eligibility_group,
                    milestone=change.milestone,
                    occurrence=change.occurrence,
                    reached_on=facts.reached_on,
                    job_pays_llw=facts.job_pays_llw,
                    placement_id=facts.placement_id,
                    evidence_ids=facts.evidence_ids,
                    payable=facts.payable,
                    not_payable_reason=facts.not_payable_reason,
                ),
            )
        return updates


def make_handler(settings: ServiceSettings) -> SustainmentHandler:
    return SustainmentHandler(
        load_contracts(settings.reference_dir / "contracts.json"),
        load_rates(settings.reference_dir / "rates.json"),
    )

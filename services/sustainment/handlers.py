"""Sustainment use cases: participants, placements and evidence -> milestone changes.

``handle`` only applies items to the facts (every round of a transaction: the batch and
what it releases); ``finish`` then recomputes the milestones of every participant those
rounds touched, from each one's whole history, once per transaction (domain.md §6). So
arrival order never changes the result, and a milestone reached and revoked within one
transaction is never announced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.provider import EvidenceRetracted, EvidenceSubmitted
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import CONSUMERS, MILESTONES, Owner, TopicSpec
from services.common import masking
from services.common.db import Connection
from services.common.decisions import Accept, HeldSubjects, Hold, Ignore
from services.common.messages import Received, ids_named, keys_named
from services.common.outcome import BatchOutcome, derived_event_id
from services.common.provider_keys import release_key
from services.common.reference import ContractBook, Rates, load_contracts, load_rates
from services.common.rejection import Rejection
from services.common.settings import ServiceSettings
from services.sustainment.adapters.postgres import (
    EvidenceRecord,
    ParticipantHistory,
    ParticipantRecord,
    PlacementRecord,
    SustainmentRepository,
)
from services.sustainment.domain import (
    EvidenceOwner,
    KnownPlacement,
    MilestoneChange,
    ParticipantWindow,
    PlacementFacts,
    RecordedMilestone,
    compute_milestones,
    decide_evidence,
    decide_retraction,
    evidence_facts,
    evidence_subject,
    reconcile,
    recorded_after,
    settle,
)


@dataclass
class _Touched:
    """The participants whose facts changed in one transaction, and for each the latest
    ``produced_at`` of the provider events behind the change (for payment latency)."""

    outcome: BatchOutcome | None = None
    sources: dict[str, datetime | None] = field(default_factory=dict)
    displaced: list[ParticipantRecord] = field(default_factory=list)
    """Starts displaced in this transaction (§4 v3), as they stood: their milestones
    are revoked under their own contract before anything is decided."""

    def add(self, participant_id: str, source: datetime | None) -> None:
        before = self.sources.get(participant_id)
        if before is None or (source is not None and source > before):
            self.sources[participant_id] = source


class SustainmentHandler:
    service: Owner = "sustainment"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["sustainment"]
    mask_original = staticmethod(masking.mask_original)  # a referral on a wrong topic

    def __init__(self, contracts: ContractBook, rates: Rates) -> None:
        self.repository: Callable[[Connection], SustainmentRepository] = SustainmentRepository
        """Storage per transaction; the simulator swaps in memory (adapters/memory.py)."""
        self.contracts = contracts
        self.rates = rates
        self._touched = _Touched()

    def _touched_in(self, outcome: BatchOutcome) -> _Touched:
        """The touched set of the transaction ``outcome`` belongs to (a new one resets it:
        a transaction rolled back before ``finish`` leaves nothing behind)."""
        if self._touched.outcome is not outcome:
            self._touched = _Touched(outcome)
        return self._touched

    async def handle(
        self, conn: Connection, items: Sequence[Received], outcome: BatchOutcome
    ) -> None:
        touched = self._touched_in(outcome)
        repo = self.repository(conn)
        await repo.load(
            participant_ids=ids_named(items, "participant_id"),
            placements=keys_named(items, "placement_id"),
            evidence=keys_named(items, "evidence_id"),
            displaced_participants=[
                i.event.participant_id for i in items if isinstance(i.event, ParticipantDisplaced)
            ],
            starts=[
                (i.event.provider_id, i.event.referral_id)
                for i in items
                if isinstance(i.event, PlacementConfirmed)
            ],
        )
        held = HeldSubjects(
            await repo.held_waiting(
                evidence_subject(i.event.provider_id, i.event.evidence_id)
                for i in items
                if isinstance(i.event, EvidenceSubmitted | EvidenceRetracted)
            )
        )
        for item in items:
            participant_id = self._apply(repo, item, outcome, held)
            if participant_id is not None:
                touched.add(participant_id, _source_produced_at(item.event))
        await repo.flush()

    async def finish(self, conn: Connection, outcome: BatchOutcome) -> None:
        """Decide milestones once, after every round of the transaction (§6)."""
        touched = self._touched_in(outcome)
        self._touched = _Touched()
        repo = self.repository(conn)
        for displaced in touched.displaced:
            await self._revoke_displaced(repo, displaced, outcome)
        if touched.sources:
            await self._announce_milestones(repo, touched.sources, outcome)

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
        if isinstance(event, PlacementEnded | PlacementWithdrawn):
            return (
                RejectionReason.UNKNOWN_PLACEMENT,
                f"{event.type} names {event.placement_id!r}, unknown after the hold time",
            )
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{event.type} names participant {event.participant_id!r}, unknown after the hold time",
        )

    def _apply(
        self, repo: SustainmentRepository, item: Received, outcome: BatchOutcome, held: HeldSubjects
    ) -> str | None:
        """Apply one item to the facts; return the participant whose facts changed."""
        event = item.event
        if isinstance(event, ParticipantStarted):
            return self._on_participant_started(repo, item, event, outcome)
        if isinstance(event, ParticipantLeft):
            return self._on_participant_left(repo, item, event, outcome)
        if isinstance(event, ParticipantDisplaced):
            return self._on_participant_displaced(repo, event, outcome)
        if isinstance(event, PlacementConfirmed):
            return self._on_placement_confirmed(repo, item, event, outcome)
        if isinstance(event, PlacementEnded):
            return self._on_placement_ended(repo, item, event, outcome)
        if isinstance(event, PlacementWithdrawn):
            return self._on_placement_withdrawn(repo, item, event, outcome)
        if isinstance(event, EvidenceSubmitted):
            return self._on_evidence(repo, item, event, outcome, held)
        if isinstance(event, EvidenceRetracted):
            return self._on_retraction(repo, item, event, outcome, held)
        return None

    def _on_participant_started(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: ParticipantStarted,
        outcome: BatchOutcome,
    ) -> str | None:
        standing = repo.participants.get(event.participant_id)
        if standing is not None and not standing.displaced:
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
                referral_id=event.referral_id,
            )
        )
        outcome.release(f"participant:{event.participant_id}")
        outcome.release(start_key(event.provider_id, event.referral_id))
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
        if not record.started_under(event.provider_id, event.referral_id):
            return None  # the leaver of a start displaced since (§4 v3)
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
        participant = repo.participants.get(event.participant_id)
        if participant is None:
            outcome.hold(item, f"participant:{event.participant_id}")
            return None
        if (event.provider_id, event.placement_id) in repo.placements:
            return None
        facts = PlacementFacts(
            placement_id=event.placement_id,
            job_start_date=event.job_start_date,
            employment_type=event.employment_type,
            pays_llw=event.pays_llw,
        )
        record = PlacementRecord(
            facts, event.participant_id, event.provider_id, referral_id=event.referral_id
        )
        if (event.provider_id, event.referral_id) in repo.displaced_starts:
            # Confirmed under a start displaced since (§4 v3), read after the displacement:
            # kept as withdrawn, so it never counts and its withdrawal finds it.
            record.withdrawn = True
            repo.put_placement(record)
            return None
        if not participant.started_under(event.provider_id, event.referral_id):
            # Confirmed under another start of the person than the one standing here
            # (§4 v3): it waits for that start (the winning start, announced later).
            outcome.hold(item, start_key(event.provider_id, event.referral_id))
            return None
        repo.put_placement(record)
        outcome.release(release_key("placement", event.provider_id, event.placement_id))
        return event.participant_id

    def _on_participant_displaced(
        self, repo: SustainmentRepository, event: ParticipantDisplaced, outcome: BatchOutcome
    ) -> str | None:
        """§4 v3: the participant's start is displaced by an earlier one. Its placements
        are withdrawn and it counts for nothing; its milestones are revoked under its own
        contract in :meth:`finish` (payments reverses what was paid)."""
        record = repo.participants.get(event.participant_id)
        if record is None or not record.started_under(event.provider_id, event.referral_id):
            return None
        self._touched_in(outcome).displaced.append(replace(record))
        record.displaced = True
        repo.put_participant(record)
        repo.mark_displaced(event.participant_id, (event.provider_id, event.referral_id))
        for placement in list(repo.placements.values()):
            if placement.participant_id == event.participant_id and not placement.withdrawn:
                placement.withdrawn = True
                repo.put_placement(placement)
        return None

    def _on_placement_ended(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: PlacementEnded,
        outcome: BatchOutcome,
    ) -> str | None:
        record = repo.placements.get((event.provider_id, event.placement_id))
        if record is None:
            outcome.hold(item, release_key("placement", event.provider_id, event.placement_id))
            return None
        record.end_date = event.end_date
        repo.put_placement(record)
        return None  # a job end has no effect on milestones

    def _on_placement_withdrawn(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: PlacementWithdrawn,
        outcome: BatchOutcome,
    ) -> str | None:
        record = repo.placements.get((event.provider_id, event.placement_id))
        if record is None:
            outcome.hold(item, release_key("placement", event.provider_id, event.placement_id))
            return None
        if record.withdrawn:
            return None
        record.withdrawn = True
        repo.put_placement(record)
        return record.participant_id

    def _on_evidence(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: EvidenceSubmitted,
        outcome: BatchOutcome,
        held: HeldSubjects,
    ) -> str | None:
        facts, bad_hours = evidence_facts(event)
        placement = repo.placements.get((event.provider_id, event.placement_id))
        if placement is not None and placement.withdrawn:
            placement = None  # withdrawn: as if it had never been confirmed (§5)
        current = repo.evidence.get((event.provider_id, event.evidence_id))
        key = evidence_subject(event.provider_id, event.evidence_id)
        decision = decide_evidence(
            facts,
            event.version,
            event.provider_id,
            _owner(current),
            None
            if placement is None
            else KnownPlacement(placement.facts.employment_type, placement.provider_id),
            hours_worked=bad_hours,
            held_before=held.before(key),
        )
        if not _settled(decision, item, outcome, held, key) or placement is None:
            return None
        repo.put_evidence(
            EvidenceRecord(facts, placement.participant_id, event.provider_id, event.version)
        )
        outcome.release(release_key("evidence", event.provider_id, event.evidence_id))
        return placement.participant_id

    def _on_retraction(
        self,
        repo: SustainmentRepository,
        item: Received,
        event: EvidenceRetracted,
        outcome: BatchOutcome,
        held: HeldSubjects,
    ) -> str | None:
        current = repo.evidence.get((event.provider_id, event.evidence_id))
        key = evidence_subject(event.provider_id, event.evidence_id)
        decision = decide_retraction(
            event.evidence_id,
            event.provider_id,
            _owner(current),
            held_before=held.before(key),
        )
        if not _settled(decision, item, outcome, held, key) or current is None:
            return None
        current.retracted = True
        repo.put_evidence(current)
        return current.participant_id

    async def _revoke_displaced(
        self, repo: SustainmentRepository, displaced: ParticipantRecord, outcome: BatchOutcome
    ) -> None:
        """Revoke every milestone of a displaced start, under its own contract: a start
        that counts for nothing reaches nothing (reconcile against no milestones)."""
        updates: list[tuple[str, RecordedMilestone]] = []
        for history in await repo.histories([displaced.participant_id]):
            for change in reconcile(history.recorded, {}):
                before = history.recorded.get(change.milestone)
                updates.append((displaced.participant_id, recorded_after(change, before)))
                outcome.emit(
                    MILESTONES,
                    displaced.participant_id,
                    _announcement(displaced, change, None, outcome),
                )
        if updates:
            await repo.record_milestones(updates)

    async def _announce_milestones(
        self,
        repo: SustainmentRepository,
        sources: dict[str, datetime | None],
        outcome: BatchOutcome,
    ) -> None:
        recorded: list[tuple[str, RecordedMilestone]] = []
        for history in await repo.histories(sorted(sources)):
            source = sources.get(history.participant.participant_id)
            recorded.extend(self._milestone_changes(history, source, outcome))
        if recorded:
            await repo.record_milestones(recorded)

    def _milestone_changes(
        self, history: ParticipantHistory, source: datetime | None, outcome: BatchOutcome
    ) -> list[tuple[str, RecordedMilestone]]:
        p = history.participant
        if p.displaced:
            return []  # nothing counts until the winning start arrives (§4 v3)
        contract = self.contracts.get(p.contract_id)
        assert contract is not None  # participants are accepted against a known contract
        current = settle(
            compute_milestones(p.window, history.placements, history.evidence),
            contract,
            p.eligibility_group,
        )
        updates: list[tuple[str, RecordedMilestone]] = []
        for change in reconcile(history.recorded, current):
            before = history.recorded.get(change.milestone)
            updates.append((p.participant_id, recorded_after(change, before)))
            outcome.emit(MILESTONES, p.participant_id, _announcement(p, change, source, outcome))
        return updates


def _announcement(
    p: ParticipantRecord, change: MilestoneChange, source: datetime | None, outcome: BatchOutcome
) -> MilestoneReached | MilestoneRevoked:
    event_id = derived_event_id(p.participant_id, change.milestone, change.occurrence, change.kind)
    if change.kind == "revoked":
        return MilestoneRevoked(
            event_id=event_id,
            produced_at=outcome.now,
            participant_id=p.participant_id,
            provider_id=p.provider_id,
            contract_id=p.contract_id,
            milestone=change.milestone,
            occurrence=change.occurrence,
        )
    facts = change.facts
    assert facts is not None
    return MilestoneReached(
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
        source_produced_at=source,
    )


def start_key(provider_id: str, referral_id: str) -> str:
    """What a placement confirmed under a start other than the standing one waits for."""
    return f"start:{provider_id}:{referral_id}"


def _owner(record: EvidenceRecord | None) -> EvidenceOwner | None:
    if record is None:
        return None
    return EvidenceOwner(
        record.facts.placement_id, record.provider_id, record.version, record.retracted
    )


def _settled(
    decision: Rejection | Hold | Ignore | Accept,
    item: Received,
    outcome: BatchOutcome,
    held: HeldSubjects,
    key: str,
) -> bool:
    """Carry out a rejection or a hold; True only when the event is to be applied.

    A hold is kept under the evidence's subject ``key`` and noted in ``held``, so that
    later inputs of the same evidence id in this batch are held behind it."""
    if isinstance(decision, Rejection):
        outcome.reject(item, decision.reason, decision.message)
    elif isinstance(decision, Hold):
        outcome.hold(item, decision.waiting_for, key)
        held.add(key, decision.waiting_for)
    return isinstance(decision, Accept)


def _source_produced_at(event: object) -> datetime | None:
    """When the provider produced the event behind ``event``: its own ``produced_at`` for
    provider evidence, the carried ``source_produced_at`` for a confirmed placement."""
    if isinstance(event, EvidenceSubmitted | EvidenceRetracted):
        return event.produced_at
    if isinstance(event, PlacementConfirmed):
        return event.source_produced_at or event.produced_at
    return None


def make_handler(settings: ServiceSettings) -> SustainmentHandler:
    return SustainmentHandler(
        load_contracts(settings.reference_dir / "contracts.json"),
        load_rates(settings.reference_dir / "rates.json"),
    )

"""Sustainment's rules with the events that follow from them (domain.md §6, §7, §8,
§4 v3): evidence accepted or retracted, and -- once per transaction -- each touched
participant's milestones and progress recomputed from their whole history. Each function
returns its decision and the events to publish, stamped with ids derived from the input
and the time it is given (``now``).

Pure: no I/O, no clock. The handler stores what was decided and emits what is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from schemas.base import Event
from schemas.provider import EvidenceRetracted, EvidenceSubmitted
from schemas.sustainment import (
    MAX_PLACEMENTS_PER_PARTICIPANT,
    EvidenceProgress,
    EvidenceRecorded,
    EvidenceRemoved,
    MilestonePrice,
    MilestoneReached,
    MilestoneRevoked,
    PlacementEvidenceEnd,
)
from services.common.decisions import Accept, Hold, Ignore
from services.common.emits import Decided, derived_event_id, stamp
from services.common.provider_keys import release_key
from services.common.reference import Contract, ContractBook
from services.common.rejection import Rejection
from services.sustainment.counted import Counted, counted
from services.sustainment.domain import (
    EvidenceFacts,
    EvidenceOwner,
    KnownPlacement,
    MilestoneChange,
    RecordedMilestone,
    decide_evidence,
    decide_retraction,
    reconcile,
    recorded_after,
    settle,
)
from services.sustainment.milestones import milestones_of
from services.sustainment.progress import progress_of
from services.sustainment.records import (
    EvidenceRecord,
    ParticipantHistory,
    ParticipantRecord,
    PlacementRecord,
)

EvidenceDecision = Rejection | Hold | Ignore | Accept
MilestoneUpdates = list[tuple[str, RecordedMilestone]]
"""(participant_id, the milestone as it now stands) to record."""


def evidence_submitted(
    event: EvidenceSubmitted,
    facts: EvidenceFacts,
    current: EvidenceRecord | None,
    placement: PlacementRecord | None,
    *,
    hours_worked: Decimal | None,
    held_before: Sequence[str] = (),
    cause: str,
    now: datetime,
) -> Decided[EvidenceDecision]:
    """:func:`decide_evidence` (a withdrawn placement as if never confirmed, §5);
    accepted: ``evidence_recorded`` and the evidence id's key released."""
    if placement is not None and placement.withdrawn:
        placement = None
    decision = decide_evidence(
        facts,
        event.version,
        event.provider_id,
        owner(current),
        None
        if placement is None
        else KnownPlacement(placement.facts.employment_type, placement.provider_id),
        hours_worked=hours_worked,
        held_before=held_before,
    )
    if not isinstance(decision, Accept) or placement is None:
        return Decided(decision)
    recorded = EvidenceRecorded(
        **stamp(now, cause, "evidence_recorded"),
        participant_id=placement.participant_id,
        provider_id=event.provider_id,
        placement_id=event.placement_id,
        evidence_id=event.evidence_id,
        version=event.version,
        kind=event.kind,
        period_start=event.period_start,
        period_end=event.period_end,
        gross_earnings_pence=event.gross_earnings_pence,
        hours_worked=event.hours_worked,
        reported_on=event.reported_on,
    )
    return Decided(
        decision,
        (recorded,),
        (release_key("evidence", event.provider_id, event.evidence_id),),
    )


def evidence_retracted(
    event: EvidenceRetracted,
    current: EvidenceRecord | None,
    *,
    held_before: Sequence[str] = (),
    cause: str,
    now: datetime,
) -> Decided[EvidenceDecision]:
    """:func:`decide_retraction`; accepted: ``evidence_removed``."""
    decision = decide_retraction(
        event.evidence_id, event.provider_id, owner(current), held_before=held_before
    )
    if not isinstance(decision, Accept) or current is None:
        return Decided(decision)
    removed = EvidenceRemoved(
        **stamp(now, cause, "evidence_removed"),
        participant_id=current.participant_id,
        provider_id=current.provider_id,
        evidence_id=event.evidence_id,
    )
    return Decided(decision, (removed,))


def participant_changed(
    history: ParticipantHistory,
    source: datetime | None,
    triggers: Sequence[str],
    contracts: ContractBook,
    *,
    now: datetime,
) -> Decided[MilestoneUpdates]:
    """A touched participant's milestones recomputed from their whole history (§6, §7):
    the changes to record and announce, then their progress (for the views). ``source``:
    when the provider produced the latest input behind the change; ``triggers``: the
    inputs that changed it (named in the progress event's id)."""
    p = history.participant
    counts = counted(p.window, history.placements, history.evidence)
    updates, events = _milestone_changes(history, counts, source, contracts, now)
    return Decided(updates, (*events, _progress(history, counts, triggers, now)))


def displaced_revoked(
    displaced: ParticipantRecord, history: ParticipantHistory, contract: Contract, now: datetime
) -> Decided[MilestoneUpdates]:
    """Every milestone of a displaced start revoked, under its own contract: a start
    that counts for nothing reaches nothing (reconcile against no milestones, §4 v3)."""
    updates: MilestoneUpdates = []
    events: list[Event] = []
    for change in reconcile(history.recorded, {}):
        before = history.recorded.get(change.milestone)
        updates.append((displaced.participant_id, recorded_after(change, before)))
        events.append(_announcement(displaced, contract, change, None, now))
    return Decided(updates, tuple(events))


def _milestone_changes(
    history: ParticipantHistory,
    counts: Counted,
    source: datetime | None,
    contracts: ContractBook,
    now: datetime,
) -> tuple[MilestoneUpdates, list[Event]]:
    p = history.participant
    if p.displaced:
        return [], []  # nothing counts until the winning start arrives (§4 v3)
    contract = contracts.get(p.contract_id)
    assert contract is not None  # participants are accepted against a known contract
    current = settle(milestones_of(counts), contract, p.eligibility_group)
    updates: MilestoneUpdates = []
    events: list[Event] = []
    for change in reconcile(history.recorded, current):
        before = history.recorded.get(change.milestone)
        updates.append((p.participant_id, recorded_after(change, before)))
        events.append(_announcement(p, contract, change, source, now))
    return updates, events


def _announcement(
    p: ParticipantRecord,
    contract: Contract,
    change: MilestoneChange,
    source: datetime | None,
    now: datetime,
) -> MilestoneReached | MilestoneRevoked:
    event_id = derived_event_id(p.participant_id, change.milestone, change.occurrence, change.kind)
    if change.kind == "revoked":
        return MilestoneRevoked(
            event_id=event_id,
            produced_at=now,
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
        produced_at=now,
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
        price=MilestonePrice(
            contract_version=contract.version,
            base_pence=facts.price.base_pence if facts.price else 0,
            uplift_pence=facts.price.uplift_pence if facts.price else 0,
        ),
    )


def _progress(
    history: ParticipantHistory, counts: Counted, triggers: Sequence[str], now: datetime
) -> EvidenceProgress:
    """What the evidence counts so far (for the views), after this transaction."""
    p = history.participant
    counted = progress_of(counts)
    return EvidenceProgress(
        **stamp(now, p.participant_id, "evidence_progress", *sorted(triggers)),
        participant_id=p.participant_id,
        provider_id=p.provider_id,
        contract_id=p.contract_id,
        earnings_threshold_pence=p.window.earnings_threshold_pence,
        weekly_hours_min=Decimal(p.window.weekly_hours_min_hundredths) / 100,
        counted_earnings_pence=counted.earnings_pence,
        latest_employed_evidence_end=counted.latest_employed_end,
        in_work_weeks=counted.in_work_weeks,
        self_employment_days=counted.self_employment_days,
        latest_self_employment_end=counted.latest_self_employment_end,
        placements=tuple(
            PlacementEvidenceEnd(placement_id=pid, latest_period_end=end)
            for pid, end in counted.latest_end_by_placement[:MAX_PLACEMENTS_PER_PARTICIPANT]
        ),
    )


def owner(record: EvidenceRecord | None) -> EvidenceOwner | None:
    """Whose an evidence id is, as the evidence rules compare it."""
    if record is None:
        return None
    return EvidenceOwner(
        record.facts.placement_id, record.provider_id, record.version, record.retracted
    )

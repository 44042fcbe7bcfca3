"""Sustainment use cases: participants, placements and evidence -> milestone changes.

``RULES`` is the table of what sustainment does with each event type: each use case only
applies its item to the facts and marks the participant whose facts changed
(``outcome.touch``), every round of a transaction (the batch and what it releases);
``finish`` then recomputes the milestones of every touched participant, from each one's
whole history, once per transaction (domain.md §6). So arrival order never changes the
result, and a milestone reached and revoked within one transaction is never announced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import wraps
from typing import TypeVar

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.provider import EvidenceRetracted, EvidenceSubmitted
from schemas.topics import CONSUMERS, Owner, TopicSpec
from services.common import masking
from services.common.decisions import HeldSubjects
from services.common.holds import Entity, Subject, WaitFor, wait_for
from services.common.messages import Received, ids_named, keys_named
from services.common.outcome import BatchOutcome, PerTransaction
from services.common.provider_keys import release_key
from services.common.reference import ContractBook, Rates, Reference
from services.common.settings import ServiceSettings
from services.runtime.rules import Rules, run_round
from services.sustainment import decide
from services.sustainment.domain import (
    ParticipantWindow,
    PlacementFacts,
    RecordedMilestone,
    evidence_facts,
    evidence_subject,
)
from services.sustainment.records import (
    EvidenceRecord,
    ParticipantRecord,
    PlacementRecord,
    SustainmentStorage,
)


@dataclass(frozen=True)
class Round:
    """One round of a sustainment transaction: storage, decisions, held subjects, and
    the reference data the rules need."""

    repo: SustainmentStorage
    outcome: BatchOutcome
    held: HeldSubjects
    contracts: ContractBook
    rates: Rates
    displaced: list[ParticipantRecord]
    """Starts displaced in this transaction (§4 v3), as they stood: their milestones
    are revoked under their own contract in ``finish``, before anything is decided."""


RULES: Rules[Round] = Rules()

E = TypeVar("E", bound=Event)


def touches(
    rule: Callable[[Round, Received[E]], str | None],
) -> Callable[[Round, Received[E]], None]:
    """A use case that returns the participant whose facts it changed: marked touched
    with when the provider produced the event behind it (for payment latency)."""

    @wraps(rule)
    def apply(round_: Round, item: Received[E]) -> None:
        participant_id = rule(round_, item)
        if participant_id is not None:
            round_.outcome.touch(participant_id, _source_produced_at(item.event), item.message_id)

    return apply


DISPLACED: PerTransaction[list[ParticipantRecord]] = PerTransaction("displaced starts", list)
"""The starts a transaction displaced (§4 v3), as they stood: their milestones are
revoked in ``finish``."""


class SustainmentHandler:
    service: Owner = "sustainment"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["sustainment"]
    mask_original = staticmethod(masking.mask_original)  # a referral on a wrong topic
    keeps_personal_data = False

    def __init__(self, contracts: ContractBook, rates: Rates) -> None:
        self.contracts = contracts
        self.rates = rates

    async def handle(
        self, repo: SustainmentStorage, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        loaded = repo.load(
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
        displaced = outcome.gathered(DISPLACED)
        await run_round(
            repo,
            loaded,
            items,
            RULES,
            lambda held: Round(repo, outcome, held, self.contracts, self.rates, displaced),
            _subject_of,
        )

    async def finish(self, repo: SustainmentStorage, outcome: BatchOutcome) -> None:
        """Decide milestones once, after every round of the transaction (§6): first
        revoke what the starts displaced in it had reached (§4 v3)."""
        for displaced in outcome.gathered(DISPLACED):
            await revoke_displaced(repo, displaced, outcome, self.contracts)
        if outcome.touched:
            await announce_milestones(repo, outcome.touched, outcome, self.contracts)

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
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
        assert isinstance(event, ParticipantLeft | PlacementConfirmed)
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{event.type} names participant {event.participant_id!r}, unknown after the hold time",
        )


@RULES.on(ParticipantStarted)
@touches
def participant_started(round_: Round, item: Received[ParticipantStarted]) -> str | None:
    repo, outcome, event = round_.repo, round_.outcome, item.event
    standing = repo.participants.get(event.participant_id)
    if standing is not None and not standing.displaced:
        return None
    contract = round_.contracts.get(event.contract_id)
    nlw = round_.rates.nlw.rate_on(event.start_date)
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
    outcome.release(wait_for(Entity.PARTICIPANT, event.participant_id))
    outcome.release(start_key(event.provider_id, event.referral_id))
    return event.participant_id


def _participant_or_hold(
    round_: Round, item: Received[ParticipantLeft] | Received[PlacementConfirmed]
) -> ParticipantRecord | None:
    """The participant the event names; None with the event held until it starts."""
    waiting_for = wait_for(Entity.PARTICIPANT, item.event.participant_id)
    return round_.outcome.or_hold(
        round_.repo.participants.get(item.event.participant_id), item, waiting_for
    )


@RULES.on(ParticipantLeft)
@touches
def participant_left(round_: Round, item: Received[ParticipantLeft]) -> str | None:
    repo, event = round_.repo, item.event
    record = _participant_or_hold(round_, item)
    if record is None:
        return None
    if not record.started_under(event.provider_id, event.referral_id):
        return None  # the leaver of a start displaced since (§4 v3)
    record.window = replace(record.window, leaver_date=event.end_date)
    repo.put_participant(record)
    return event.participant_id


@RULES.on(PlacementConfirmed)
@touches
def placement_confirmed(round_: Round, item: Received[PlacementConfirmed]) -> str | None:
    repo, outcome, event = round_.repo, round_.outcome, item.event
    participant = _participant_or_hold(round_, item)
    if participant is None:
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


@RULES.on(ParticipantDisplaced)
def participant_displaced(round_: Round, item: Received[ParticipantDisplaced]) -> None:
    """§4 v3: the participant's start is displaced by an earlier one. Its placements
    are withdrawn and it counts for nothing; its milestones are revoked under its own
    contract in ``finish`` (payments reverses what was paid)."""
    repo, event = round_.repo, item.event
    record = repo.participants.get(event.participant_id)
    if record is None or not record.started_under(event.provider_id, event.referral_id):
        return
    round_.displaced.append(replace(record))
    record.displaced = True
    repo.put_participant(record)
    repo.mark_displaced(event.participant_id, (event.provider_id, event.referral_id))
    for placement in repo.placements_of(event.participant_id):
        if not placement.withdrawn:
            placement.withdrawn = True
            repo.put_placement(placement)


def _placement_or_hold(
    round_: Round, item: Received[PlacementEnded] | Received[PlacementWithdrawn]
) -> PlacementRecord | None:
    """The placement the event names; None with the event held until it is confirmed."""
    key = (item.event.provider_id, item.event.placement_id)
    return round_.outcome.or_hold(
        round_.repo.placements.get(key), item, release_key("placement", *key)
    )


@RULES.on(PlacementEnded)
@touches
def placement_ended(round_: Round, item: Received[PlacementEnded]) -> str | None:
    repo, event = round_.repo, item.event
    record = _placement_or_hold(round_, item)
    if record is None:
        return None
    record.end_date = event.end_date
    repo.put_placement(record)
    return None  # a job end has no effect on milestones


@RULES.on(PlacementWithdrawn)
@touches
def placement_withdrawn(round_: Round, item: Received[PlacementWithdrawn]) -> str | None:
    repo = round_.repo
    record = _placement_or_hold(round_, item)
    if record is None:
        return None
    if record.withdrawn:
        return None
    record.withdrawn = True
    repo.put_placement(record)
    return record.participant_id


@RULES.on(EvidenceSubmitted)
@touches
def evidence_submitted(round_: Round, item: Received[EvidenceSubmitted]) -> str | None:
    repo, outcome, event, held = round_.repo, round_.outcome, item.event, round_.held
    facts, bad_hours = evidence_facts(event)
    placement = repo.placements.get((event.provider_id, event.placement_id))
    key = evidence_subject(event.provider_id, event.evidence_id)
    decided = decide.evidence_submitted(
        event,
        facts,
        repo.evidence.get((event.provider_id, event.evidence_id)),
        placement,
        hours_worked=bad_hours,
        held_before=held.before(key),
        cause=item.message_id,
        now=outcome.now,
    )
    if not outcome.follow(decided, item, held, key) or placement is None:
        return None
    repo.put_evidence(
        EvidenceRecord(facts, placement.participant_id, event.provider_id, event.version)
    )
    return placement.participant_id


@RULES.on(EvidenceRetracted)
@touches
def evidence_retracted(round_: Round, item: Received[EvidenceRetracted]) -> str | None:
    repo, outcome, event, held = round_.repo, round_.outcome, item.event, round_.held
    current = repo.evidence.get((event.provider_id, event.evidence_id))
    key = evidence_subject(event.provider_id, event.evidence_id)
    decided = decide.evidence_retracted(
        event, current, held_before=held.before(key), cause=item.message_id, now=outcome.now
    )
    if not outcome.follow(decided, item, held, key) or current is None:
        return None
    current.retracted = True
    repo.put_evidence(current)
    return current.participant_id


async def announce_milestones(
    repo: SustainmentStorage,
    sources: dict[str, datetime | None],
    outcome: BatchOutcome,
    contracts: ContractBook,
) -> None:
    """Recompute the milestones of the participants in ``sources`` from their whole
    histories, record and announce what changed (§6, §7), and their progress."""
    recorded: list[tuple[str, RecordedMilestone]] = []
    for history in await repo.histories(sorted(sources)):
        participant_id = history.participant.participant_id
        decided = decide.participant_changed(
            history,
            sources.get(participant_id),
            outcome.touched_by.get(participant_id, []),
            contracts,
            now=outcome.now,
        )
        recorded.extend(decided.decision)
        outcome.publish(*decided.events)
    if recorded:
        await repo.record_milestones(recorded)


async def revoke_displaced(
    repo: SustainmentStorage,
    displaced: ParticipantRecord,
    outcome: BatchOutcome,
    contracts: ContractBook,
) -> None:
    """Revoke every milestone of a displaced start, under its own contract."""
    contract = contracts.get(displaced.contract_id)
    assert contract is not None  # participants are accepted against a known contract
    updates: list[tuple[str, RecordedMilestone]] = []
    for history in await repo.histories([displaced.participant_id]):
        decided = decide.displaced_revoked(displaced, history, contract, outcome.now)
        updates.extend(decided.decision)
        outcome.publish(*decided.events)
    if updates:
        await repo.record_milestones(updates)


def start_key(provider_id: str, referral_id: str) -> WaitFor:
    """What a placement confirmed under a start other than the standing one waits for:
    that (provider's) referral's start, announced by intake."""
    return release_key("started", provider_id, referral_id)


def _subject_of(event: Event) -> Subject | None:
    """Versions and retractions of an evidence id keep their arrival order."""
    if isinstance(event, EvidenceSubmitted | EvidenceRetracted):
        return evidence_subject(event.provider_id, event.evidence_id)
    return None


def _source_produced_at(event: object) -> datetime | None:
    """When the provider produced the event behind ``event``: its own ``produced_at`` for
    provider evidence, the carried ``source_produced_at`` for a confirmed placement."""
    if isinstance(event, EvidenceSubmitted | EvidenceRetracted):
        return event.produced_at
    if isinstance(event, PlacementConfirmed):
        return event.source_produced_at or event.produced_at
    return None


def make_handler(settings: ServiceSettings, reference: Reference) -> SustainmentHandler:
    return SustainmentHandler(reference.contracts, reference.rates)

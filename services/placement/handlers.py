"""Placement use cases: job starts and ends -> confirmed placements with wage flags.

``RULES`` is the table of what placement does with each event type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.provider import JobEnded, JobStarted
from schemas.topics import CONSUMERS, Owner, TopicSpec
from services.common import holds, masking
from services.common.decisions import HeldSubjects, Hold, Ignore
from services.common.holds import Entity, Subject
from services.common.messages import RawRecord, Received, ids_named, keys_named
from services.common.outcome import BatchOutcome
from services.common.provider_keys import ProviderKey
from services.common.reference import Rates, Reference
from services.common.settings import ServiceSettings
from services.placement import decide
from services.placement.decide import Withdrawals
from services.placement.domain import JobAssessment, ParticipantOnProgramme
from services.placement.records import PlacementRecord, PlacementStorage
from services.runtime.rules import Rules, run_round


@dataclass(frozen=True)
class Round:
    """One round of a placement transaction: storage, decisions, held subjects, rates."""

    repo: PlacementStorage
    outcome: BatchOutcome
    held: HeldSubjects
    rates: Rates


RULES: Rules[Round] = Rules()


class PlacementHandler:
    service: Owner = "placement"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["placement"]
    mask_original = staticmethod(masking.mask_original)  # a referral on a wrong topic
    keeps_personal_data = False

    def __init__(self, rates: Rates) -> None:
        self.rates = rates

    async def handle(
        self, repo: PlacementStorage, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        loaded = repo.load(
            participant_ids=ids_named(items, "participant_id"),
            referrals=keys_named(items, "referral_id"),
            placements=keys_named(items, "placement_id"),
        )
        await run_round(
            repo,
            loaded,
            items,
            RULES,
            lambda held: Round(repo, outcome, held, self.rates),
            _subject_of,
        )

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        event = item.event
        if isinstance(event, JobEnded):
            return (
                RejectionReason.UNKNOWN_PLACEMENT,
                f"job_end names placement_id {event.placement_id!r}, unknown after the hold time",
            )
        ref = getattr(event, "referral_id", getattr(event, "participant_id", "?"))
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{getattr(event, 'type', '?')} names {ref!r},"
            " which has not started the programme after the hold time",
        )

    async def finish(self, repo: PlacementStorage, outcome: BatchOutcome) -> None:
        """Nothing to decide once per transaction: each event is decided as it comes."""


@RULES.on(ParticipantStarted)
def participant_started(round_: Round, item: Received[ParticipantStarted]) -> None:
    repo, event = round_.repo, item.event
    if repo.participant(event.participant_id) is None:
        repo.put_participant(
            (event.provider_id, event.referral_id),
            ParticipantOnProgramme(
                participant_id=event.participant_id,
                provider_id=event.provider_id,
                contract_id=event.contract_id,
                start_date=event.start_date,
                leaver_date=None,
            ),
        )
    round_.outcome.follow(decide.participant_started(event), item)


@RULES.on(ParticipantLeft)
def participant_left(round_: Round, item: Received[ParticipantLeft]) -> None:
    repo, outcome, event = round_.repo, round_.outcome, item.event
    participant = repo.participant(event.participant_id)
    stored = {p.key: p for p in repo.placements_of(event.participant_id)}
    decided = decide.participant_left(
        event,
        participant,
        repo.referral_of.get(event.participant_id),
        [p.stored for p in stored.values()],
        now=outcome.now,
    )
    if not outcome.follow(decided, item) or participant is None:
        return
    own = (event.provider_id, event.referral_id)
    repo.put_participant(own, replace(participant, leaver_date=event.end_date))
    _withdraw(repo, stored, decided.decision, outcome)


@RULES.on(ParticipantDisplaced)
def participant_displaced(round_: Round, item: Received[ParticipantDisplaced]) -> None:
    """§4 v3: the placements under a displaced start are withdrawn (``decide``)."""
    repo, outcome, event = round_.repo, round_.outcome, item.event
    stored = {p.key: p for p in repo.placements_of(event.participant_id)}
    decided = decide.participant_displaced(
        event,
        repo.referral_of.get(event.participant_id),
        [p.stored for p in stored.values()],
        now=outcome.now,
    )
    if not outcome.follow(decided, item):
        return
    repo.displace((event.provider_id, event.referral_id))
    _withdraw(repo, stored, decided.decision, outcome)


def _withdraw(
    repo: PlacementStorage,
    stored: dict[ProviderKey, PlacementRecord],
    withdrawals: Hold | Ignore | Withdrawals,
    outcome: BatchOutcome,
) -> None:
    """Mark each placement withdrawn; tell its provider with a rejection of each job
    start it was confirmed from (a later leaver), or hold those again (displaced)."""
    assert isinstance(withdrawals, tuple)  # accepted
    for withdraw in withdrawals:
        record = stored[withdraw.key]
        record.withdrawn = True
        repo.put_placement(record)
        job = record.job
        sources = [(record.source_event_id, record.source)] if record.source else []
        for event_id, source in [*sources, *record.resends]:
            if withdraw.told is not None:
                outcome.reject_record(
                    source, withdraw.told.reason, withdraw.told.message, event_id, job.provider_id
                )
            elif withdraw.waits_for is not None and event_id is not None:
                key = subject(job.provider_id, job.placement_id)
                outcome.hold_record(
                    message_id_of(event_id, source), source, withdraw.waits_for, key
                )


@RULES.on(JobStarted)
def job_started(round_: Round, item: Received[JobStarted]) -> None:
    repo, outcome, event, held = round_.repo, round_.outcome, item.event, round_.held
    participant = repo.by_referral.get((event.provider_id, event.referral_id))
    existing = repo.placements.get((event.provider_id, event.placement_id))
    key = subject(event.provider_id, event.placement_id)
    decided = decide.job_started(
        event,
        existing.stored if existing else None,
        participant,
        round_.rates,
        held_before=held.before(key),
        cause=item.message_id,
        now=outcome.now,
    )
    decision = decided.decision
    if isinstance(decision, JobAssessment) and participant is not None:
        repo.put_placement(
            PlacementRecord(
                event,
                participant.participant_id,
                decision.pays_llw,
                decision.below_minimum_wage,
                source=item.record,
                source_event_id=item.event_id,
            )
        )
    elif isinstance(decision, Ignore) and existing is not None:
        repo.add_resend(existing.key, item.event_id, item.record)  # no effect, but kept
    outcome.follow(decided, item, held, key)


@RULES.on(JobEnded)
def job_ended(round_: Round, item: Received[JobEnded]) -> None:
    repo, outcome, event, held = round_.repo, round_.outcome, item.event, round_.held
    record = repo.placements.get((event.provider_id, event.placement_id))
    key = subject(event.provider_id, event.placement_id)
    decided = decide.job_ended(
        event,
        record.stored if record else None,
        record.end_date if record else None,
        held_before=held.before(key),
        cause=item.message_id,
        now=outcome.now,
    )
    if not outcome.follow(decided, item, held, key) or record is None:
        return
    record.end_date = event.end_date
    repo.put_placement(record)


def message_id_of(event_id: str, record: RawRecord) -> str:
    """The inbox identity of a kept record (as ``Received.message_id``)."""
    return event_id if record.provider_id is None else f"{record.provider_id}:{event_id}"


def _subject_of(event: Event) -> Subject | None:
    """Job starts and ends keep their arrival order per placement id."""
    if isinstance(event, JobStarted | JobEnded):
        return subject(event.provider_id, event.placement_id)
    return None


def subject(provider_id: str, placement_id: str) -> Subject:
    """The subject of a placement id's job starts and ends: their arrival order matters."""
    return holds.subject(Entity.PLACEMENT, provider_id, placement_id)


def make_handler(settings: ServiceSettings, reference: Reference) -> PlacementHandler:
    return PlacementHandler(reference.rates)

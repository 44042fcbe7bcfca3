"""Placement use cases: job starts and ends -> confirmed placements with wage flags.

``RULES`` is the table of what placement does with each event type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.provider import JobEnded, JobStarted
from schemas.topics import CONSUMERS, PLACEMENTS, Owner, TopicSpec
from services.common import holds, masking
from services.common.decisions import HeldSubjects, Hold
from services.common.holds import Entity, Subject, wait_for
from services.common.messages import RawRecord, Received, ids_named, keys_named
from services.common.outcome import BatchOutcome
from services.common.provider_keys import release_key
from services.common.reference import Rates, Reference
from services.common.rejection import Rejection
from services.common.settings import ServiceSettings
from services.placement.domain import (
    JobAssessment,
    ParticipantOnProgramme,
    decide_job_end,
    decide_job_start,
    to_withdraw,
    to_withdraw_displaced,
    withdrawal_message,
)
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
    repo, outcome, event = round_.repo, round_.outcome, item.event
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
    outcome.release(release_key("referral", event.provider_id, event.referral_id))
    outcome.release(wait_for(Entity.PARTICIPANT, event.participant_id))


@RULES.on(ParticipantLeft)
def participant_left(round_: Round, item: Received[ParticipantLeft]) -> None:
    repo, outcome, event = round_.repo, round_.outcome, item.event
    participant = outcome.or_hold(
        repo.participant(event.participant_id),
        item,
        wait_for(Entity.PARTICIPANT, event.participant_id),
    )
    if participant is None:
        return
    own = (event.provider_id, event.referral_id)
    if repo.referral_of.get(event.participant_id) != own:
        return  # the leaver of a start displaced since (§4 v3): it counts for nothing
    repo.put_participant(own, replace(participant, leaver_date=event.end_date))
    stored = {p.key: p for p in repo.placements_of(event.participant_id)}
    for job in to_withdraw(event.end_date, [p.stored for p in stored.values()]):
        _withdraw(repo, stored[(job.job.provider_id, job.job.placement_id)], event, outcome)


@RULES.on(ParticipantDisplaced)
def participant_displaced(round_: Round, item: Received[ParticipantDisplaced]) -> None:
    """§4 v3: the start under the event's referral is displaced by an earlier start of
    the same person. Its placements are withdrawn (``already_started``) and their job
    starts wait again for their referral to start -- as they would have had the start
    been rejected on arrival (after the hold time: ``unknown_participant``)."""
    repo, outcome, event = round_.repo, round_.outcome, item.event
    referral = (event.provider_id, event.referral_id)
    if repo.referral_of.get(event.participant_id) != referral:
        return
    repo.displace(referral)
    stored = {p.key: p for p in repo.placements_of(event.participant_id)}
    for job in to_withdraw_displaced(referral, [p.stored for p in stored.values()]):
        _withdraw_displaced(repo, stored[(job.job.provider_id, job.job.placement_id)], outcome)


def _withdrawn(
    repo: PlacementStorage,
    record: PlacementRecord,
    outcome: BatchOutcome,
    id_parts: tuple[str, ...],
    *,
    reason: RejectionReason = RejectionReason.AFTER_PROGRAMME_END,
    leaver_date: date | None = None,
) -> None:
    """Mark the placement withdrawn and announce it (``placement_withdrawn``), for the
    later leaver (``leaver_date``) or the displaced start (``reason``) behind it."""
    record.withdrawn = True
    repo.put_placement(record)
    job = record.job
    outcome.announce(
        PLACEMENTS,
        PlacementWithdrawn(
            **outcome.stamp(*id_parts),
            **record.about(),
            job_start_event_id=record.source_event_id or str(job.event_id),
            job_start_date=job.job_start_date,
            reason=reason,
            leaver_date=leaver_date,
        ),
    )


def _withdraw_displaced(
    repo: PlacementStorage, record: PlacementRecord, outcome: BatchOutcome
) -> None:
    job = record.job
    _withdrawn(
        repo,
        record,
        outcome,
        (job.provider_id, job.placement_id, job.referral_id, "displaced"),
        reason=RejectionReason.ALREADY_STARTED,
    )
    sources = [(record.source_event_id, record.source)] if record.source else []
    waiting_for = release_key("referral", job.provider_id, job.referral_id)
    key = subject(job.provider_id, job.placement_id)
    for event_id, source in [*sources, *record.resends]:
        if event_id is not None:
            outcome.hold_record(message_id_of(event_id, source), source, waiting_for, key)


def _withdraw(
    repo: PlacementStorage, record: PlacementRecord, left: ParticipantLeft, outcome: BatchOutcome
) -> None:
    """§5: the job starts after a leaver date that arrived later -- withdraw it, and
    tell the provider with a rejection of the original job start."""
    job = record.job
    _withdrawn(
        repo,
        record,
        outcome,
        (job.provider_id, job.placement_id, "placement_withdrawn"),
        leaver_date=left.end_date,
    )
    sources = [(record.source_event_id, record.source)] if record.source else []
    for event_id, source in [*sources, *record.resends]:
        outcome.reject_record(
            source,
            RejectionReason.AFTER_PROGRAMME_END,
            withdrawal_message(job, left.end_date),
            event_id,
            job.provider_id,
        )


@RULES.on(JobStarted)
def job_started(round_: Round, item: Received[JobStarted]) -> None:
    repo, outcome, event, held = round_.repo, round_.outcome, item.event, round_.held
    participant = repo.by_referral.get((event.provider_id, event.referral_id))
    existing = repo.placements.get((event.provider_id, event.placement_id))
    key = subject(event.provider_id, event.placement_id)
    decision = decide_job_start(
        event,
        existing.stored if existing else None,
        participant,
        round_.rates,
        held_before=held.before(key),
    )
    if isinstance(decision, Rejection | Hold):
        outcome.carry_out(decision, item, held, key)
        return
    if not isinstance(decision, JobAssessment) or participant is None:
        if existing is not None:  # a re-send of the same job start: no effect, but kept
            repo.add_resend(existing.key, item.event_id, item.record)
        return
    placement = PlacementRecord(
        event,
        participant.participant_id,
        decision.pays_llw,
        decision.below_minimum_wage,
        source=item.record,
        source_event_id=item.event_id,
    )
    repo.put_placement(placement)
    outcome.announce(
        PLACEMENTS,
        PlacementConfirmed(
            **outcome.stamp(item.message_id, "placement_confirmed"),
            **placement.about(),
            referral_id=event.referral_id,
            contract_id=participant.contract_id,
            job_start_date=event.job_start_date,
            employment_type=event.employment_type,
            hourly_wage_pence=event.hourly_wage_pence,
            weekly_hours=event.weekly_hours,
            pays_llw=decision.pays_llw,
            below_minimum_wage=decision.below_minimum_wage,
            sic_sector=event.sic_sector,
            employer_name=event.employer_name,
            source_produced_at=event.produced_at,
        ),
    )
    outcome.release(release_key("placement", event.provider_id, event.placement_id))


@RULES.on(JobEnded)
def job_ended(round_: Round, item: Received[JobEnded]) -> None:
    repo, outcome, event, held = round_.repo, round_.outcome, item.event, round_.held
    record = repo.placements.get((event.provider_id, event.placement_id))
    key = subject(event.provider_id, event.placement_id)
    decision = decide_job_end(
        event.placement_id,
        event.provider_id,
        event.end_date,
        record.stored if record else None,
        record.end_date if record else None,
        held_before=held.before(key),
    )
    if not outcome.carry_out(decision, item, held, key) or record is None:
        return
    record.end_date = event.end_date
    repo.put_placement(record)
    outcome.announce(
        PLACEMENTS,
        PlacementEnded(
            **outcome.stamp(item.message_id, "placement_ended"),
            **record.about(),
            end_date=event.end_date,
        ),
    )


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

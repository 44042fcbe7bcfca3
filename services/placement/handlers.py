"""Placement use cases: job starts and ends -> confirmed placements with wage flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from schemas.common import RejectionReason
from schemas.intake import ParticipantLeft, ParticipantStarted
from schemas.placement import PlacementConfirmed, PlacementEnded
from schemas.provider import JobEnded, JobStarted
from schemas.topics import (
    CONSUMERS,
    PLACEMENTS,
    Owner,
    TopicSpec,
)
from services.common.db import Connection
from services.common.messages import Received, ids_named
from services.common.outcome import BatchOutcome, derived_event_id
from services.common.reference import Rates, load_rates
from services.common.settings import ServiceSettings
from services.placement.adapters.postgres import PlacementRecord, PlacementRepository
from services.placement.domain import (
    JobAssessment,
    ParticipantOnProgramme,
    assess_job_start,
    check_job_end,
    same_job_content,
)


class PlacementHandler:
    service: Owner = "placement"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["placement"]

    def __init__(self, rates: Rates) -> None:
        self.rates = rates

    async def handle(
        self, conn: Connection, items: Sequence[Received], outcome: BatchOutcome
    ) -> None:
        repo = PlacementRepository(conn)
        await repo.load(
            participant_ids=ids_named(items, "participant_id"),
            referral_ids=ids_named(items, "referral_id"),
            placement_ids=ids_named(items, "placement_id"),
        )
        for item in items:
            event = item.event
            if isinstance(event, ParticipantStarted):
                self._on_participant_started(repo, event, outcome)
            elif isinstance(event, ParticipantLeft):
                self._on_participant_left(repo, item, event, outcome)
            elif isinstance(event, JobStarted):
                self._on_job_started(repo, item, event, outcome)
            elif isinstance(event, JobEnded):
                self._on_job_ended(repo, item, event, outcome)
        await repo.flush()

    def expired(self, item: Received) -> tuple[RejectionReason, str]:
        event = item.event
        if isinstance(event, JobEnded):
            return (
                RejectionReason.UNKNOWN_PLACEMENT,
                f"job_end names placement_id {event.placement_id!r}, unknown after the hold time",
            )
        ref = getattr(event, "referral_id", getattr(event, "participant_id", "?"))
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{event.type} names {ref!r}, which has not started the programme after the hold time",
        )

    def _on_participant_started(
        self, repo: PlacementRepository, event: ParticipantStarted, outcome: BatchOutcome
    ) -> None:
        if repo.participant(event.participant_id) is None:
            repo.put_participant(
                event.referral_id,
                ParticipantOnProgramme(
                    participant_id=event.participant_id,
                    provider_id=event.provider_id,
                    contract_id=event.contract_id,
                    start_date=event.start_date,
                    leaver_date=None,
                ),
            )
        outcome.release(f"referral:{event.referral_id}")
        outcome.release(f"participant:{event.participant_id}")

    def _on_participant_left(
        self,
        repo: PlacementRepository,
        item: Received,
        event: ParticipantLeft,
        outcome: BatchOutcome,
    ) -> None:
        participant = repo.participant(event.participant_id)
        if participant is None:
            outcome.hold(item, f"participant:{event.participant_id}")
            return
        repo.put_participant(event.referral_id, replace(participant, leaver_date=event.end_date))

    def _on_job_started(
        self, repo: PlacementRepository, item: Received, event: JobStarted, outcome: BatchOutcome
    ) -> None:
        participant = repo.by_referral.get(event.referral_id)
        if participant is None:
            outcome.hold(item, f"referral:{event.referral_id}")
            return
        assessment = assess_job_start(event, participant, self.rates)
        if not isinstance(assessment, JobAssessment):
            outcome.reject(item, assessment.reason, assessment.message)
            return
        existing = repo.placements.get(event.placement_id)
        if existing is not None:
            if not same_job_content(existing.job, event):
                outcome.reject(
                    item,
                    RejectionReason.INVALID_JOB,
                    f"placement_id {event.placement_id!r} was already used with other content",
                )
            return
        repo.put_placement(
            PlacementRecord(
                event,
                participant.participant_id,
                assessment.pays_llw,
                assessment.below_minimum_wage,
            )
        )
        outcome.emit(
            PLACEMENTS,
            participant.participant_id,
            PlacementConfirmed(
                event_id=derived_event_id(item.event_id, "placement_confirmed"),
                produced_at=outcome.now,
                participant_id=participant.participant_id,
                placement_id=event.placement_id,
                referral_id=event.referral_id,
                provider_id=event.provider_id,
                contract_id=participant.contract_id,
                job_start_date=event.job_start_date,
                employment_type=event.employment_type,
                hourly_wage_pence=event.hourly_wage_pence,
                weekly_hours=event.weekly_hours,
                pays_llw=assessment.pays_llw,
                below_minimum_wage=assessment.below_minimum_wage,
                sic_sector=event.sic_sector,
            ),
        )
        outcome.release(f"placement:{event.placement_id}")

    def _on_job_ended(
        self, repo: PlacementRepository, item: Received, event: JobEnded, outcome: BatchOutcome
    ) -> None:
        record = repo.placements.get(event.placement_id)
        if record is None:
            outcome.hold(item, f"placement:{event.placement_id}")
            return
        if record.job.provider_id != event.provider_id:
            outcome.reject(
                item,
                RejectionReason.PROVIDER_MISMATCH,
                f"placement {event.placement_id!r} belongs to another provider",
            )
            return
        rejection = check_job_end(event.end_date, record.job.job_start_date)
        if rejection is not None:
            outcome.reject(item, rejection.reason, rejection.message)
            return
        if record.end_date == event.end_date:
            return
        record.end_date = event.end_date
        repo.put_placement(record)
        outcome.emit(
            PLACEMENTS,
            record.participant_id,
            PlacementEnded(
                event_id=derived_event_id(item.event_id, "placement_ended"),
                produced_at=outcome.now,
                participant_id=record.participant_id,
                placement_id=event.placement_id,
                provider_id=event.provider_id,
                end_date=event.end_date,
            ),
        )


def make_handler(settings: ServiceSettings) -> PlacementHandler:
    return PlacementHandler(load_rates(settings.reference_dir / "rates.json"))

"""Placement's rules with what follows from them (domain.md §4 v3, §5, §9): each
function returns its decision and the placements events to publish, stamped with ids
derived from the input (``cause``) and the time it is given (``now``).

Pure: no I/O, no clock. The handler stores what was accepted and emits what is returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.provider import JobEnded, JobStarted
from services.common.decisions import ACCEPT, IGNORE, Accept, Hold, Ignore
from services.common.emits import Decided, stamp
from services.common.holds import Entity, WaitFor, wait_for
from services.common.provider_keys import ProviderKey, release_key
from services.common.reference import Rates
from services.common.rejection import Rejection
from services.placement.domain import (
    JobAssessment,
    ParticipantOnProgramme,
    StoredJob,
    decide_job_end,
    decide_job_start,
    to_withdraw,
    to_withdraw_displaced,
    withdrawal_message,
)


@dataclass(frozen=True)
class Withdraw:
    """Withdraw the placement of ``job``: its provider is ``told`` (a later leaver,
    §5), or its job start waits again until ``waits_for`` (a displaced start, §4 v3)."""

    job: StoredJob
    told: Rejection | None = None
    waits_for: WaitFor | None = None

    @property
    def key(self) -> ProviderKey:
        return (self.job.job.provider_id, self.job.job.placement_id)


Withdrawals = tuple[Withdraw, ...]


def participant_started(event: ParticipantStarted) -> Decided[Accept]:
    """A started participant releases the job starts waiting for them."""
    return Decided(
        ACCEPT,
        releases=(
            release_key("referral", event.provider_id, event.referral_id),
            wait_for(Entity.PARTICIPANT, event.participant_id),
        ),
    )


def participant_left(
    event: ParticipantLeft,
    participant: ParticipantOnProgramme | None,
    standing: ProviderKey | None,
    placements: Iterable[StoredJob],
    *,
    now: datetime,
) -> Decided[Hold | Ignore | Withdrawals]:
    """Held until the participant started; the leaver of a start displaced since
    (``standing`` is another referral) counts for nothing (§4 v3); else the placements
    that start after the leaver date are withdrawn (§5, :func:`to_withdraw`)."""
    if participant is None:
        return Decided(Hold(wait_for(Entity.PARTICIPANT, event.participant_id)))
    if standing != (event.provider_id, event.referral_id):
        return Decided(IGNORE)
    withdrawals = tuple(
        Withdraw(
            job,
            told=Rejection(
                RejectionReason.AFTER_PROGRAMME_END, withdrawal_message(job.job, event.end_date)
            ),
        )
        for job in to_withdraw(event.end_date, placements)
    )
    events = tuple(
        _withdrawn(
            w.job,
            (w.job.job.provider_id, w.job.job.placement_id, "placement_withdrawn"),
            now,
            leaver_date=event.end_date,
        )
        for w in withdrawals
    )
    return Decided(withdrawals, events)


def participant_displaced(
    event: ParticipantDisplaced,
    standing: ProviderKey | None,
    placements: Iterable[StoredJob],
    *,
    now: datetime,
) -> Decided[Ignore | Withdrawals]:
    """§4 v3: the start under the event's referral is displaced by an earlier start of
    the same person. Its placements are withdrawn (``already_started``) and their job
    starts wait again for their referral to start -- as they would have had the start
    been rejected on arrival (after the hold time: ``unknown_participant``)."""
    referral = (event.provider_id, event.referral_id)
    if standing != referral:
        return Decided(IGNORE)
    withdrawals = tuple(
        Withdraw(job, waits_for=release_key("referral", job.job.provider_id, job.job.referral_id))
        for job in to_withdraw_displaced(referral, placements)
    )
    events = tuple(
        _withdrawn(
            w.job,
            (w.job.job.provider_id, w.job.job.placement_id, w.job.job.referral_id, "displaced"),
            now,
            reason=RejectionReason.ALREADY_STARTED,
        )
        for w in withdrawals
    )
    return Decided(withdrawals, events)


def _withdrawn(
    job: StoredJob,
    id_parts: tuple[str, ...],
    now: datetime,
    *,
    reason: RejectionReason = RejectionReason.AFTER_PROGRAMME_END,
    leaver_date: date | None = None,
) -> Event:
    """``placement_withdrawn``, for the later leaver (``leaver_date``) or the displaced
    start (``reason``) behind it."""
    return PlacementWithdrawn(
        **stamp(now, *id_parts),
        **job.about(),
        job_start_event_id=job.job_start_event_id,
        job_start_date=job.job.job_start_date,
        reason=reason,
        leaver_date=leaver_date,
    )


def job_started(
    event: JobStarted,
    stored: StoredJob | None,
    participant: ParticipantOnProgramme | None,
    rates: Rates,
    *,
    held_before: Sequence[str] = (),
    cause: str,
    now: datetime,
) -> Decided[Rejection | Hold | Ignore | JobAssessment]:
    """:func:`decide_job_start`; assessed: ``placement_confirmed`` with its flags, and
    the placement's key released. Anything else accepted is a re-send (ignored)."""
    decision = decide_job_start(event, stored, participant, rates, held_before=held_before)
    if isinstance(decision, Rejection | Hold):
        return Decided(decision)
    if not isinstance(decision, JobAssessment) or participant is None:
        return Decided(IGNORE)
    confirmed = PlacementConfirmed(
        **stamp(now, cause, "placement_confirmed"),
        **StoredJob(event, participant.participant_id).about(),
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
    )
    return Decided(
        decision,
        (confirmed,),
        (release_key("placement", event.provider_id, event.placement_id),),
    )


def job_ended(
    event: JobEnded,
    stored: StoredJob | None,
    current_end: date | None,
    *,
    held_before: Sequence[str] = (),
    cause: str,
    now: datetime,
) -> Decided[Rejection | Hold | Ignore | Accept]:
    """:func:`decide_job_end`; accepted: ``placement_ended``."""
    decision = decide_job_end(
        event.placement_id,
        event.provider_id,
        event.end_date,
        stored,
        current_end,
        held_before=held_before,
    )
    if not isinstance(decision, Accept) or stored is None:
        return Decided(decision)
    ended = PlacementEnded(
        **stamp(now, cause, "placement_ended"),
        **stored.about(),
        end_date=event.end_date,
    )
    return Decided(decision, (ended,))

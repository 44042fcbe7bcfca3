"""Intake's rules with what follows from them (domain.md §4, §9): each function returns
its decision and the participants events to publish, stamped with ids derived from the
input (``cause``) and the time it is given (``now``).

Pure: no I/O, no clock. The handler stores what was accepted and emits what is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.provider import ProgrammeEnded, ProgrammeStarted, ReferralMade
from services.common.boroughs import locate_borough
from services.common.decisions import Accept, Hold, Ignore
from services.common.emits import Decided, stamp
from services.common.provider_keys import release_key
from services.common.reference import ContractBook
from services.common.rejection import Rejection
from services.intake.domain import (
    Displace,
    ReferralState,
    StartClaim,
    age_band,
    age_on,
    decide_end,
    decide_referral,
    decide_start,
    displaced_message,
)


def referral_made(
    referral: ReferralMade, stored: ReferralMade | None, contracts: ContractBook
) -> Decided[Rejection | Ignore | Accept]:
    """:func:`decide_referral`; an accepted referral releases the inputs waiting for it."""
    decision = decide_referral(referral, stored, contracts)
    if not isinstance(decision, Accept):
        return Decided(decision)
    return Decided(decision, releases=(release_key("referral", *_own(referral)),))


@dataclass(frozen=True)
class StartDecided(Decided[Rejection | Hold | Ignore | Accept | Displace]):
    """A start's decision; when it displaces the person's standing start, the rejection
    (``already_started``) the displaced start's provider is told."""

    displaced: Rejection | None = None


def programme_started(
    start: ProgrammeStarted,
    stored: ReferralState | None,
    standing: ReferralState | None,
    contracts: ContractBook,
    *,
    held_before: Sequence[str] = (),
    cause: str,
    now: datetime,
) -> StartDecided:
    """:func:`decide_start` against the person's ``standing`` start. Accepted: the
    referral's ``started`` key released and ``participant_started`` announced -- after
    ``participant_displaced`` of the standing start when this one displaces it."""
    decision = decide_start(start, stored, claim_of(standing), contracts, held_before=held_before)
    if isinstance(decision, Rejection | Hold | Ignore) or stored is None:
        return StartDecided(decision)
    referral = stored.referral
    sub_region, borough = locate_borough(referral.borough)
    started = ParticipantStarted(
        **stamp(now, cause, "participant_started"),
        **stored.about(),
        sub_region=sub_region,
        borough=borough,
        eligibility_group=referral.eligibility_group,
        eligibility_subgroup=referral.eligibility_subgroup,
        referral_source=referral.referral_source,
        age_band=age_band(age_on(referral.date_of_birth, referral.referral_date)),
        start_date=start.start_date,
    )
    releases = (release_key("started", *_own(start)),)
    if not isinstance(decision, Displace):
        return StartDecided(decision, (started,), releases)
    assert standing is not None
    assert standing.start_date is not None
    winner = claim_of(stored, start.start_date)
    assert winner is not None
    displaced = ParticipantDisplaced(
        **stamp(now, cause, "participant_displaced"),
        **standing.about(),
        start_date=standing.start_date,
    )
    told = Rejection(
        RejectionReason.ALREADY_STARTED,
        displaced_message(winner, standing.referral.provider_id),
    )
    return StartDecided(decision, (displaced, started), releases, told)


def programme_ended(
    end: ProgrammeEnded,
    stored: ReferralState | None,
    *,
    held_before: Sequence[str] = (),
    cause: str,
    now: datetime,
) -> Decided[Rejection | Hold | Ignore | Accept]:
    """:func:`decide_end`; accepted: ``participant_left`` announced."""
    decision = decide_end(end, stored, held_before=held_before)
    if not isinstance(decision, Accept) or stored is None:
        return Decided(decision)
    left = ParticipantLeft(
        **stamp(now, cause, "participant_left"),
        **stored.about(),
        end_date=end.end_date,
        reason=end.reason,
    )
    return Decided(decision, (left,))


def claim_of(state: ReferralState | None, start_date: date | None = None) -> StartClaim | None:
    """The start of ``state`` (on ``start_date``, or the one recorded) as §4 compares it."""
    on = start_date or (state.start_date if state else None)
    if state is None or on is None:
        return None
    ref = state.referral
    return StartClaim(on, ref.referral_date, ref.provider_id, ref.referral_id)


def _own(event: ReferralMade | ProgrammeStarted | ProgrammeEnded) -> tuple[str, str]:
    return (event.provider_id, event.referral_id)

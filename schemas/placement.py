"""Events owned by the placement service: confirmed job starts with wage flags."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from schemas.base import Event
from schemas.bounds import BoundedDate, BoundedPence, ContractId, Hours, Id, Name, ProviderId
from schemas.common import EmploymentType, NonEmptyStr, RejectionReason


class PlacementConfirmed(Event):
    """A job start accepted for a participant.

    ``pays_llw``: hourly wage >= London Living Wage on the job start date.
    ``below_minimum_wage``: hourly wage < National Living Wage on that date (a feed
    for local enforcement; the job still counts for outcomes).
    ``source_produced_at``: when the provider produced the job start (for latency).
    """

    type: Literal["placement_confirmed"] = "placement_confirmed"
    participant_id: NonEmptyStr
    placement_id: Id
    referral_id: Id
    provider_id: ProviderId
    contract_id: ContractId
    job_start_date: BoundedDate
    employment_type: EmploymentType
    hourly_wage_pence: BoundedPence | None = None
    weekly_hours: Hours
    pays_llw: bool
    below_minimum_wage: bool
    sic_sector: Name | None = None
    employer_name: Name | None = None
    """As the provider named it on the job start (version 3, for the views)."""
    source_produced_at: AwareDatetime | None = None


class PlacementEnded(Event):
    type: Literal["placement_ended"] = "placement_ended"
    participant_id: NonEmptyStr
    placement_id: Id
    provider_id: ProviderId
    end_date: BoundedDate


class PlacementWithdrawn(Event):
    """A confirmed placement that counts for nothing any more.

    Either its job starts after the participant's leaver date, which arrived after the
    job start was confirmed (``after_programme_end``, domain.md §5; the provider is told
    with a rejection of the original job start event, ``job_start_event_id``), or the
    programme start it was confirmed under was displaced by an earlier start of the same
    person (``already_started``, §4 v3; no ``leaver_date``): the job start waits again
    as if its referral had never started.
    """

    type: Literal["placement_withdrawn"] = "placement_withdrawn"
    participant_id: NonEmptyStr
    placement_id: Id
    provider_id: ProviderId
    job_start_event_id: NonEmptyStr
    job_start_date: BoundedDate
    leaver_date: BoundedDate | None = None
    reason: RejectionReason = RejectionReason.AFTER_PROGRAMME_END


PlacementStatusEvent = Annotated[
    PlacementConfirmed | PlacementEnded | PlacementWithdrawn, Field(discriminator="type")
]
PLACEMENT_STATUS_EVENT: TypeAdapter[PlacementConfirmed | PlacementEnded | PlacementWithdrawn] = (
    TypeAdapter(PlacementStatusEvent)
)

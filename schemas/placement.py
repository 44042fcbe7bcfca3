"""Events owned by the placement service: confirmed job starts with wage flags."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from schemas.base import Event
from schemas.common import EmploymentType, NonEmptyStr, Pence, RejectionReason


class PlacementConfirmed(Event):
    """A job start accepted for a participant.

    ``pays_llw``: hourly wage >= London Living Wage on the job start date.
    ``below_minimum_wage``: hourly wage < National Living Wage on that date (a feed
    for local enforcement; the job still counts for outcomes).
    ``source_produced_at``: when the provider produced the job start (for latency).
    """

    type: Literal["placement_confirmed"] = "placement_confirmed"
    participant_id: NonEmptyStr
    placement_id: NonEmptyStr
    referral_id: NonEmptyStr
    provider_id: NonEmptyStr
    contract_id: NonEmptyStr
    job_start_date: date
    employment_type: EmploymentType
    hourly_wage_pence: Pence | None = None
    weekly_hours: Decimal
    pays_llw: bool
    below_minimum_wage: bool
    sic_sector: NonEmptyStr | None = None
    source_produced_at: AwareDatetime | None = None


class PlacementEnded(Event):
    type: Literal["placement_ended"] = "placement_ended"
    participant_id: NonEmptyStr
    placement_id: NonEmptyStr
    provider_id: NonEmptyStr
    end_date: date


class PlacementWithdrawn(Event):
    """A confirmed placement that counts for nothing any more (domain.md §5).

    Its job starts after the participant's leaver date, which arrived after the job
    start was confirmed (``after_programme_end``). The provider is told with a
    rejection of the original job start event (``job_start_event_id``).
    """

    type: Literal["placement_withdrawn"] = "placement_withdrawn"
    participant_id: NonEmptyStr
    placement_id: NonEmptyStr
    provider_id: NonEmptyStr
    job_start_event_id: NonEmptyStr
    job_start_date: date
    leaver_date: date
    reason: RejectionReason = RejectionReason.AFTER_PROGRAMME_END


PlacementStatusEvent = Annotated[
    PlacementConfirmed | PlacementEnded | PlacementWithdrawn, Field(discriminator="type")
]
PLACEMENT_STATUS_EVENT: TypeAdapter[PlacementConfirmed | PlacementEnded | PlacementWithdrawn] = (
    TypeAdapter(PlacementStatusEvent)
)

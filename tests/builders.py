"""The one set of event builders for tests: terse, valid events.

Defaults fit the default contract ``whp-central`` (Camden, programme start 2024-04-01, a
Monday: the earnings threshold is 416 x 1144 = 475,904 pence). Two sets, one class:

- the module's functions (``referral``, ``job_start``, ...; :data:`NEW_EACH_CALL`): every
  call is a new event with a new id -- for tests that send events to the services;
- :data:`REPEATABLE` (``REPEATABLE.referral(...)``): the id is derived from the
  arguments and ``tag``, so the same logical event keeps its id in every arrival order;
  another ``tag`` is a re-send under a new event id.

``event_id=`` names the id outright in either set.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from schemas.common import (
    AgeBand,
    EligibilityGroup,
    EmploymentType,
    EvidenceKind,
    MilestoneKind,
    ReferralSource,
    RejectionReason,
    SubRegion,
)
from schemas.intake import ParticipantLeft, ParticipantStarted
from schemas.placement import PlacementConfirmed
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from schemas.sustainment import MilestonePrice, MilestoneReached, MilestoneRevoked
from services.common.pricing import price_for
from services.common.reference import ContractBook, load_contracts

PROVIDER = "prov-whp-central"
CONTRACT = "whp-central"
PARTICIPANT = "participant-1"
REFERRAL = "ref-1"
PLACEMENT = "plc-1"
START = date(2024, 4, 1)
"""The default programme start (a Monday)."""
_IDS = uuid.UUID("7a0d3c1e-8f59-4f0e-9d7e-0c3b1c2d5e6f")

EventIds = Callable[..., uuid.UUID]


def new_id(*_parts: object) -> uuid.UUID:
    """A new random id, whatever the event."""
    return uuid.uuid4()


def repeatable_id(*parts: object) -> uuid.UUID:
    """The same id for the same parts."""
    return uuid.uuid5(_IDS, repr(parts))


@dataclass(frozen=True)
class EventBuilders:
    """Builders of provider and derived events with one way of giving ids."""

    ids: EventIds
    produced_at: datetime
    employer_name: str | None = None
    contracts: ContractBook | None = None
    """Prices ``milestone_reached`` (default: the shipped contract book)."""

    def _id(self, given: uuid.UUID | None, *parts: object) -> uuid.UUID:
        return given or self.ids(*parts)

    # --- provider events ---------------------------------------------------------

    def referral(
        self,
        referral_id: str = REFERRAL,
        *,
        nino: str = "AB123456C",
        date_of_birth: date = date(1990, 5, 17),
        borough: str = "Camden",
        provider_id: str = PROVIDER,
        contract_id: str = CONTRACT,
        referral_date: date = date(2024, 3, 18),
        eligibility_group: EligibilityGroup = EligibilityGroup.DISABILITY,
        eligibility_subgroup: str | None = None,
        event_id: uuid.UUID | None = None,
        tag: str = "",
    ) -> ReferralMade:
        parts = (referral_id, nino, provider_id, contract_id, eligibility_group, tag)
        return ReferralMade(
            event_id=self._id(event_id, "referral", *parts),
            produced_at=self.produced_at,
            provider_id=provider_id,
            contract_id=contract_id,
            referral_id=referral_id,
            nino=nino,
            date_of_birth=date_of_birth,
            borough=borough,
            eligibility_group=eligibility_group,
            eligibility_subgroup=eligibility_subgroup,
            referral_source=ReferralSource.JOBCENTRE,
            referral_date=referral_date,
        )

    def programme_start(
        self,
        referral_id: str = REFERRAL,
        *,
        start_date: date = START,
        provider_id: str = PROVIDER,
        event_id: uuid.UUID | None = None,
        tag: str = "",
    ) -> ProgrammeStarted:
        return ProgrammeStarted(
            event_id=self._id(event_id, "start", referral_id, start_date, provider_id, tag),
            produced_at=self.produced_at,
            provider_id=provider_id,
            referral_id=referral_id,
            start_date=start_date,
        )

    def programme_end(
        self,
        referral_id: str = REFERRAL,
        *,
        end_date: date = date(2024, 9, 30),
        reason: str = "moved away",
        provider_id: str = PROVIDER,
        tag: str = "",
    ) -> ProgrammeEnded:
        return ProgrammeEnded(
            event_id=self.ids("end", referral_id, end_date, provider_id, tag),
            produced_at=self.produced_at,
            provider_id=provider_id,
            referral_id=referral_id,
            end_date=end_date,
            reason=reason,
        )

    def job_start(
        self,
        placement_id: str = PLACEMENT,
        *,
        referral_id: str = REFERRAL,
        job_start_date: date = date(2024, 4, 15),
        hourly_wage_pence: int | None = 1400,
        weekly_hours: Decimal | str = Decimal("37.5"),
        employment_type: EmploymentType = EmploymentType.EMPLOYED,
        provider_id: str = PROVIDER,
        sic_sector: str | None = "retail",
        event_id: uuid.UUID | None = None,
        tag: str = "",
    ) -> JobStarted:
        """A self-employed job has no hourly wage (whatever ``hourly_wage_pence`` says)."""
        self_employed = employment_type is EmploymentType.SELF_EMPLOYED
        parts = (placement_id, referral_id, job_start_date, hourly_wage_pence, provider_id, tag)
        return JobStarted(
            event_id=self._id(event_id, "job", *parts),
            produced_at=self.produced_at,
            provider_id=provider_id,
            referral_id=referral_id,
            placement_id=placement_id,
            job_start_date=job_start_date,
            employment_type=employment_type,
            hourly_wage_pence=None if self_employed else hourly_wage_pence,
            weekly_hours=Decimal(weekly_hours),
            employer_name=self.employer_name,
            sic_sector=sic_sector,
        )

    def job_end(
        self,
        placement_id: str = PLACEMENT,
        *,
        end_date: date,
        provider_id: str = PROVIDER,
        tag: str = "",
    ) -> JobEnded:
        return JobEnded(
            event_id=self.ids("job_end", placement_id, end_date, provider_id, tag),
            produced_at=self.produced_at,
            provider_id=provider_id,
            placement_id=placement_id,
            end_date=end_date,
        )

    def evidence(
        self,
        evidence_id: str,
        period_start: date,
        period_end: date,
        earnings_pence: int,
        *,
        hours: Decimal | str = Decimal("60"),
        placement_id: str = PLACEMENT,
        version: int = 1,
        kind: EvidenceKind = EvidenceKind.PAYSLIP,
        reported_on: date | None = None,
        provider_id: str = PROVIDER,
        tag: str = "",
    ) -> EvidenceSubmitted:
        parts = (evidence_id, version, placement_id, period_end, earnings_pence, tag)
        return EvidenceSubmitted(
            event_id=self.ids("evidence", *parts),
            produced_at=self.produced_at,
            provider_id=provider_id,
            placement_id=placement_id,
            evidence_id=evidence_id,
            version=version,
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            gross_earnings_pence=earnings_pence,
            hours_worked=Decimal(hours),
            reported_on=reported_on or period_end + timedelta(days=3),
        )

    def retraction(
        self, evidence_id: str, *, provider_id: str = PROVIDER, tag: str = ""
    ) -> EvidenceRetracted:
        return EvidenceRetracted(
            event_id=self.ids("retraction", evidence_id, provider_id, tag),
            produced_at=self.produced_at,
            provider_id=provider_id,
            evidence_id=evidence_id,
        )

    # --- events the services derive ------------------------------------------------

    def participant_started(
        self,
        participant_id: str = PARTICIPANT,
        *,
        referral_id: str = REFERRAL,
        provider_id: str = PROVIDER,
        contract_id: str = CONTRACT,
        sub_region: SubRegion = SubRegion.CENTRAL,
        borough: str = "Camden",
        start_date: date = START,
        eligibility_group: EligibilityGroup = EligibilityGroup.DISABILITY,
    ) -> ParticipantStarted:
        return ParticipantStarted(
            event_id=self.ids("participant_started", participant_id, referral_id, start_date),
            produced_at=self.produced_at,
            participant_id=participant_id,
            referral_id=referral_id,
            provider_id=provider_id,
            contract_id=contract_id,
            sub_region=sub_region,
            borough=borough,
            eligibility_group=eligibility_group,
            referral_source=ReferralSource.JOBCENTRE,
            age_band=AgeBand.MIDDLE,
            start_date=start_date,
        )

    def participant_left(
        self,
        participant_id: str = PARTICIPANT,
        *,
        referral_id: str = REFERRAL,
        end_date: date,
    ) -> ParticipantLeft:
        return ParticipantLeft(
            event_id=self.ids("participant_left", participant_id, referral_id, end_date),
            produced_at=self.produced_at,
            participant_id=participant_id,
            referral_id=referral_id,
            provider_id=PROVIDER,
            contract_id=CONTRACT,
            end_date=end_date,
            reason="found work elsewhere",
        )

    def placement_confirmed(
        self,
        placement_id: str = PLACEMENT,
        *,
        participant_id: str = PARTICIPANT,
        job_start_date: date = date(2024, 4, 15),
        pays_llw: bool = True,
        employment_type: EmploymentType = EmploymentType.EMPLOYED,
    ) -> PlacementConfirmed:
        employed = employment_type is EmploymentType.EMPLOYED
        return PlacementConfirmed(
            event_id=self.ids("placement_confirmed", placement_id, participant_id),
            produced_at=self.produced_at,
            participant_id=participant_id,
            placement_id=placement_id,
            referral_id=REFERRAL,
            provider_id=PROVIDER,
            contract_id=CONTRACT,
            job_start_date=job_start_date,
            employment_type=employment_type,
            hourly_wage_pence=1400 if employed else None,
            weekly_hours=Decimal("37.5"),
            pays_llw=pays_llw and employed,
            below_minimum_wage=False,
        )

    def milestone_reached(
        self,
        milestone: MilestoneKind = MilestoneKind.EARNINGS_OUTCOME,
        *,
        occurrence: int = 1,
        participant_id: str = PARTICIPANT,
        contract_id: str = CONTRACT,
        provider_id: str = PROVIDER,
        reached_on: date = date(2024, 7, 14),
        job_pays_llw: bool = True,
        eligibility_group: EligibilityGroup = EligibilityGroup.DISABILITY,
        payable: bool = True,
        not_payable_reason: RejectionReason | None = None,
        event_id: uuid.UUID | None = None,
    ) -> MilestoneReached:
        """A milestone as sustainment announces it: priced under the contract book."""
        contract = (self.contracts or load_contracts()).get(contract_id)
        assert contract is not None, contract_id
        price = price_for(contract, eligibility_group, milestone, job_pays_llw)
        parts = (milestone, occurrence, participant_id, contract_id)
        return MilestoneReached(
            event_id=self._id(event_id, "milestone_reached", *parts),
            produced_at=self.produced_at,
            participant_id=participant_id,
            provider_id=provider_id,
            contract_id=contract_id,
            eligibility_group=eligibility_group,
            milestone=milestone,
            occurrence=occurrence,
            reached_on=reached_on,
            job_pays_llw=job_pays_llw,
            placement_id=PLACEMENT,
            evidence_ids=("ev-1", "ev-2", "ev-3"),
            payable=payable,
            not_payable_reason=not_payable_reason,
            price=MilestonePrice(
                contract_version=contract.version,
                base_pence=price.base_pence if price else 0,
                uplift_pence=price.uplift_pence if price else 0,
            ),
        )

    def milestone_revoked(
        self,
        milestone: MilestoneKind = MilestoneKind.EARNINGS_OUTCOME,
        *,
        occurrence: int = 1,
        participant_id: str = PARTICIPANT,
        contract_id: str = CONTRACT,
        provider_id: str = PROVIDER,
    ) -> MilestoneRevoked:
        return MilestoneRevoked(
            event_id=self.ids("milestone_revoked", milestone, occurrence, participant_id),
            produced_at=self.produced_at,
            participant_id=participant_id,
            provider_id=provider_id,
            contract_id=contract_id,
            milestone=milestone,
            occurrence=occurrence,
        )


def pinned_job_start(**changes: Any) -> JobStarted:
    """A job start with every field pinned, its id included (2024-06-03, 1200p/h, 37.5
    hours): for the domain tests that change one field of the same event."""
    fields: dict[str, Any] = {
        "event_id": uuid.UUID("00000000-0000-4000-8000-000000000011"),
        "produced_at": datetime(2024, 6, 1, 9, 0, tzinfo=UTC),
        "provider_id": PROVIDER,
        "referral_id": REFERRAL,
        "placement_id": "pl-1",
        "job_start_date": date(2024, 6, 3),
        "employment_type": EmploymentType.EMPLOYED,
        "hourly_wage_pence": 1200,
        "weekly_hours": Decimal("37.5"),
    }
    return JobStarted(**{**fields, **changes})


NEW_EACH_CALL = EventBuilders(
    new_id,
    produced_at=datetime(2024, 12, 1, 8, 0, tzinfo=UTC),
    employer_name="Camden Market Ltd",
    contracts=load_contracts(),
)
"""Every call a new event: for tests that send events to the services."""

REPEATABLE = EventBuilders(repeatable_id, produced_at=datetime(2025, 1, 6, 9, 0, tzinfo=UTC))
"""The same arguments, the same event id: for tests that reorder one history."""

referral = NEW_EACH_CALL.referral
programme_start = NEW_EACH_CALL.programme_start
programme_end = NEW_EACH_CALL.programme_end
job_start = NEW_EACH_CALL.job_start
job_end = NEW_EACH_CALL.job_end
evidence = NEW_EACH_CALL.evidence
retraction = NEW_EACH_CALL.retraction
participant_started = NEW_EACH_CALL.participant_started
participant_left = NEW_EACH_CALL.participant_left
placement_confirmed = NEW_EACH_CALL.placement_confirmed
milestone_reached = NEW_EACH_CALL.milestone_reached
milestone_revoked = NEW_EACH_CALL.milestone_revoked

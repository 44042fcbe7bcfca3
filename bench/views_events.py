"""Synthetic output events for the read-model benchmark: London's whole programme.

Deterministic from a seed: every participant started; about seven in ten in work with
three payslips each and what they count; some milestones reached, paid, reversed;
some leavers; some rejected job starts. Events of one participant come in the order
their services would publish them. Output events only -- the read model's inputs --
so the benchmark measures the read model, not the four services in front of it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from schemas.base import Event
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
from schemas.payments import PaymentLineage, ProviderPaymentIssued
from schemas.placement import PlacementConfirmed
from schemas.rejections import EventRejected
from schemas.sustainment import (
    EvidenceProgress,
    EvidenceRecorded,
    MilestoneReached,
    PlacementEvidenceEnd,
)
from schemas.topics import (
    EVIDENCE_LEDGER,
    MILESTONES,
    PARTICIPANTS,
    PAYMENTS,
    PLACEMENTS,
    PROVIDER_PLACEMENTS,
    TopicSpec,
    provider_rejections_topic,
    provider_topic,
)
from services.common.reference import Contract, load_contracts

BOROUGHS = {
    SubRegion.CENTRAL: ("Camden", "Hackney", "Islington", "Lambeth", "Southwark"),
    SubRegion.WEST: ("Barnet", "Brent", "Ealing", "Harrow", "Hounslow"),
    SubRegion.LOCAL: ("Bexley", "Bromley", "Enfield", "Newham", "Redbridge"),
    SubRegion.SOUTH: ("Croydon", "Merton", "Sutton"),
    SubRegion.NATIONAL: ("Luton", "Slough"),
}
THRESHOLD = 416 * 1144
PRODUCED = datetime(2024, 12, 1, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Outgoing:
    topic: str  # without namespace
    key: str
    event: Event


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def programme(participants: int, seed: int = 1) -> Iterator[Outgoing]:
    """The events of ``participants`` participants, participant by participant."""
    rng = random.Random(seed)
    contracts = list(load_contracts().contracts.values())
    for i in range(participants):
        yield from _participant(rng, i, contracts[i % len(contracts)])


def _participant(rng: random.Random, i: int, contract: Contract) -> Iterator[Outgoing]:
    provider, pid, ref = contract.provider_id, f"pt-{i:06d}", f"REF-{i:06d}"
    start = date(2024, 3, 1) + timedelta(days=i % 180)

    def out(spec: TopicSpec, event: Event) -> Outgoing:
        return Outgoing(spec.name, pid, event)

    yield out(
        PARTICIPANTS,
        ParticipantStarted(
            event_id=_id(rng), produced_at=PRODUCED, participant_id=pid, referral_id=ref,
            provider_id=provider, contract_id=contract.contract_id,
            sub_region=contract.sub_region,
            borough=rng.choice(BOROUGHS[contract.sub_region]),
            eligibility_group=rng.choice(list(EligibilityGroup)),
            eligibility_subgroup=None, referral_source=rng.choice(list(ReferralSource)),
            age_band=rng.choice(list(AgeBand)), start_date=start,
        ),
    )  # fmt: skip
    if rng.random() < 0.03:
        yield _rejected_job(rng, provider, ref)
    if rng.random() < 0.7:
        yield from _in_work(rng, contract.contract_id, provider, pid, ref, start)
    if rng.random() < 0.05:
        yield out(
            PARTICIPANTS,
            ParticipantLeft(
                event_id=_id(rng), produced_at=PRODUCED, participant_id=pid, referral_id=ref,
                provider_id=provider, contract_id=contract.contract_id,
                end_date=start + timedelta(days=200), reason="moved away",
            ),
        )  # fmt: skip


def _in_work(
    rng: random.Random, contract_id: str, provider: str, pid: str, ref: str, start: date
) -> Iterator[Outgoing]:
    plc = f"plc-{pid}"
    job_start = start + timedelta(days=rng.randint(14, 90))
    wage = rng.randint(1100, 1800)
    hours = Decimal(rng.choice(("16", "20", "30", "37.5")))
    yield Outgoing(
        PLACEMENTS.name,
        pid,
        PlacementConfirmed(
            event_id=_id(rng), produced_at=PRODUCED, participant_id=pid, placement_id=plc,
            referral_id=ref, provider_id=provider, contract_id=contract_id,
            job_start_date=job_start, employment_type=EmploymentType.EMPLOYED,
            hourly_wage_pence=wage, weekly_hours=hours, pays_llw=wage >= 1385,
            below_minimum_wage=wage < 1144, employer_name=f"Employer {wage % 97}",
            sic_sector=rng.choice(("retail", "care", "hospitality", "logistics")),
        ),
    )  # fmt: skip
    counted, end = 0, job_start - timedelta(days=1)
    for n in range(rng.randint(0, 3)):
        first, end = end + timedelta(days=1), end + timedelta(days=28)
        pence = int(wage * hours * 4)
        counted += pence
        yield Outgoing(
            EVIDENCE_LEDGER.name,
            pid,
            EvidenceRecorded(
                event_id=_id(rng), produced_at=PRODUCED, participant_id=pid, provider_id=provider,
                placement_id=plc, evidence_id=f"ev-{pid}-{n}", version=1,
                kind=EvidenceKind.PAYSLIP, period_start=first, period_end=end,
                gross_earnings_pence=pence, hours_worked=hours * 4, reported_on=end,
            ),
        )  # fmt: skip
        yield Outgoing(
            EVIDENCE_LEDGER.name,
            pid,
            EvidenceProgress(
                event_id=_id(rng), produced_at=PRODUCED, participant_id=pid,
                provider_id=provider, contract_id=contract_id,
                earnings_threshold_pence=THRESHOLD, weekly_hours_min=Decimal(16),
                counted_earnings_pence=counted, latest_employed_evidence_end=end,
                in_work_weeks=4 * (n + 1), self_employment_days=0,
                placements=(PlacementEvidenceEnd(placement_id=plc, latest_period_end=end),),
            ),
        )  # fmt: skip
    if rng.random() < 0.4:
        yield from _paid(rng, contract_id, provider, pid, plc, job_start)


def _paid(
    rng: random.Random, contract_id: str, provider: str, pid: str, plc: str, reached: date
) -> Iterator[Outgoing]:
    milestone = MilestoneKind.JOB_START
    reached_event = MilestoneReached(
        event_id=_id(rng), produced_at=PRODUCED, participant_id=pid, provider_id=provider,
        contract_id=contract_id, eligibility_group=EligibilityGroup.DISABILITY,
        milestone=milestone, occurrence=1, reached_on=reached, job_pays_llw=False,
        placement_id=plc,
    )  # fmt: skip
    yield Outgoing(MILESTONES.name, pid, reached_event)
    payment_id = hashlib.sha256(f"{pid}:{milestone}:1".encode()).hexdigest()[:32]
    yield Outgoing(PAYMENTS.name, pid, payment(rng, contract_id, provider, pid, payment_id))
    if rng.random() < 0.05:
        yield Outgoing(
            PAYMENTS.name,
            pid,
            payment(rng, contract_id, provider, pid, payment_id + "-r", reverses=payment_id),
        )


def payment(
    rng: random.Random,
    contract_id: str,
    provider: str,
    pid: str,
    payment_id: str,
    *,
    reverses: str | None = None,
    produced_at: datetime = PRODUCED,
) -> ProviderPaymentIssued:
    amount = -50_000 if reverses else 50_000
    return ProviderPaymentIssued(
        event_id=_id(rng), produced_at=produced_at, payment_id=payment_id,
        contract_id=contract_id, contract_version="bench", provider_id=provider,
        participant_id=pid, milestone=MilestoneKind.JOB_START, occurrence=1,
        reached_on=date(2024, 6, 1), amount_pence=amount, base_pence=amount, uplift_pence=0,
        lineage=PaymentLineage(milestone_event_id=str(_id(rng))), reverses=reverses,
    )  # fmt: skip


def _rejected_job(rng: random.Random, provider: str, ref: str) -> Outgoing:
    original = json.dumps({"type": "job_start", "referral_id": ref, "weekly_hours": "0"})
    raw = original.encode()
    rejected = EventRejected(
        event_id=_id(rng), produced_at=PRODUCED, service="placement",
        reason=RejectionReason.INVALID_JOB, message="weekly hours must be above 0",
        source_topic=provider_topic_name(provider), source_partition=0, source_offset=0,
        source_event_id=str(_id(rng)), provider_id=provider,
        original_prefix_b64=base64.b64encode(raw).decode(), original_length=len(raw),
        original_sha256=hashlib.sha256(raw).hexdigest(),
    )  # fmt: skip
    topic = provider_rejections_topic(provider)
    return Outgoing(topic, str(rejected.source_event_id), rejected)


def provider_topic_name(provider: str) -> str:
    return provider_topic(PROVIDER_PLACEMENTS, provider)

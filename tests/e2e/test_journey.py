"""End to end: provider events in, provider payments out, through all four services."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from schemas.base import Event
from schemas.common import (
    EligibilityGroup,
    EmploymentType,
    EvidenceKind,
    MilestoneKind,
    ReferralSource,
    RejectionReason,
)
from schemas.intake import ParticipantStarted
from schemas.payments import ProviderPaymentIssued
from schemas.provider import EvidenceSubmitted, JobStarted, ProgrammeStarted, ReferralMade
from schemas.rejections import EventRejected
from schemas.topics import (
    PARTICIPANTS,
    PAYMENTS,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    PROVIDER_REJECTIONS,
    TopicSpec,
    event_topic,
    provider_topic,
)
from services.common import masking
from services.intake.domain import participant_id_for
from tests.e2e.conftest import PARTICIPANT_KEY, Pipeline
from tools.quiet import wait_until_quiet
from tools.summary import read_summary

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

Message = tuple[str, str, bytes]  # topic (without namespace), key, value


def _meta(day: date) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "produced_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
    }


def _msg(spec: TopicSpec, key: str, event: Event) -> Message:
    return (event_topic(spec, event), key, event.model_dump_json().encode())


def journey(
    run: str, contract: str, borough: str, nino: str, hourly_wage_pence: int
) -> list[Message]:
    """Referred 2024-03-01, starts 2024-03-04, full-time job from 2024-04-01, payslips.

    NLW on the start date is 1042 (2023 rate), so the threshold is 416 x 1042 = 433,472p.
    Each monthly payslip is wage x 37.5 h x 52 / 12; two of them cross the threshold
    at 1400p/h (455,000p), so earnings_outcome is reached on 2024-05-31.
    """
    provider = f"prov-{contract}"
    referral_id, placement_id = f"ref-{run}-{contract}", f"plc-{run}-{contract}"
    monthly = hourly_wage_pence * 375 * 52 // (12 * 10)
    payslips = [
        EvidenceSubmitted(
            **_meta(end + timedelta(days=3)),
            provider_id=provider,
            placement_id=placement_id,
            evidence_id=f"evd-{run}-{contract}-{end.month}",
            kind=EvidenceKind.PAYSLIP,
            period_start=start,
            period_end=end,
            gross_earnings_pence=monthly,
            hours_worked=Decimal("162.50"),
            reported_on=end + timedelta(days=3),
        )
        for start, end in [
            (date(2024, 4, 1), date(2024, 4, 30)),
            (date(2024, 5, 1), date(2024, 5, 31)),
        ]
    ]
    referral = ReferralMade(
        **_meta(date(2024, 3, 1)),
        provider_id=provider,
        contract_id=contract,
        referral_id=referral_id,
        nino=nino,
        date_of_birth=date(1990, 5, 17),
        borough=borough,
        eligibility_group=EligibilityGroup.DISABILITY,
        referral_source=ReferralSource.JOBCENTRE,
        referral_date=date(2024, 3, 1),
    )
    start = ProgrammeStarted(
        **_meta(date(2024, 3, 4)),
        provider_id=provider,
        referral_id=referral_id,
        start_date=date(2024, 3, 4),
    )
    job = JobStarted(
        **_meta(date(2024, 4, 1)),
        provider_id=provider,
        referral_id=referral_id,
        placement_id=placement_id,
        job_start_date=date(2024, 4, 1),
        employment_type=EmploymentType.EMPLOYED,
        hourly_wage_pence=hourly_wage_pence,
        weekly_hours=Decimal("37.5"),
    )
    # Out of order on purpose: the evidence and the job arrive before the referral.
    return [
        *(_msg(PROVIDER_EVIDENCE, p.evidence_id, p) for p in payslips),
        _msg(PROVIDER_PLACEMENTS, placement_id, job),
        _msg(PROVIDER_INTAKE, referral_id, referral),
        _msg(PROVIDER_INTAKE, referral_id, start),
    ]


async def test_a_journey_through_all_four_services_is_paid_by_its_contract(
    pipeline: Pipeline,
) -> None:
    run = uuid.uuid4().hex[:6]
    central = journey(run, "whp-central", "Camden", "AB 12 34 56 C", 1400)
    local = journey(run, "whp-local", "Newham", "CE123456D", 1400)
    garbage: Message = (
        provider_topic(PROVIDER_INTAKE, "prov-whp-central"),
        "garbage",
        b"\xff this is not json",
    )

    await pipeline.publish([*central, *local, garbage])

    def paid(events: list[Any]) -> list[ProviderPaymentIssued]:
        return [e for e in events if isinstance(e, ProviderPaymentIssued)]

    events = await pipeline.read_until(PAYMENTS, lambda es: len(paid(es)) >= 2)
    central_id = participant_id_for("AB123456C", PARTICIPANT_KEY.encode())
    local_id = participant_id_for("CE123456D", PARTICIPANT_KEY.encode())
    got = sorted(
        (
            p.contract_id,
            p.participant_id,
            p.milestone,
            p.reached_on,
            p.amount_pence,
            p.base_pence,
            p.uplift_pence,
            p.reverses,
        )
        for p in paid(events)
    )
    assert got == [
        # 1400p/h >= LLW 1315 (from 2023-11-01): whp-central pays a 25 % uplift ...
        ("whp-central", central_id, MilestoneKind.EARNINGS_OUTCOME, date(2024, 5, 31),
         500000, 400000, 100000, None),
        # ... whp-local has no LLW uplift.
        ("whp-local", local_id, MilestoneKind.EARNINGS_OUTCOME, date(2024, 5, 31),
         400000, 400000, 0, None),
    ]  # fmt: skip
    central_payment = next(p for p in paid(events) if p.contract_id == "whp-central")
    assert central_payment.provider_id == "prov-whp-central"
    assert central_payment.lineage.placement_id == f"plc-{run}-whp-central"
    assert central_payment.lineage.evidence_ids == (
        f"evd-{run}-whp-central-4",
        f"evd-{run}-whp-central-5",
    )

    rejections = await pipeline.read_until(
        PROVIDER_REJECTIONS, lambda es: len(es) >= 1, provider_id="prov-whp-central"
    )
    # the rejection names the exact bytes (length, SHA-256) and shows them masked
    original = b"\xff this is not json"
    assert [
        (r.reason, r.original_length, r.original_sha256, base64.b64decode(r.original_prefix_b64))
        for r in rejections
    ] == [
        (
            RejectionReason.INVALID_SCHEMA,
            len(original),
            hashlib.sha256(original).hexdigest(),
            masking.mask_original(original),  # intake's masker (nothing to mask here)
        )
    ]
    assert isinstance(rejections[0], EventRejected)


async def test_the_nino_never_leaves_intake(pipeline: Pipeline) -> None:
    run = uuid.uuid4().hex[:6]
    await pipeline.publish(journey(run, "whp-west", "Ealing", "JK654321A", 1200)[-2:])

    def mine(events: list[Any]) -> list[ParticipantStarted]:
        return [
            e
            for e in events
            if isinstance(e, ParticipantStarted) and e.referral_id == f"ref-{run}-whp-west"
        ]

    events = await pipeline.read_until(PARTICIPANTS, lambda es: len(mine(es)) == 1)
    started = mine(events)[0]
    payload = started.model_dump_json()
    assert "JK654321A" not in payload
    assert "1990-05-17" not in payload
    assert started.age_band == "25-49"
    assert started.sub_region == "west"


async def test_a_redelivered_journey_is_not_paid_twice(pipeline: Pipeline, db: Any) -> None:
    run = uuid.uuid4().hex[:6]
    messages = journey(run, "whp-south", "Croydon", "PR112233B", 1400)
    await pipeline.publish(messages)
    await pipeline.publish(messages)  # the same events, same event ids, again

    def paid(events: list[Any]) -> list[ProviderPaymentIssued]:
        return [
            e
            for e in events
            if isinstance(e, ProviderPaymentIssued) and e.contract_id == "whp-south"
        ]

    events = await pipeline.read_until(PAYMENTS, lambda es: len(paid(es)) >= 1)
    # whp-south: 400000 + 15 % LLW uplift
    assert [p.amount_pence for p in paid(events)] == [460000]
    await wait_until_quiet(pipeline.bootstrap, pipeline.database_url, pipeline.namespace)
    on_topic = await read_summary(pipeline.bootstrap, pipeline.namespace, topics=[PAYMENTS])
    assert on_topic.payments["whp-south"].payments == 1
    assert on_topic.payments["whp-south"].paid_pence == 460000
    ledger = await db.fetchval(
        "SELECT count(*) FROM payments.payments WHERE contract_id = 'whp-south'"
    )
    assert ledger == 1

"""Payments on real PostgreSQL: milestones -> provider payments, reversals, not-paid."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from schemas.common import MilestoneKind, RejectionReason
from schemas.sustainment import MilestoneReached
from services.payments.domain import payment_id_for
from tests.builders import PARTICIPANT, PLACEMENT, milestone_reached, milestone_revoked, new_id
from tests.integration.conftest import ServiceHarness, meaningful

pytestmark = pytest.mark.integration

EARNINGS = MilestoneKind.EARNINGS_OUTCOME
SELF_EMPLOYMENT = MilestoneKind.SELF_EMPLOYMENT_OUTCOME


def payment_id(
    milestone: MilestoneKind = EARNINGS,
    occurrence: int = 1,
    *,
    contract_id: str = "whp-central",
    reversal: bool = False,
) -> str:
    return payment_id_for(contract_id, PARTICIPANT, milestone, occurrence, reversal)


def payment(
    reached: MilestoneReached, *, amount: int, base: int, uplift: int, provider_id: str
) -> dict[str, Any]:
    return {
        "type": "provider_payment",
        "payment_id": payment_id(
            reached.milestone, reached.occurrence, contract_id=reached.contract_id
        ),
        "contract_id": reached.contract_id,
        "contract_version": "2024-01",
        "provider_id": provider_id,
        "participant_id": PARTICIPANT,
        "milestone": reached.milestone,
        "occurrence": reached.occurrence,
        "reached_on": reached.reached_on,
        "amount_pence": amount,
        "base_pence": base,
        "uplift_pence": uplift,
        "lineage": {
            "milestone_event_id": str(reached.event_id),
            "placement_id": PLACEMENT,
            "evidence_ids": ("ev-1", "ev-2", "ev-3"),
        },
        "reverses": None,
    }


def not_paid(reached: MilestoneReached, reason: RejectionReason) -> dict[str, Any]:
    return {
        "type": "milestone_not_paid",
        "contract_id": reached.contract_id,
        "provider_id": reached.provider_id,
        "participant_id": PARTICIPANT,
        "milestone": reached.milestone,
        "occurrence": reached.occurrence,
        "reached_on": reached.reached_on,
        "reason": reason,
    }


async def output_of(service: ServiceHarness) -> list[dict[str, Any]]:
    rows = await service.new_output()
    assert {(r.topic, r.key) for r in rows} <= {("payments.provider-payments.v1", PARTICIPANT)}
    return [meaningful(r.event) for r in rows]


@pytest.mark.parametrize(
    ("contract_id", "provider_id", "amount", "uplift"),
    [
        pytest.param("whp-central", "prov-whp-central", 500_000, 100_000, id="central-25%-uplift"),
        pytest.param("whp-local", "prov-whp-local", 400_000, 0, id="local-no-uplift"),
    ],
)
async def test_earnings_outcome_is_paid_with_the_contract_llw_uplift(
    payments: ServiceHarness, contract_id: str, provider_id: str, amount: int, uplift: int
) -> None:
    # when an earnings outcome is reached in a job paying the London Living Wage
    reached = milestone_reached(contract_id=contract_id, provider_id=provider_id)
    await payments.send(reached)

    # then the provider is paid the price plus the contract's uplift
    assert await output_of(payments) == [
        payment(reached, amount=amount, base=400_000, uplift=uplift, provider_id=provider_id)
    ]


async def test_milestone_with_price_zero_pays_nothing(payments: ServiceHarness) -> None:
    await payments.send(milestone_reached(MilestoneKind.JOB_START))

    assert await output_of(payments) == []


async def test_resent_milestone_is_not_paid_twice(payments: ServiceHarness) -> None:
    # given a paid earnings outcome
    reached = milestone_reached()
    await payments.send(reached)
    await payments.new_output()

    # when the same occurrence is re-sent under a new event id, and redelivered as is
    resent = await payments.send(reached.model_copy(update={"event_id": new_id()}))
    redelivered = await payments.send(reached)

    # then nothing more is paid
    assert await output_of(payments) == []
    assert (resent.processed, resent.rejected) == (1, 0)
    assert redelivered.duplicates == 1
    assert len(await payments.table("payments")) == 1


async def test_revoked_milestone_is_reversed_and_paid_again_when_reached_again(
    payments: ServiceHarness,
) -> None:
    # given a paid earnings outcome
    first = milestone_reached()
    await payments.send(first)
    await payments.new_output()

    # when it is revoked (and the revocation re-sent)
    revocation = milestone_revoked()
    await payments.send(revocation)
    await payments.send(revocation.model_copy(update={"event_id": new_id()}))

    # then one reversal of the whole amount names the payment it reverses
    assert await output_of(payments) == [
        {
            "type": "provider_payment",
            "payment_id": payment_id(reversal=True),
            "contract_id": "whp-central",
            "contract_version": "2024-01",
            "provider_id": "prov-whp-central",
            "participant_id": PARTICIPANT,
            "milestone": EARNINGS,
            "occurrence": 1,
            "reached_on": first.reached_on,
            "amount_pence": -500_000,
            "base_pence": -400_000,
            "uplift_pence": -100_000,
            "lineage": {
                "milestone_event_id": str(revocation.event_id),
                "placement_id": None,
                "evidence_ids": (),
            },
            "reverses": payment_id(),
        }
    ]

    # when the milestone is reached again (occurrence 2)
    again = milestone_reached(occurrence=2, reached_on=date(2024, 8, 14))
    await payments.send(again)

    # then it is paid again as a new payment
    assert await output_of(payments) == [
        payment(again, amount=500_000, base=400_000, uplift=100_000, provider_id="prov-whp-central")
    ]
    assert payment_id(occurrence=2) != payment_id()


async def test_an_outcome_sustainment_marks_superseded_is_not_paid(
    payments: ServiceHarness,
) -> None:
    # given a paid earnings outcome
    await payments.send(milestone_reached())
    await payments.new_output()

    # when a self-employment outcome is reached too, superseded (v2 §7: sustainment
    # decides it from the reached dates as the evidence stands, not by arrival)
    self_employment = milestone_reached(
        SELF_EMPLOYMENT,
        job_pays_llw=False,
        payable=False,
        not_payable_reason=RejectionReason.SUPERSEDED,
    )
    await payments.send(self_employment)

    # then it is recorded as not paid: superseded
    assert await output_of(payments) == [not_paid(self_employment, RejectionReason.SUPERSEDED)]


async def test_milestone_not_payable_is_recorded_with_its_reason(payments: ServiceHarness) -> None:
    # when a self-employment outcome arrives that was claimed late
    late = milestone_reached(
        SELF_EMPLOYMENT,
        job_pays_llw=False,
        payable=False,
        not_payable_reason=RejectionReason.CLAIM_LATE,
    )
    await payments.send(late)

    # then it is not paid, for claim_late
    assert await output_of(payments) == [not_paid(late, RejectionReason.CLAIM_LATE)]


async def test_resent_not_payable_milestone_is_not_announced_again(
    payments: ServiceHarness,
) -> None:
    # given a self-employment outcome recorded as not paid (claim_late)
    late = milestone_reached(
        SELF_EMPLOYMENT,
        job_pays_llw=False,
        payable=False,
        not_payable_reason=RejectionReason.CLAIM_LATE,
    )
    await payments.send(late)
    await payments.new_output()

    # when the same occurrence is re-sent under a new event id
    report = await payments.send(late.model_copy(update={"event_id": new_id()}))

    # then it has no effect: no second not-paid decision, no rejection
    assert await output_of(payments) == []
    assert report.rejected == 0

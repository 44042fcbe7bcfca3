"""Events owned by the payments service: what finance consumes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.base import Event
from schemas.common import MilestoneKind, NonEmptyStr, Pence, RejectionReason


class PaymentLineage(BaseModel):
    """What a payment rests on: the milestone event, its placement and evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    milestone_event_id: str
    placement_id: str | None = None
    evidence_ids: tuple[str, ...] = ()


class ProviderPaymentIssued(Event):
    """A payment to a provider (negative ``amount_pence`` for a reversal).

    ``payment_id`` is deterministic over (contract, participant, milestone,
    occurrence, kind) so a re-sent payment is recognisably the same payment.
    """

    type: Literal["provider_payment"] = "provider_payment"
    payment_id: NonEmptyStr
    contract_id: NonEmptyStr
    contract_version: NonEmptyStr
    provider_id: NonEmptyStr
    participant_id: NonEmptyStr
    milestone: MilestoneKind
    occurrence: Annotated[int, Field(ge=1)]
    reached_on: date
    amount_pence: Pence
    base_pence: Pence
    uplift_pence: Pence
    lineage: PaymentLineage
    reverses: NonEmptyStr | None = None


class MilestoneNotPaid(Event):
    """A milestone that produces no payment by rule (``superseded``, ``claim_late``)."""

    type: Literal["milestone_not_paid"] = "milestone_not_paid"
    contract_id: NonEmptyStr
    provider_id: NonEmptyStr
    participant_id: NonEmptyStr
    milestone: MilestoneKind
    occurrence: Annotated[int, Field(ge=1)]
    reached_on: date
    reason: RejectionReason


PaymentEvent = Annotated[ProviderPaymentIssued | MilestoneNotPaid, Field(discriminator="type")]
PAYMENT_EVENT: TypeAdapter[ProviderPaymentIssued | MilestoneNotPaid] = TypeAdapter(PaymentEvent)

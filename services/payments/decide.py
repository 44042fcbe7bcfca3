"""Payments' rules with the events that follow from them (domain.md §7): a milestone
reached is paid, recorded not payable or nothing; a milestone revoked reverses its
payment. Each function returns the decision -- the event payments records -- and the
events to publish, stamped with ids derived from the input and the time it is given.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from schemas.common import RejectionReason
from schemas.payments import MilestoneNotPaid, PaymentLineage, ProviderPaymentIssued
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from services.common.decisions import IGNORE, Ignore
from services.common.emits import Decided, stamp
from services.common.pricing import Price
from services.common.rejection import Rejection
from services.payments.domain import (
    LedgerEntry,
    NotPayableDecision,
    PayDecision,
    decide_reached,
    decide_revoked,
)

Reached = Decided[Rejection | Ignore | ProviderPaymentIssued | MilestoneNotPaid]
Revoked = Decided[Ignore | ProviderPaymentIssued]


class Paid(Protocol):
    """What a reversal copies from the payment it reverses."""

    @property
    def contract_version(self) -> str: ...
    @property
    def base_pence(self) -> int: ...
    @property
    def uplift_pence(self) -> int: ...
    @property
    def reached_on(self) -> date: ...


def milestone_reached(
    event: MilestoneReached, ledger: Sequence[LedgerEntry], *, cause: str, now: datetime
) -> Reached:
    """Pay the price sustainment decided (``provider_payment``), record the milestone
    not payable (``milestone_not_paid``), or nothing (:func:`decide_reached`)."""
    if event.price is None:
        return Decided(
            Rejection(
                RejectionReason.PROCESSING_FAILED,
                "milestone_reached carries no price (announced before prices were carried);"
                " replay it through sustainment",
            )
        )
    decision = decide_reached(
        ledger,
        contract_id=event.contract_id,
        participant_id=event.participant_id,
        milestone=event.milestone,
        occurrence=event.occurrence,
        price=_price(event.price.base_pence, event.price.uplift_pence),
        payable=event.payable,
        not_payable_reason=event.not_payable_reason,
    )
    if isinstance(decision, NotPayableDecision):
        not_paid = MilestoneNotPaid(
            **stamp(now, cause, "milestone_not_paid"),
            contract_id=event.contract_id,
            provider_id=event.provider_id,
            participant_id=event.participant_id,
            milestone=event.milestone,
            occurrence=event.occurrence,
            reached_on=event.reached_on,
            reason=decision.reason,
        )
        return Decided(not_paid, (not_paid,))
    if isinstance(decision, PayDecision):
        payment = ProviderPaymentIssued(
            **stamp(now, decision.payment_id, "provider_payment"),
            payment_id=decision.payment_id,
            contract_id=event.contract_id,
            contract_version=event.price.contract_version,
            provider_id=event.provider_id,
            participant_id=event.participant_id,
            milestone=event.milestone,
            occurrence=event.occurrence,
            reached_on=event.reached_on,
            amount_pence=decision.price.amount_pence,
            base_pence=decision.price.base_pence,
            uplift_pence=decision.price.uplift_pence,
            lineage=PaymentLineage(
                milestone_event_id=cause,
                placement_id=event.placement_id,
                evidence_ids=event.evidence_ids,
            ),
        )
        return Decided(payment, (payment,))
    return Decided(IGNORE)


def milestone_revoked(
    event: MilestoneRevoked,
    ledger: Sequence[LedgerEntry],
    paid: Callable[[str], Paid],
    *,
    cause: str,
    now: datetime,
) -> Revoked:
    """Reverse the payment of the revoked occurrence (``paid``: what a payment id was
    paid), if it was paid and not reversed (:func:`decide_revoked`)."""
    decision = decide_revoked(
        ledger,
        contract_id=event.contract_id,
        participant_id=event.participant_id,
        milestone=event.milestone,
        occurrence=event.occurrence,
    )
    if decision is None:
        return Decided(IGNORE)
    original = paid(decision.reverses)
    reversal = ProviderPaymentIssued(
        **stamp(now, decision.payment_id, "provider_payment"),
        payment_id=decision.payment_id,
        contract_id=event.contract_id,
        contract_version=original.contract_version,
        provider_id=event.provider_id,
        participant_id=event.participant_id,
        milestone=event.milestone,
        occurrence=event.occurrence,
        reached_on=original.reached_on,
        amount_pence=decision.amount_pence,
        base_pence=-original.base_pence,
        uplift_pence=-original.uplift_pence,
        lineage=PaymentLineage(milestone_event_id=cause),
        reverses=decision.reverses,
    )
    return Decided(reversal, (reversal,))


def _price(base_pence: int, uplift_pence: int) -> Price | None:
    """The announced price; None when the contract pays nothing for the milestone."""
    return Price(base_pence, uplift_pence) if base_pence or uplift_pence else None

"""Payments use cases: milestones reached/revoked -> provider payments and reversals.

``RULES`` is the table of what payments does with each event type; each use case gets
the round (storage and outcome) and the item, typed by its event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.payments import MilestoneNotPaid, PaymentLineage, ProviderPaymentIssued
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import CONSUMERS, PAYMENTS, Owner, TopicSpec
from services.common import metrics
from services.common.messages import Received
from services.common.outcome import BatchOutcome, Masker, identity
from services.common.pricing import Price
from services.common.reference import Reference
from services.common.settings import ServiceSettings
from services.payments.domain import (
    NotPayableDecision,
    PayDecision,
    decide_reached,
    decide_revoked,
)
from services.payments.records import PaymentsStorage
from services.runtime.rules import Rules, run_round


@dataclass(frozen=True)
class Round:
    """One round of a payments transaction: its storage and what it decides."""

    repo: PaymentsStorage
    outcome: BatchOutcome


RULES: Rules[Round] = Rules()


class PaymentsHandler:
    service: Owner = "payments"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["payments"]
    mask_original: Masker = staticmethod(identity)
    keeps_personal_data = False

    async def handle(
        self, repo: PaymentsStorage, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        await run_round(repo, repo.load(items), items, RULES, lambda _held: Round(repo, outcome))

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return (RejectionReason.PROCESSING_FAILED, "payments never holds events")

    async def finish(self, repo: PaymentsStorage, outcome: BatchOutcome) -> None:
        """Nothing to decide once per transaction: each milestone event is paid as it comes."""


@RULES.on(MilestoneReached)
def milestone_reached(round_: Round, item: Received[MilestoneReached]) -> None:
    """Pay the price sustainment decided, record it not payable, or nothing (a re-send)."""
    repo, outcome, event = round_.repo, round_.outcome, item.event
    if event.price is None:
        outcome.reject(
            item,
            RejectionReason.PROCESSING_FAILED,
            "milestone_reached carries no price (announced before prices were carried);"
            " replay it through sustainment",
        )
        return
    account = (event.contract_id, event.participant_id)
    decision = decide_reached(
        repo.ledgers[account],
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
            **outcome.stamp(item.event_id, "milestone_not_paid"),
            contract_id=event.contract_id,
            provider_id=event.provider_id,
            participant_id=event.participant_id,
            milestone=event.milestone,
            occurrence=event.occurrence,
            reached_on=event.reached_on,
            reason=decision.reason,
        )
        if repo.add_not_paid(not_paid):  # a re-sent occurrence is not announced again
            outcome.announce(PAYMENTS, not_paid)
    elif isinstance(decision, PayDecision):
        payment = ProviderPaymentIssued(
            **outcome.stamp(decision.payment_id, "provider_payment"),
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
                milestone_event_id=item.event_id,
                placement_id=event.placement_id,
                evidence_ids=event.evidence_ids,
            ),
        )
        repo.add_payment(payment)
        outcome.announce(PAYMENTS, payment)
        if event.source_produced_at is not None:
            latency = (outcome.now - event.source_produced_at).total_seconds()
            metrics.PAYMENT_LATENCY.labels(event.contract_id).observe(max(latency, 0.0))


@RULES.on(MilestoneRevoked)
def milestone_revoked(round_: Round, item: Received[MilestoneRevoked]) -> None:
    """Reverse the payment of the revoked occurrence, if it was paid and not reversed."""
    repo, outcome, event = round_.repo, round_.outcome, item.event
    account = (event.contract_id, event.participant_id)
    decision = decide_revoked(
        repo.ledgers[account],
        contract_id=event.contract_id,
        participant_id=event.participant_id,
        milestone=event.milestone,
        occurrence=event.occurrence,
    )
    if decision is None:
        return
    original = repo.components[decision.reverses]
    reversal = ProviderPaymentIssued(
        **outcome.stamp(decision.payment_id, "provider_payment"),
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
        lineage=PaymentLineage(milestone_event_id=item.event_id),
        reverses=decision.reverses,
    )
    repo.add_payment(reversal)
    outcome.announce(PAYMENTS, reversal)


def _price(base_pence: int, uplift_pence: int) -> Price | None:
    """The announced price; None when the contract pays nothing for the milestone."""
    return Price(base_pence, uplift_pence) if base_pence or uplift_pence else None


def make_handler(settings: ServiceSettings, reference: Reference) -> PaymentsHandler:
    return PaymentsHandler()

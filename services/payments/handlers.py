"""Payments use cases: milestones reached/revoked -> provider payments and reversals.

``RULES`` is the table of what payments does with each event type; each use case gets
the round (storage and outcome) and the item, typed by its event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import CONSUMERS, Owner, TopicSpec
from services.common import metrics
from services.common.messages import Received
from services.common.outcome import BatchOutcome, Masker, identity
from services.common.reference import Reference
from services.common.settings import ServiceSettings
from services.payments import decide
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
    account = (event.contract_id, event.participant_id)
    decided = decide.milestone_reached(
        event, repo.ledgers[account], cause=item.event_id, now=outcome.now
    )
    recorded = decided.decision
    if isinstance(recorded, MilestoneNotPaid) and not repo.add_not_paid(recorded):
        return  # a re-sent occurrence is not announced again
    if isinstance(recorded, ProviderPaymentIssued):
        repo.add_payment(recorded)
        _observe_latency(event, outcome)
    outcome.follow(decided, item)


@RULES.on(MilestoneRevoked)
def milestone_revoked(round_: Round, item: Received[MilestoneRevoked]) -> None:
    """Reverse the payment of the revoked occurrence, if it was paid and not reversed."""
    repo, outcome, event = round_.repo, round_.outcome, item.event
    account = (event.contract_id, event.participant_id)
    decided = decide.milestone_revoked(
        event,
        repo.ledgers[account],
        repo.components.__getitem__,
        cause=item.event_id,
        now=outcome.now,
    )
    if isinstance(decided.decision, ProviderPaymentIssued):
        repo.add_payment(decided.decision)
    outcome.follow(decided, item)


def _observe_latency(event: MilestoneReached, outcome: BatchOutcome) -> None:
    """How long after its provider's source event a milestone was paid."""
    if event.source_produced_at is not None:
        latency = (outcome.now - event.source_produced_at).total_seconds()
        metrics.PAYMENT_LATENCY.labels(event.contract_id).observe(max(latency, 0.0))


def make_handler(settings: ServiceSettings, reference: Reference) -> PaymentsHandler:
    return PaymentsHandler()

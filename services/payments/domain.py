"""Payment rules (domain.md §7, §9): payment ids, pay / not pay / reverse.

Pure functions: no I/O, no clock. Money is integer pence. The price of a milestone is
not decided here: sustainment decides it (``services/sustainment/money.settle``) and
carries it on ``MilestoneReached``; payments pays it as given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal
from uuid import UUID, uuid5

from schemas.common import MilestoneKind, RejectionReason
from services.common.pricing import Price

__all__ = [
    "LedgerEntry",
    "NotPayableDecision",
    "PayDecision",
    "Price",
    "ReverseDecision",
    "decide_reached",
    "decide_revoked",
    "payment_id_for",
]

PAYMENT_ID_NAMESPACE = UUID("1449e323-f9d7-456e-9a94-a2f5ac8b134f")


def payment_id_for(
    contract_id: str, participant_id: str, milestone: MilestoneKind, occurrence: int, reversal: bool
) -> str:
    """A deterministic payment id: uuid5 over the identifying fields."""
    name = json.dumps(
        [contract_id, participant_id, str(milestone), occurrence, "reversal" if reversal else "pay"]
    )
    return str(uuid5(PAYMENT_ID_NAMESPACE, name))


@dataclass(frozen=True)
class LedgerEntry:
    """A payment already issued for this contract and participant.

    Reversals may be in the ledger too (negative amount); they are never reversed.
    """

    payment_id: str
    milestone: MilestoneKind
    occurrence: int
    amount_pence: int
    reversed_by: str | None


@dataclass(frozen=True)
class PayDecision:
    kind: ClassVar[Literal["pay"]] = "pay"
    payment_id: str
    price: Price


@dataclass(frozen=True)
class NotPayableDecision:
    kind: ClassVar[Literal["not_payable"]] = "not_payable"
    reason: RejectionReason


@dataclass(frozen=True)
class ReverseDecision:
    kind: ClassVar[Literal["reverse"]] = "reverse"
    payment_id: str
    reverses: str
    amount_pence: int


def decide_reached(
    ledger: Sequence[LedgerEntry],
    *,
    contract_id: str,
    participant_id: str,
    milestone: MilestoneKind,
    occurrence: int,
    price: Price | None,
    payable: bool,
    not_payable_reason: RejectionReason | None,
) -> PayDecision | NotPayableDecision | None:
    """What to do when ``milestone`` (its ``occurrence``-th time) is reached at ``price``.

    In order:
    1. no price (the contract pays 0) -> None (nothing to do);
    2. this payment is already in the ledger, or an unreversed payment for the same
       milestone exists -> None (an idempotent re-send; one payment per milestone);
    3. ``payable`` False -> not payable for ``not_payable_reason`` (``claim_late``,
       ``superseded``: sustainment decides both from the evidence as it stands, v2 §7);
    4. otherwise pay.

    The same kind reached again after a revocation is paid again (a new occurrence);
    that is also how a changed amount is paid (sustainment revokes and reaches again).
    """
    if price is None:
        return None
    payment_id = payment_id_for(contract_id, participant_id, milestone, occurrence, reversal=False)
    if any(_blocks_payment(entry, payment_id, milestone) for entry in ledger):
        return None
    if not payable:
        if not_payable_reason is None:
            raise ValueError("a milestone that is not payable needs a reason")
        return NotPayableDecision(reason=not_payable_reason)
    return PayDecision(payment_id=payment_id, price=price)


def _blocks_payment(entry: LedgerEntry, payment_id: str, milestone: MilestoneKind) -> bool:
    if entry.payment_id == payment_id:
        return True
    return entry.milestone == milestone and entry.amount_pence > 0 and entry.reversed_by is None


def decide_revoked(
    ledger: Sequence[LedgerEntry],
    *,
    contract_id: str,
    participant_id: str,
    milestone: MilestoneKind,
    occurrence: int,
) -> ReverseDecision | None:
    """The reversal of the paid, not yet reversed payment for (milestone, occurrence).

    None when there is nothing to reverse: never paid (price 0, not payable,
    superseded), or already reversed (also when the reversal itself is already in
    the ledger).
    """
    reversal_id = payment_id_for(contract_id, participant_id, milestone, occurrence, reversal=True)
    if any(entry.payment_id == reversal_id for entry in ledger):
        return None
    for entry in ledger:
        if (
            entry.milestone == milestone
            and entry.occurrence == occurrence
            and entry.amount_pence > 0
            and entry.reversed_by is None
        ):
            return ReverseDecision(
                payment_id=reversal_id, reverses=entry.payment_id, amount_pence=-entry.amount_pence
            )
    return None

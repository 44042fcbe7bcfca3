"""Payment rules: prices with LLW uplift, payment ids, pay / not pay / reverse."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any
from uuid import UUID

import pytest

from schemas.common import EligibilityGroup, MilestoneKind, RejectionReason
from services.common.pricing import Price, price_for
from services.common.reference import Contract, load_contracts
from services.payments.domain import (
    LedgerEntry,
    NotPayableDecision,
    PayDecision,
    ReverseDecision,
    decide_reached,
    decide_revoked,
    payment_id_for,
)

BOOK = load_contracts()
DISABILITY = EligibilityGroup.DISABILITY
LTU = EligibilityGroup.LONG_TERM_UNEMPLOYED
EO = MilestoneKind.EARNINGS_OUTCOME
SEO = MilestoneKind.SELF_EMPLOYMENT_OUTCOME


def contract(contract_id: str) -> Contract:
    found = BOOK.get(contract_id)
    assert found is not None
    return found


WHP_CENTRAL = contract("whp-central")
PIONEER = contract("pioneer-central")


# --- prices --------------------------------------------------------------


@pytest.mark.parametrize(
    ("contract_id", "milestone", "pays_llw", "expected"),
    [
        ("whp-central", EO, True, Price(400000, 100000)),  # 25 %
        ("whp-central", EO, False, Price(400000, 0)),
        ("whp-west", EO, True, Price(400000, 80000)),  # 20 %
        ("whp-south", EO, True, Price(400000, 60000)),  # 15 %
        ("whp-local", EO, True, Price(400000, 0)),  # 0 %
        ("whp-national", EO, True, Price(400000, 0)),
        ("whp-central", SEO, True, Price(400000, 0)),  # never uplifted
        ("whp-central", MilestoneKind.JOB_START, True, None),
        ("whp-central", MilestoneKind.SUSTAINED_13W, True, None),
        ("pioneer-central", MilestoneKind.JOB_START, True, Price(50000, 0)),  # never uplifted
        ("pioneer-central", MilestoneKind.SUSTAINED_13W, True, Price(100000, 10000)),
        ("pioneer-central", MilestoneKind.SUSTAINED_13W, False, Price(100000, 0)),
        ("pioneer-central", MilestoneKind.SUSTAINED_26W, True, Price(150000, 15000)),
        ("pioneer-central", MilestoneKind.SUSTAINED_52W, True, None),
        ("pioneer-central", EO, True, None),
        ("pioneer-central", MilestoneKind.FIRST_EARNINGS, True, None),
    ],
)
def test_default_prices(
    contract_id: str, milestone: MilestoneKind, pays_llw: bool, expected: Price | None
) -> None:
    assert price_for(contract(contract_id), DISABILITY, milestone, pays_llw) == expected


def test_amount_is_base_plus_uplift() -> None:
    price = price_for(WHP_CENTRAL, DISABILITY, EO, job_pays_llw=True)
    assert price is not None
    assert price.amount_pence == 500000


@pytest.mark.parametrize(
    ("base", "uplift"),
    [
        (33333, 5000),  # 33333 x 15 / 100 = 4999.95 -> 5000
        (33330, 5000),  # 4999.50 -> 5000 (half up)
        (33329, 4999),  # 4999.35 -> 4999
        (1, 0),  # 0.15 -> 0
        (10, 2),  # 1.50 -> 2
    ],
)
def test_uplift_rounds_half_up_to_whole_pence(base: int, uplift: int) -> None:
    odd = contract("whp-south").model_copy(update={"prices": MappingProxyType({EO: base})})
    assert price_for(odd, LTU, EO, job_pays_llw=True) == Price(base, uplift)


def with_overrides(
    base: Contract, overrides: dict[EligibilityGroup, dict[MilestoneKind, int]]
) -> Contract:
    return base.model_copy(update={"group_prices": MappingProxyType(overrides)})


def test_a_group_override_replaces_the_price_and_is_uplifted() -> None:
    overridden = with_overrides(WHP_CENTRAL, {DISABILITY: {EO: 300000}})
    assert price_for(overridden, DISABILITY, EO, job_pays_llw=True) == Price(300000, 75000)
    assert price_for(overridden, LTU, EO, job_pays_llw=True) == Price(400000, 100000)
    assert price_for(overridden, DISABILITY, SEO, job_pays_llw=True) == Price(400000, 0)


def test_a_group_override_of_zero_means_not_paid() -> None:
    overridden = with_overrides(WHP_CENTRAL, {LTU: {EO: 0}})
    assert price_for(overridden, LTU, EO, job_pays_llw=True) is None


def test_a_group_override_can_price_an_unpaid_milestone() -> None:
    overridden = with_overrides(PIONEER, {EligibilityGroup.EARLY_ACCESS: {EO: 20000}})
    assert price_for(overridden, EligibilityGroup.EARLY_ACCESS, EO, True) == Price(20000, 2000)


# --- payment ids ---------------------------------------------------------


def test_payment_ids_are_deterministic_uuid5() -> None:
    # Pinned: changing these breaks recognition of re-sent payments.
    assert payment_id_for("whp-central", "p-1", EO, 1, reversal=False) == (
        "911d8b71-45dd-5fb8-95b4-d2ab9c0cac35"
    )
    assert payment_id_for("whp-central", "p-1", EO, 1, reversal=True) == (
        "9c95b5d1-a218-5252-ad30-8820c21fb7e5"
    )
    assert UUID(payment_id_for("whp-central", "p-1", EO, 1, reversal=False)).version == 5


def test_payment_ids_differ_by_every_component() -> None:
    ids = {
        payment_id_for("whp-central", "p-1", EO, 1, False),
        payment_id_for("whp-central", "p-1", EO, 1, True),
        payment_id_for("whp-central", "p-1", EO, 2, False),
        payment_id_for("whp-central", "p-1", SEO, 1, False),
        payment_id_for("whp-central", "p-2", EO, 1, False),
        payment_id_for("whp-west", "p-1", EO, 1, False),
    }
    assert len(ids) == 6


def test_payment_ids_cannot_collide_through_separators() -> None:
    assert payment_id_for("a|b", "c", EO, 1, False) != payment_id_for("a", "b|c", EO, 1, False)


# --- decide_reached ------------------------------------------------------


def reached(ledger: list[LedgerEntry], **changes: Any) -> object:
    """``decide_reached`` at the price sustainment announces (``price_for`` the contract)."""
    arguments: dict[str, Any] = {
        "contract": WHP_CENTRAL,
        "participant_id": "p-1",
        "group": DISABILITY,
        "milestone": EO,
        "occurrence": 1,
        "job_pays_llw": True,
        "payable": True,
        "not_payable_reason": None,
    }
    arguments.update(changes)
    contract: Contract = arguments.pop("contract")
    price = price_for(
        contract, arguments.pop("group"), arguments["milestone"], arguments.pop("job_pays_llw")
    )
    return decide_reached(ledger, contract_id=contract.contract_id, price=price, **arguments)


def pid(milestone: MilestoneKind = EO, occurrence: int = 1, reversal: bool = False) -> str:
    return payment_id_for("whp-central", "p-1", milestone, occurrence, reversal)


def paid(
    milestone: MilestoneKind = EO, occurrence: int = 1, reversed_by: str | None = None
) -> LedgerEntry:
    return LedgerEntry(pid(milestone, occurrence), milestone, occurrence, 500000, reversed_by)


def test_a_first_outcome_is_paid_with_uplift() -> None:
    assert reached([]) == PayDecision(payment_id=pid(), price=Price(400000, 100000))
    assert PayDecision.kind == "pay"


def test_a_price_zero_milestone_needs_nothing() -> None:
    assert reached([], milestone=MilestoneKind.JOB_START) is None
    assert reached([], milestone=MilestoneKind.JOB_START, payable=False) is None


def test_a_re_sent_milestone_already_paid_needs_nothing() -> None:
    assert reached([paid()]) is None


def test_one_unreversed_payment_per_milestone_whatever_the_occurrence() -> None:
    assert reached([paid(occurrence=1)], occurrence=2) is None


def test_a_milestone_reached_again_after_reversal_is_paid_anew() -> None:
    ledger = [
        paid(reversed_by=pid(reversal=True)),
        LedgerEntry(pid(reversal=True), EO, 1, -500000, None),
    ]
    assert reached(ledger, occurrence=2) == PayDecision(
        payment_id=pid(occurrence=2), price=Price(400000, 100000)
    )
    assert reached(ledger, occurrence=1) is None  # the reversed one is not paid twice


def test_a_not_payable_milestone_records_its_reason() -> None:
    outcome = reached(
        [], milestone=SEO, payable=False, not_payable_reason=RejectionReason.CLAIM_LATE
    )
    assert outcome == NotPayableDecision(reason=RejectionReason.CLAIM_LATE)


def test_not_payable_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        reached([], payable=False)


def test_superseded_decided_by_sustainment_is_not_paid() -> None:
    # v2 (§7): sustainment decides the exclusivity from the evidence as it stands;
    # payments records the reason it is given.
    outcome = reached(
        [], milestone=SEO, payable=False, not_payable_reason=RejectionReason.SUPERSEDED
    )
    assert outcome == NotPayableDecision(reason=RejectionReason.SUPERSEDED)


def test_an_outcome_is_paid_whatever_other_outcome_was_paid_before() -> None:
    # v2: no memory of arrival -- the self-employment outcome paid and reversed earlier
    # does not stop the earnings outcome sustainment says is payable.
    ledger = [
        LedgerEntry(pid(SEO), SEO, 1, 400000, pid(SEO, reversal=True)),
        LedgerEntry(pid(SEO, reversal=True), SEO, 1, -400000, None),
    ]
    assert reached(ledger, milestone=EO) == PayDecision(
        payment_id=pid(EO), price=Price(400000, 100000)
    )


def test_sustainment_milestones_are_paid_at_their_price() -> None:
    outcome = reached([], contract=PIONEER, milestone=MilestoneKind.SUSTAINED_13W)
    assert outcome == PayDecision(
        payment_id=payment_id_for("pioneer-central", "p-1", MilestoneKind.SUSTAINED_13W, 1, False),
        price=Price(100000, 10000),
    )


# --- decide_revoked ------------------------------------------------------


def revoked(
    ledger: list[LedgerEntry], milestone: MilestoneKind = EO, occurrence: int = 1
) -> object:
    return decide_revoked(
        ledger,
        contract_id="whp-central",
        participant_id="p-1",
        milestone=milestone,
        occurrence=occurrence,
    )


def test_a_paid_milestone_revoked_is_reversed() -> None:
    assert revoked([paid()]) == ReverseDecision(
        payment_id=pid(reversal=True), reverses=pid(), amount_pence=-500000
    )
    assert ReverseDecision.kind == "reverse"


def test_nothing_to_reverse_when_never_paid() -> None:
    assert revoked([]) is None
    assert revoked([paid(SEO)]) is None
    assert revoked([paid(occurrence=1)], occurrence=2) is None


def test_a_reversed_payment_is_not_reversed_twice() -> None:
    assert revoked([paid(reversed_by=pid(reversal=True))]) is None
    reversal = LedgerEntry(pid(reversal=True), EO, 1, -500000, None)
    assert revoked([paid(), reversal]) is None


def test_the_second_occurrence_is_reversed_by_its_own_reversal() -> None:
    ledger = [
        paid(occurrence=1, reversed_by=pid(reversal=True)),
        LedgerEntry(pid(reversal=True), EO, 1, -500000, None),
        LedgerEntry(pid(occurrence=2), EO, 2, 400000, None),
    ]
    assert revoked(ledger, occurrence=2) == ReverseDecision(
        payment_id=pid(occurrence=2, reversal=True),
        reverses=pid(occurrence=2),
        amount_pence=-400000,
    )

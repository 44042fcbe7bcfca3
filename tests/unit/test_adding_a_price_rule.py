"""A contract priced another way is data plus one pricing function (docs/architecture.md).

The data: the contract's entry in contracts.json names its ``price_rule``. The code: one
function in ``services.common.pricing.PRICE_RULES``. Nothing else changes: sustainment
decides the price with it and carries it on ``MilestoneReached``; payments pays that.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from schemas.common import EligibilityGroup, MilestoneKind
from schemas.sustainment import MilestoneReached
from services.common import pricing
from services.common.pricing import Price, PricedContract
from services.common.reference import REFERENCE_DIR, ReferenceDataError, load_contracts
from services.simulation import simulate
from tests.builders import REPEATABLE

EO = MilestoneKind.EARNINGS_OUTCOME
HISTORY = [
    REPEATABLE.referral(),
    REPEATABLE.programme_start(),
    REPEATABLE.job_start(),
    REPEATABLE.evidence("ev-1", date(2024, 4, 15), date(2024, 5, 14), 200_000),
    REPEATABLE.evidence("ev-2", date(2024, 5, 15), date(2024, 6, 14), 200_000),
    REPEATABLE.evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 100_000),
]


def flat_outcome_fee(
    contract: PricedContract, group: EligibilityGroup, milestone: MilestoneKind, llw: bool
) -> Price | None:
    """The new rule: one flat fee for an earnings outcome, nothing else, no uplift."""
    return Price(base_pence=321_00, uplift_pence=0) if milestone is EO else None


def contracts_with(tmp_path: Path, contract_id: str, rule: str) -> Path:
    """deploy/reference/contracts.json, with ``contract_id`` naming ``rule``."""
    document = json.loads((REFERENCE_DIR / "contracts.json").read_text(encoding="utf-8"))
    for contract in document["contracts"]:
        if contract["contract_id"] == contract_id:
            contract["price_rule"] = rule
    path = tmp_path / "contracts.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_contract_names_a_new_price_rule_and_is_paid_by_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given one pricing function registered, and the contract's data naming it
    monkeypatch.setitem(pricing.PRICE_RULES, "flat_outcome_fee", flat_outcome_fee)
    book = load_contracts(contracts_with(tmp_path, "whp-central", "flat_outcome_fee"))

    # when a participant on that contract reaches an earnings outcome
    result = simulate(HISTORY, contracts=book)

    # then sustainment announces the new rule's price and payments pays exactly that
    reached = [m for m in result.of_type(MilestoneReached) if m.milestone is EO]
    assert [m.price.amount_pence if m.price else None for m in reached] == [321_00]
    assert [(p.milestone, p.amount_pence) for p in result.payments] == [(EO, 321_00)]
    # while the unchanged book still pays the contract's own prices (with its LLW uplift)
    assert [p.amount_pence for p in simulate(HISTORY).payments] == [500_000]


def test_a_contract_naming_an_unknown_price_rule_is_refused_when_loaded(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match=r"price_rule: unknown price rule 'no_such'"):
        load_contracts(contracts_with(tmp_path, "whp-central", "no_such"))

"""The contract book the services run with when they are fed by ``tools.feed``.

The product's reference data (``deploy/reference``) plus the feed's group price overrides
(:data:`tools.feed.world.GROUP_PRICES`). ``make run`` and the e2e tests point the
services at the folder written here (``REFERENCE_DIR``), so the services and the feed's
expectation price the same contracts while the product's defaults stay as domain.md §7
lists them. The rates file is copied unchanged: the feed keeps its own rate table and a
unit test checks that the two agree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tools.feed.world import GROUP_PRICES

PRODUCT_REFERENCE = Path(__file__).resolve().parents[2] / "deploy" / "reference"


def contracts_document(source: Path = PRODUCT_REFERENCE) -> dict[str, Any]:
    """The product's contracts.json with the feed's group prices merged in."""
    document: dict[str, Any] = json.loads((source / "contracts.json").read_text())
    for contract in document["contracts"]:
        overrides = GROUP_PRICES.get(contract["contract_id"], {})
        merged: dict[str, dict[str, int]] = {
            group: dict(prices) for group, prices in contract.get("group_prices", {}).items()
        }
        for group, prices in overrides.items():
            merged.setdefault(group.value, {}).update({m.value: p for m, p in prices.items()})
        contract["group_prices"] = merged
    return document


def write_reference(target: Path, source: Path = PRODUCT_REFERENCE) -> Path:
    """Write rates.json and the merged contracts.json into ``target``; return it."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "rates.json", target / "rates.json")
    (target / "contracts.json").write_text(json.dumps(contracts_document(source), indent=2))
    return target

"""What one transaction's BatchOutcome keeps: per-transaction values, and derived events
keyed by their participant with ids derived from their input."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.topics import PARTICIPANTS
from services.common.emits import derived_event_id
from services.common.outcome import BatchOutcome, PerTransaction
from services.common.reference import load_contracts
from services.sustainment.handlers import DISPLACED
from services.views.handlers import CHANGES
from tests.builders import NEW_EACH_CALL, REPEATABLE

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_per_transaction_value_starts_anew_with_each_transaction() -> None:
    first = BatchOutcome("sustainment", NOW)
    first.gathered(DISPLACED).append(object())  # type: ignore[arg-type]
    assert len(first.gathered(DISPLACED)) == 1  # the same value across the rounds
    second = BatchOutcome("sustainment", NOW)  # the next transaction (or a retry)
    assert second.gathered(DISPLACED) == []


def test_slots_are_apart_even_with_the_same_name() -> None:
    outcome = BatchOutcome("views", NOW)
    other: PerTransaction[set[object]] = PerTransaction(CHANGES.name, set)
    outcome.gathered(other).add("x")
    assert outcome.gathered(CHANGES) == set()
    assert outcome.gathered(other) == {"x"}


def test_announce_keys_an_event_by_its_participant() -> None:
    outcome = BatchOutcome("intake", NOW)
    event = NEW_EACH_CALL.participant_started("participant-9")
    outcome.announce(PARTICIPANTS, event)
    [sent] = outcome.outgoing
    assert (sent.spec, sent.key, sent.event) == (PARTICIPANTS, "participant-9", event)


def test_announce_refuses_what_is_not_an_event() -> None:
    class NotAnEvent:
        participant_id = "participant-9"

    with pytest.raises(TypeError):
        BatchOutcome("intake", NOW).announce(PARTICIPANTS, NotAnEvent())


def test_a_stamp_is_the_derived_id_and_the_batch_time() -> None:
    stamp = BatchOutcome("intake", NOW).stamp("message-1", "participant_started")
    assert stamp == {
        "event_id": derived_event_id("message-1", "participant_started"),
        "produced_at": NOW,
    }


def test_repeatable_builders_give_the_same_id_for_the_same_arguments() -> None:
    assert REPEATABLE.referral("r").event_id == REPEATABLE.referral("r").event_id
    assert REPEATABLE.referral("r").event_id != REPEATABLE.referral("r", tag="x").event_id
    assert NEW_EACH_CALL.referral("r").event_id != NEW_EACH_CALL.referral("r").event_id


def test_reference_data_is_frozen() -> None:
    contract = load_contracts().contracts["whp-central"]
    with pytest.raises(ValidationError):
        contract.llw_uplift_percent = 50  # type: ignore[misc]
    with pytest.raises(TypeError):
        contract.prices[next(iter(contract.prices))] = 1  # type: ignore[index]


def test_no_reference_file_is_read_when_the_product_is_imported() -> None:
    """Every composition root imports without opening contracts.json or rates.json:
    reference data is read at start (``load_reference``), never at import."""
    modules = [
        "schemas.topics",
        "schemas.asyncapi",
        "services.intake.bootstrap",
        "services.placement.bootstrap",
        "services.sustainment.bootstrap",
        "services.payments.bootstrap",
        "services.views.bootstrap",
        "services.runtime.app",
        "services.simulation",
        "services.web.app",
        "outcomes_cli.__main__",
    ]
    code = (
        "import importlib, sys\n"
        "opened = []\n"
        "def watch(event, args):\n"
        "    if event == 'open' and str(args[0]).endswith(('contracts.json', 'rates.json')):\n"
        "        opened.append(str(args[0]))\n"
        "sys.addaudithook(watch)\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "print(opened)\n"
        "sys.exit(1 if opened else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *modules], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""A reduced ``make fuzz``: 500 hostile messages per provider topic kind in a valid feed.

Every hostile message is rejected (matched by source topic/partition/offset), held,
accepted or a duplicate no-op of the same content; no service restarts; the valid
feed's payments are exactly the feed's expectation.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from deploy.create_topics import delete_namespace_topics
from schemas.topics import SERVICES
from tests.e2e.conftest import free_port
from tools.feed.generate import generate_feed
from tools.fuzz.__main__ import Stack, run_once
from tools.fuzz.hostile import hostile_messages, interleave, max_message_bytes
from tools.fuzz.pipeline import drop_database, feed_message, providers

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PARTICIPANTS = 200
PER_TOPIC = 500
SEED = 5


def test_hostile_input_is_all_accounted_for_and_changes_no_payment(
    kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    items = generate_feed(PARTICIPANTS, SEED)
    base, hostile = hostile_messages(
        items, providers(), PER_TOPIC, SEED, max_message_bytes(), size_messages=2
    )
    messages = interleave(items, base, hostile, SEED, feed_message)
    stack = Stack(
        kafka_bootstrap,
        database_url,
        tmp_path,
        {s: free_port() for s in SERVICES},
        quiet_timeout=240,
        stall_seconds=60,
    )
    tag = uuid.uuid4().hex[:8]
    try:
        result = run_once(stack, "hostile", items, messages, f"fuzz-{tag}.", f"fuzz_{tag}")
    finally:
        asyncio.run(delete_namespace_topics(kafka_bootstrap, f"fuzz-{tag}."))
        asyncio.run(drop_database(database_url, f"fuzz_{tag}"))
    accounting = result.accounting
    assert accounting is not None
    report = "\n".join(
        [
            *accounting.lines(),
            *result.payments.lines(),
            f"service restarts {result.restarts}; quiet after {result.seconds_to_quiet}s",
        ]
    )
    print(report)
    assert result.seconds_to_quiet is not None, report
    assert accounting.total_sent >= 3 * PER_TOPIC
    assert accounting.total_unaccounted == 0, report
    assert result.restarts == 0, result.exits
    assert result.payments.exact, report
    assert sum(accounting.rejected.values()) > PER_TOPIC, report

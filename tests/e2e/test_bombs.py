"""Compression bombs to every provider topic kind, in a valid feed, services at 1 GiB.

Gzip batches of a few hundred KB (the broker accepts them: its limit applies to the batch
as sent) inflate to 200 MB records, to hundreds of records just under the size limit, or
hide small records behind a bomb. Each service runs under RLIMIT_AS = 1 GiB, as a
container's memory limit would bound it. Every bomb record is rejected ``invalid_schema``
at its offset, the valid feed around the bombs is paid exactly, no service restarts or
stalls for more than a few seconds, and the logs stay proportional to the input.
(gzip is the one codec the services' Kafka client can read; a batch in any other codec
is rejected unread, tests/unit/test_inflate.py.)
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from deploy.create_topics import delete_namespace_topics
from schemas.bounds import MAX_MESSAGE_BYTES
from schemas.topics import SERVICES
from tests.e2e.conftest import free_port
from tools.feed.generate import generate_feed
from tools.fuzz.__main__ import Stack, run_once
from tools.fuzz.bombs import MB, make_bombs
from tools.fuzz.pipeline import drop_database, feed_message, providers

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PARTICIPANTS = 60
SEED = 11
BOMB_BYTES = 200 * MB
ADDRESS_SPACE = 1024 * MB
LONGEST_STALL_SECONDS = 5.0


def test_bombs_are_rejected_and_the_feed_around_them_is_paid_exactly(
    kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    items = generate_feed(PARTICIPANTS, SEED)
    bombs = make_bombs([p.provider_id for p in providers()], BOMB_BYTES, MAX_MESSAGE_BYTES)
    assert {b.spec.name for b in bombs} == {
        "provider.intake.v1",
        "provider.placements.v1",
        "provider.evidence.v1",
    }
    stack = Stack(
        kafka_bootstrap,
        database_url,
        tmp_path,
        {s: free_port() for s in SERVICES},
        quiet_timeout=240,
        stall_seconds=60,
        address_space_bytes=ADDRESS_SPACE,
    )
    tag = uuid.uuid4().hex[:8]
    messages = [feed_message(i) for i in items]
    try:
        result = run_once(
            stack, "bombs", items, messages, f"bomb-{tag}.", f"bomb_{tag}", bombs=bombs
        )
    finally:
        asyncio.run(delete_namespace_topics(kafka_bootstrap, f"bomb-{tag}."))
        asyncio.run(drop_database(database_url, f"bomb_{tag}"))
    account = result.bombs
    assert account is not None
    report = "\n".join(
        [
            *account.lines(),
            *result.payments.lines(),
            *(u.line() for u in result.usage),
            f"service restarts {result.restarts} {result.exits};"
            f" quiet after {result.seconds_to_quiet}s",
        ]
    )
    print(report)
    assert result.seconds_to_quiet is not None, report
    assert account.refused_by_broker == 0, report
    assert account.records == sum(b.records for b in bombs)
    assert account.all_rejected, report
    assert account.reasons["invalid_schema"] == account.records
    assert result.restarts == 0, report
    assert result.payments.exact, report
    for used in result.usage:
        assert 0 < used.peak_address_space <= ADDRESS_SPACE, report
        assert used.stall_at_most is not None, report
        assert used.stall_at_most <= LONGEST_STALL_SECONDS, report
        assert used.log_lines < account.records + len(items) + 2_000, report

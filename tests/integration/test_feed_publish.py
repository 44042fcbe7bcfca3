"""Publish a small synthetic feed to the real broker and read it back."""

from __future__ import annotations

import uuid
from collections import defaultdict

import pytest

from schemas.topics import (
    ALL_TOPICS,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    qualified,
)
from tests.integration.conftest import read_topics
from tools.feed.expectation import expected_counts
from tools.feed.generate import generate_feed
from tools.feed.publish import publish_feed
from tools.summary import format_summary, read_summary

pytestmark = pytest.mark.integration

PROVIDER_TOPICS = (PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE)


async def test_published_feed_reads_back(kafka_bootstrap: str, namespace: str) -> None:
    items = generate_feed(40, seed=11)
    expected = expected_counts(items)

    sent = await publish_feed(kafka_bootstrap, items, namespace)
    assert sent == len(items)

    summary = await read_summary(kafka_bootstrap, namespace)
    assert not summary.missing_topics
    on_provider_topics = sum(summary.messages[qualified(s, namespace)] for s in PROVIDER_TOPICS)
    assert on_provider_topics == len(items)
    assert not summary.undecodable
    assert summary.referrals == expected.referrals >= 40  # some people are referred twice
    # Nothing else runs under this namespace: the service topics are empty.
    for spec in ALL_TOPICS:
        if spec not in PROVIDER_TOPICS:
            assert summary.messages[qualified(spec, namespace)] == 0
    assert "referrals" in format_summary(summary, expected)

    # Every message arrived with its key, and messages of one key kept the feed's order.
    for spec in PROVIDER_TOPICS:
        wanted: defaultdict[str, list[bytes]] = defaultdict(list)
        for item in items:
            if item.topic is spec:
                wanted[item.key].append(item.event.model_dump_json().encode())
        got: defaultdict[str, list[bytes]] = defaultdict(list)
        read = await read_topics(kafka_bootstrap, [spec], namespace)
        for key, value in read[qualified(spec, namespace)]:
            got[key].append(value)
        assert got == wanted


async def test_summary_of_missing_topics(kafka_bootstrap: str) -> None:
    namespace = f"it-none-{uuid.uuid4().hex[:10]}."
    summary = await read_summary(kafka_bootstrap, namespace)
    assert len(summary.missing_topics) == len(ALL_TOPICS)
    assert summary.referrals == 0

"""Publish a small synthetic feed to the real broker and read it back."""

from __future__ import annotations

import uuid
from collections import defaultdict

import pytest

from schemas.topics import (
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    all_topics,
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
    provider_topics = all_topics(namespace, specs=PROVIDER_TOPICS)
    on_provider_topics = sum(summary.messages[name] for name in provider_topics)
    assert on_provider_topics == len(items)
    assert not summary.undecodable
    assert summary.referrals == expected.referrals >= 40  # some people are referred twice
    # Nothing else runs under this namespace: the service topics are empty.
    for name in all_topics(namespace):
        if name not in provider_topics:
            assert summary.messages[name] == 0
    assert "referrals" in format_summary(summary, expected)

    # Every message arrived with its key, and messages of one key kept the feed's order.
    for spec in PROVIDER_TOPICS:
        wanted: defaultdict[str, list[bytes]] = defaultdict(list)
        for item in items:
            if item.topic is spec:
                wanted[item.key].append(item.event.model_dump_json().encode())
        got: defaultdict[str, list[bytes]] = defaultdict(list)
        read = await read_topics(kafka_bootstrap, [spec], namespace)
        for name in all_topics(namespace, specs=[spec]):
            for key, value in read[name]:
                got[key].append(value)
        assert got == wanted


async def test_summary_of_missing_topics(kafka_bootstrap: str) -> None:
    namespace = f"it-none-{uuid.uuid4().hex[:10]}."
    summary = await read_summary(kafka_bootstrap, namespace)
    assert len(summary.missing_topics) == len(all_topics(namespace))
    assert summary.referrals == 0

"""Publish a small synthetic feed to the real broker and read it back."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from deploy.create_topics import ensure_topics
from schemas.topics import (
    ALL_TOPICS,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    TopicSpec,
    qualified,
)
from tools.feed.expectation import expected_counts
from tools.feed.generate import generate_feed
from tools.feed.publish import publish_feed
from tools.summary import format_summary, read_summary, topic_partitions

pytestmark = pytest.mark.integration

PROVIDER_TOPICS = (PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE)


async def _read_all(bootstrap: str, spec: TopicSpec, namespace: str) -> list[tuple[bytes, bytes]]:
    """(key, value) of every message on the topic, partition by partition."""
    name = qualified(spec, namespace)
    ids = (await topic_partitions(bootstrap, [name]))[name]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(name, p) for p in ids]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        out: list[tuple[bytes, bytes]] = []
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                batches = await consumer.getmany(tp, timeout_ms=1000)
                for record in batches.get(tp, []):
                    out.append((record.key, record.value))
        return out
    finally:
        await consumer.stop()


@pytest.fixture
async def namespace(kafka_bootstrap: str) -> AsyncIterator[str]:
    """A unique namespace with the registry's topics, deleted afterwards."""
    prefix = f"it-feed-{uuid.uuid4().hex[:10]}."
    names = await ensure_topics(kafka_bootstrap, prefix)
    yield prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


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
    assert summary.referrals == expected.referrals == 40
    # Nothing else runs under this namespace: the service topics are empty.
    for spec in ALL_TOPICS:
        if spec not in PROVIDER_TOPICS:
            assert summary.messages[qualified(spec, namespace)] == 0
    assert "referrals" in format_summary(summary, expected)

    # Every message arrived with its key, and messages of one key kept the feed's order.
    for spec in PROVIDER_TOPICS:
        wanted: defaultdict[bytes, list[bytes]] = defaultdict(list)
        for item in items:
            if item.topic is spec:
                wanted[item.key.encode()].append(item.event.model_dump_json().encode())
        got: defaultdict[bytes, list[bytes]] = defaultdict(list)
        for key, value in await _read_all(kafka_bootstrap, spec, namespace):
            got[key].append(value)
        assert got == wanted


async def test_summary_of_missing_topics(kafka_bootstrap: str) -> None:
    namespace = f"it-none-{uuid.uuid4().hex[:10]}."
    summary = await read_summary(kafka_bootstrap, namespace)
    assert len(summary.missing_topics) == len(ALL_TOPICS)
    assert summary.referrals == 0

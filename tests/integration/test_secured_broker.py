"""The secured broker: who may do what (deploy/secured.py ACLs), one assertion each.

A is ``prov-whp-central``, B is ``prov-whp-west``. Refusals are the broker's own errors;
each refusal has a positive control (the rightful principal succeeds) next to it.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from deploy.secured import rotate
from schemas.topics import (
    MILESTONES,
    PARTICIPANTS,
    PAYMENTS,
    PLACEMENTS,
    PROVIDER_KINDS,
    REJECTIONS,
    SERVICES,
    TopicSpec,
    provider_rejections_topic,
    provider_topic,
    qualified,
)
from tests.secured import SecuredKafka
from tools.feed import generate_feed
from tools.feed.publish import publish_feed

pytestmark = pytest.mark.integration

A, B = "prov-whp-central", "prov-whp-west"
INTERNAL: tuple[TopicSpec, ...] = (
    PARTICIPANTS,
    PLACEMENTS,
    MILESTONES,
    PAYMENTS,
    *REJECTIONS.values(),
)


async def write(kafka: SecuredKafka, principal: str, topic: str) -> None:
    """One record to ``topic`` as ``principal`` (plain producer: the refusal is the topic's)."""
    producer = AIOKafkaProducer(**kafka.options(principal), request_timeout_ms=15_000)
    try:
        await producer.start()
        await producer.send_and_wait(topic, b'{"probe": true}', key=b"probe")
    finally:
        await producer.stop()


async def read(kafka: SecuredKafka, principal: str, topic: str, group: str) -> int:
    """Records of ``topic`` read in ``group`` as ``principal`` (subscribed, from the start)."""
    consumer = AIOKafkaConsumer(
        topic,
        **kafka.options(principal),
        group_id=group,
        auto_offset_reset="earliest",
        request_timeout_ms=15_000,
    )
    try:
        await consumer.start()
        batches = await asyncio.wait_for(consumer.getmany(timeout_ms=5_000), 30)
        return sum(len(records) for records in batches.values())
    finally:
        await consumer.stop()


async def test_an_anonymous_client_is_refused(secured_kafka: SecuredKafka) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=secured_kafka.bootstrap, request_timeout_ms=5_000)
    with pytest.raises(KafkaConnectionError):
        await admin.start()
    await admin.close()


async def test_a_wrong_password_is_refused(secured_kafka: SecuredKafka) -> None:
    settings = secured_kafka.settings(A).as_principal(A, "not-the-password")
    producer = AIOKafkaProducer(**settings.kafka_options(), request_timeout_ms=5_000)
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()


@pytest.mark.parametrize("kind", PROVIDER_KINDS, ids=lambda k: k.name)
async def test_a_provider_writes_its_own_topics(
    secured_kafka: SecuredKafka, kind: TopicSpec
) -> None:
    await write(secured_kafka, A, provider_topic(kind, A))  # no error: allowed


@pytest.mark.parametrize("kind", PROVIDER_KINDS, ids=lambda k: k.name)
async def test_provider_b_cannot_write_a_topics(
    secured_kafka: SecuredKafka, kind: TopicSpec
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(secured_kafka, B, provider_topic(kind, A))


async def test_provider_b_reads_its_own_rejections(secured_kafka: SecuredKafka) -> None:
    await write(secured_kafka, "intake", provider_rejections_topic(B))
    assert await read(secured_kafka, B, provider_rejections_topic(B), f"provider-{B}") == 1


async def test_provider_b_cannot_read_a_rejections(secured_kafka: SecuredKafka) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read(secured_kafka, B, provider_rejections_topic(A), f"provider-{B}")


async def test_provider_b_cannot_use_another_consumer_group(secured_kafka: SecuredKafka) -> None:
    with pytest.raises(GroupAuthorizationFailedError):
        await read(secured_kafka, B, provider_rejections_topic(B), "outcomes-intake")


async def test_provider_b_cannot_read_payments(secured_kafka: SecuredKafka) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read(secured_kafka, B, qualified(PAYMENTS), f"provider-{B}")


@pytest.mark.parametrize("spec", INTERNAL, ids=lambda s: s.name)
async def test_provider_b_cannot_write_an_internal_topic(
    secured_kafka: SecuredKafka, spec: TopicSpec
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(secured_kafka, B, qualified(spec))


async def test_finance_reads_payments(secured_kafka: SecuredKafka) -> None:
    await write(secured_kafka, "payments", qualified(PAYMENTS))
    assert await read(secured_kafka, "finance", qualified(PAYMENTS), "finance") >= 1


async def test_finance_cannot_write_payments(secured_kafka: SecuredKafka) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(secured_kafka, "finance", qualified(PAYMENTS))


OTHERS_TOPICS = [
    (service, spec)
    for service in SERVICES
    for spec in (PARTICIPANTS, PLACEMENTS, MILESTONES, PAYMENTS, *REJECTIONS.values())
    if spec.owner != service
]


@pytest.mark.parametrize(
    ("service", "spec"), OTHERS_TOPICS, ids=[f"{s}-{t.name}" for s, t in OTHERS_TOPICS]
)
async def test_a_service_cannot_write_another_services_topic(
    secured_kafka: SecuredKafka, service: str, spec: TopicSpec
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(secured_kafka, service, qualified(spec))


async def test_a_service_cannot_write_a_providers_inbound_topic(
    secured_kafka: SecuredKafka,
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(secured_kafka, "intake", provider_topic(PROVIDER_KINDS[0], A))


async def test_ops_may_describe(secured_kafka: SecuredKafka) -> None:
    consumer = AIOKafkaConsumer(**secured_kafka.options("ops"), group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(qualified(PAYMENTS), 0)
        ends = await consumer.end_offsets([tp])  # ListOffsets needs DESCRIBE
    finally:
        await consumer.stop()
    assert ends[tp] >= 0


async def test_ops_cannot_read(secured_kafka: SecuredKafka) -> None:
    tp = TopicPartition(qualified(PAYMENTS), 0)
    consumer = AIOKafkaConsumer(**secured_kafka.options("ops"), group_id=None)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        with pytest.raises(TopicAuthorizationFailedError):
            await asyncio.wait_for(consumer.getmany(tp, timeout_ms=5_000), 30)
    finally:
        await consumer.stop()


async def test_tools_take_their_principal_from_the_environment(
    secured_kafka: SecuredKafka, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the feed tool, configured as provider A, publishes A's part of a feed
    for name, value in secured_kafka.env(A).items():
        monkeypatch.setenv(name, value)
    items = [i for i in generate_feed(20, seed=3) if i.event.provider_id == A]
    assert await publish_feed(secured_kafka.bootstrap, items) == len(items) > 0


async def test_a_rotated_password_replaces_the_old_one(secured_kafka: SecuredKafka) -> None:
    # given provider C (used by no other test) rotates its password
    c = "prov-whp-local"
    await rotate(secured_kafka.bootstrap, c, secured_kafka.secrets_file)
    new = json.loads(secured_kafka.secrets_file.read_text())["users"][c]
    rotated = SecuredKafka(secured_kafka.bootstrap, {c: new}, secured_kafka.secrets_file)

    await write(rotated, c, provider_topic(PROVIDER_KINDS[0], c))  # the new one works
    with pytest.raises(KafkaError):  # the old one does not
        await write(secured_kafka, c, provider_topic(PROVIDER_KINDS[0], c))

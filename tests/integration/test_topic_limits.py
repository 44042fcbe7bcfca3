"""Provider topics refuse what the broker can check: batches over max.message.bytes.

The broker checks the batch as sent (compressed or not); what a compressed batch inflates
to is bounded in the services (services/common/inflate.py, tests/e2e/test_bombs.py).
"""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import MessageSizeTooLargeError

from deploy.create_topics import (
    PROVIDER_TOPIC_MAX_MESSAGE_BYTES,
    current_configs,
    delete_namespace_topics,
    ensure_topics,
)
from schemas.topics import PROVIDER_INTAKE, PROVIDERS, provider_topic

pytestmark = pytest.mark.integration

KEYS = ["max.message.bytes", "compression.type"]
WANTED = {
    "max.message.bytes": str(PROVIDER_TOPIC_MAX_MESSAGE_BYTES),
    "compression.type": "producer",
}


async def test_provider_topics_are_created_size_bounded_and_refuse_larger_batches(
    kafka_bootstrap: str,
) -> None:
    namespace = f"limits-{uuid.uuid4().hex[:8]}."
    try:
        names = await ensure_topics(kafka_bootstrap, namespace)
        configs = await current_configs(kafka_bootstrap, names, KEYS)
        intake = provider_topic(PROVIDER_INTAKE, PROVIDERS[0], namespace)
        assert configs[intake] == WANTED
        internal = f"{namespace}intake.participants.v1"
        assert configs[internal]["max.message.bytes"] != WANTED["max.message.bytes"]

        producer = AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, max_request_size=4 * 1024 * 1024
        )
        await producer.start()
        try:
            fits = await producer.send_and_wait(
                intake, b"x" * (PROVIDER_TOPIC_MAX_MESSAGE_BYTES // 2)
            )
            assert fits.offset == 0
            with pytest.raises(MessageSizeTooLargeError):
                await producer.send_and_wait(intake, b"x" * (PROVIDER_TOPIC_MAX_MESSAGE_BYTES + 1))
        finally:
            await producer.stop()
    finally:
        await delete_namespace_topics(kafka_bootstrap, namespace)


async def test_an_existing_provider_topic_gets_the_limits(kafka_bootstrap: str) -> None:
    namespace = f"limits-{uuid.uuid4().hex[:8]}."
    intake = provider_topic(PROVIDER_INTAKE, PROVIDERS[0], namespace)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(intake, 1, 1)])
    finally:
        await admin.close()
    try:
        before = await current_configs(kafka_bootstrap, [intake], KEYS)
        assert before[intake] != WANTED
        await ensure_topics(kafka_bootstrap, namespace)
        after = await current_configs(kafka_bootstrap, [intake], KEYS)
        assert after[intake] == WANTED
    finally:
        await delete_namespace_topics(kafka_bootstrap, namespace)

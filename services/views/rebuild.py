"""``python -m services.views --rebuild``: the read model again from the topics.

The ``views`` schema is dropped and migrated afresh, and the service's consumer group
is moved back to the beginning of every input topic; the service then consumes
everything again. The content is a function of the events alone (upserts, derived
columns recomputed from the facts), so a rebuild gives the same tables.

The service must be stopped while its group is rewound: Kafka accepts the new offsets
only once the group has no member (a stopped static member leaves when its session
times out, ``KAFKA_SESSION_TIMEOUT_SECONDS``); the rewind retries until then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from schemas.topics import all_topics
from services.common import db
from services.common.settings import ServiceSettings
from services.views import SCHEMA
from services.views.handlers import ViewsHandler

log = logging.getLogger(__name__)
SERVICE_DIR = Path(__file__).parent
REWIND_GIVE_UP_SECONDS = 120.0


async def reset_schema(database_url: str) -> list[str]:
    """Drop the read model's schema (tables, inbox) and migrate it again."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    finally:
        await conn.close()
    return await db.migrate(database_url, SCHEMA, SERVICE_DIR)


def input_topic_names(namespace: str, providers: Sequence[str] | None = None) -> list[str]:
    return sorted(all_topics(namespace, providers, ViewsHandler.inputs))


async def rewind_group(
    settings: ServiceSettings, give_up_after: float = REWIND_GIVE_UP_SECONDS
) -> dict[TopicPartition, int]:
    """Commit the first offset of every input partition for the views consumer group."""
    partitions = await _partitions(settings, input_topic_names(settings.topic_namespace))
    if not partitions:
        return {}  # no topics yet: the service will start from the beginning anyway
    deadline = time.monotonic() + give_up_after
    while True:
        consumer = AIOKafkaConsumer(
            **settings.kafka_options(),
            group_id=settings.consumer_group(SCHEMA),
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            first = await consumer.beginning_offsets(partitions)
            await consumer.commit(dict(first))
            return dict(first)
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("views group still has a member (%s); retrying", exc)
        finally:
            await consumer.stop()
        await asyncio.sleep(1.0)


async def _partitions(settings: ServiceSettings, names: Sequence[str]) -> list[TopicPartition]:
    """Every partition of the topics ``names`` that exist."""
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        described = await admin.describe_topics(list(names))
    finally:
        await admin.close()
    return sorted(
        TopicPartition(topic["topic"], p["partition"])
        for topic in described
        if topic["error_code"] == 0
        for p in topic["partitions"]
    )


async def rebuild(settings: ServiceSettings) -> None:
    applied = await reset_schema(settings.database_url)
    log.info("views: schema rebuilt (%s)", ", ".join(applied))
    rewound = await rewind_group(settings)
    log.info("views: consumer group rewound on %d partitions", len(rewound))

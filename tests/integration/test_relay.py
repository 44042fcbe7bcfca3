"""The outbox relay on real PostgreSQL and Kafka: publish, delete, publish nothing twice."""

from __future__ import annotations

import pytest

from schemas.intake import ParticipantStarted
from schemas.rejections import EventRejected
from schemas.topics import PARTICIPANTS, PROVIDER_REJECTIONS
from services.common.db import Pool
from services.common.relay import OutboxRelay, make_producer
from tests.integration.conftest import (
    ServiceStarter,
    intake_handler,
    programme_start,
    read_topics,
    referral,
)

pytestmark = pytest.mark.integration


async def raw_outbox(pool: Pool) -> dict[str, list[tuple[str, bytes]]]:
    """The outbox as the relay sees it: (key, value bytes) per topic."""
    by_topic: dict[str, list[tuple[str, bytes]]] = {}
    for row in await pool.fetch("SELECT topic, key, value FROM outbox ORDER BY id"):
        by_topic.setdefault(row["topic"], []).append((row["key"], bytes(row["value"])))
    return {topic: sorted(records) for topic, records in by_topic.items()}


async def test_relay_publishes_outbox_rows_with_their_keys_then_deletes_them(
    start_service: ServiceStarter, kafka_bootstrap: str, namespace: str
) -> None:
    # given intake's outbox holds a participant start and a rejection, under the namespace
    intake = await start_service(intake_handler(), namespace=namespace)
    await intake.send(referral(), programme_start(), referral("ref-2", nino="QQ123456C"))
    pending = await intake.outbox()
    assert [type(r.event) for r in pending] == [ParticipantStarted, EventRejected]
    expected = await raw_outbox(intake.pool)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        relay = OutboxRelay(intake.pool, producer, "intake", namespace=namespace)

        # when the relay publishes
        published = await relay.publish_once()
        again = await relay.publish_once()
    finally:
        await producer.stop()

    # then exactly those events are on the namespaced topics, keyed, and the outbox is empty
    read = await read_topics(kafka_bootstrap, [PARTICIPANTS, PROVIDER_REJECTIONS], namespace)
    assert {topic: sorted(records) for topic, records in read.items() if records} == expected
    assert set(expected) == {
        f"{namespace}intake.participants.v1",
        f"{namespace}provider.prov-whp-central.rejections.v1",
    }
    assert pending[0].key == pending[0].event.participant_id
    assert published == 2
    assert await intake.outbox() == []
    # and running it again published nothing
    assert again == 0

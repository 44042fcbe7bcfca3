"""The outbox relay on real PostgreSQL and Kafka: publish, delete, publish nothing twice;
a row the broker refuses for good goes to dead_letters and blocks nothing."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import REGISTRY

from schemas.intake import ParticipantStarted
from schemas.rejections import EventRejected
from schemas.topics import PARTICIPANTS, PROVIDER_REJECTIONS
from services.common.db import Pool
from services.common.relay import OutboxRelay, make_producer
from tests.builders import programme_start, referral
from tests.integration.conftest import ServiceStarter, intake_handler, read_topics

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
    relay = OutboxRelay(
        intake.pool, lambda: make_producer(kafka_bootstrap), "intake", namespace=namespace
    )
    try:
        # when the relay publishes
        published = await relay.publish_once()
        again = await relay.publish_once()
    finally:
        await relay.stop()

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


SMALL_TOPIC_MAX_BYTES = 2_000


@contextlib.asynccontextmanager
async def small_topic(bootstrap: str, name: str, max_message_bytes: int) -> AsyncIterator[str]:
    """A topic created with a small ``max.message.bytes`` (applied at creation), then deleted."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(
                    name,
                    num_partitions=1,
                    replication_factor=1,
                    topic_configs={"max.message.bytes": str(max_message_bytes)},
                )
            ]
        )
        async with asyncio.timeout(30):  # until the broker's metadata has it
            while True:
                topics = await admin.describe_topics([name])
                if any(t["error_code"] == 0 and t["partitions"] for t in topics):
                    break
                await asyncio.sleep(0.1)
        yield name
    finally:
        await admin.delete_topics([name])
        await admin.close()


async def add_rows(pool: Pool, rows: list[tuple[str, str, bytes]]) -> list[int]:
    ids = []
    for topic, key, value in rows:
        ids.append(
            await pool.fetchval(
                "INSERT INTO outbox (topic, key, event_id, value) VALUES ($1, $2, $3, $4)"
                " RETURNING id",
                topic,
                key,
                str(uuid.uuid4()),
                value,
            )
        )
    return ids


async def until_outbox_holds(pool: Pool, where: str, arg: int, deadline: float = 60) -> None:
    """Poll until no outbox row matches ``where`` (fail after ``deadline`` seconds)."""
    async with asyncio.timeout(deadline):
        while await pool.fetchval(f"SELECT count(*) FROM outbox WHERE {where}", arg):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def read_topic(bootstrap: str, topic: str) -> list[tuple[str, bytes]]:
    """(key, value) of every record on a one-partition topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        read: list[tuple[str, bytes]] = []
        while await consumer.position(tp) < end:
            for message in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                read.append((message.key.decode(), message.value))
        return read
    finally:
        await consumer.stop()


def dead_letters_counted(service: str) -> float:
    labels = {"service": service}
    return REGISTRY.get_sample_value("outcomes_outbox_dead_letters_total", labels) or 0.0


@pytest.mark.parametrize("poison", ["over_relay_limit", "refused_by_broker", "unknown_topic"])
async def test_a_poisoned_row_is_dead_lettered_and_the_rows_behind_it_are_published(
    start_service: ServiceStarter, kafka_bootstrap: str, namespace: str, poison: str
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        await _poisoned_row_scenario(stack, start_service, kafka_bootstrap, namespace, poison)


async def _poisoned_row_scenario(
    stack: contextlib.AsyncExitStack,
    start_service: ServiceStarter,
    kafka_bootstrap: str,
    namespace: str,
    poison: str,
) -> None:
    # given an outbox with good rows, then a row the broker refuses for good, then more
    intake = await start_service(intake_handler(), namespace=namespace)
    topic = await stack.enter_async_context(
        small_topic(kafka_bootstrap, f"{namespace}relay-small.v1", SMALL_TOPIC_MAX_BYTES)
    )
    poisoned = {
        "over_relay_limit": (topic, "big", b"x" * 1_100_000),
        "refused_by_broker": (topic, "big", b"y" * (3 * SMALL_TOPIC_MAX_BYTES)),
        "unknown_topic": (f"{namespace}no-such-topic.v1", "lost", b"{}"),
    }[poison]
    good = [(topic, f"good-{i}", f'{{"n": {i}}}'.encode()) for i in range(40)]
    ids = await add_rows(intake.pool, [*good[:20], poisoned, *good[20:]])
    service = f"relay-test-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(
        intake.pool,
        lambda: make_producer(kafka_bootstrap),
        service,
        namespace=namespace,
        unknown_topic_grace_seconds=2.0,
    )

    # when the relay runs until the outbox is empty
    started = time.monotonic()
    task = asyncio.create_task(relay.run())
    try:
        await until_outbox_holds(intake.pool, "id <> $1", ids[20])
        good_published = time.monotonic() - started
        await until_outbox_holds(intake.pool, "id <> $1", -1)  # none left
        emptied = time.monotonic() - started
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    print(
        f"{poison}: {len(good)} good rows published in {good_published:.2f}s,"
        f" outbox of {len(ids)} rows emptied in {emptied:.2f}s"
    )

    # then every good row is on the topic exactly once, and nothing else
    published = Counter(await read_topic(kafka_bootstrap, topic))
    assert published == Counter((key, value) for _, key, value in good)
    # and the poisoned row is in dead_letters with the broker's (or relay's) error
    [dead] = await intake.pool.fetch("SELECT id, topic, key, value, error FROM dead_letters")
    assert (dead["id"], dead["topic"], dead["key"]) == (ids[20], poisoned[0], poisoned[1])
    assert bytes(dead["value"]) == poisoned[2]
    expected_error = {
        "over_relay_limit": "RecordTooLarge",
        "refused_by_broker": "MessageSizeTooLargeError",
        "unknown_topic": "UnknownTopic",
    }[poison]
    assert expected_error in dead["error"]
    # and it was counted once
    assert dead_letters_counted(service) == 1


async def test_an_unreachable_broker_is_retried_with_backoff_and_loses_nothing(
    start_service: ServiceStarter,
) -> None:
    # given outbox rows and a broker address where nothing answers
    intake = await start_service(intake_handler())
    ids = await add_rows(intake.pool, [("intake.participants.v1", "k", b"{}")] * 3)
    service = f"relay-test-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(
        intake.pool,
        lambda: make_producer("127.0.0.1:9"),  # discard port: connection refused
        service,
        backoff_initial_seconds=0.05,
        backoff_max_seconds=0.4,
    )

    # when the relay runs for a while
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    # then it kept retrying, with growing delays up to the cap, and nothing moved
    failures = REGISTRY.get_sample_value("outcomes_relay_failures_total", {"service": service})
    assert failures is not None
    assert 2 <= failures <= 30
    assert relay.backoff.current == 0.4
    assert [r["id"] for r in await intake.pool.fetch("SELECT id FROM outbox ORDER BY id")] == ids
    assert await intake.pool.fetchval("SELECT count(*) FROM dead_letters") == 0
    assert dead_letters_counted(service) == 0


async def test_the_relays_of_two_instances_publish_each_row_once(
    start_service: ServiceStarter, kafka_bootstrap: str, namespace: str
) -> None:
    # given intake's outbox holds many rows and two instances' relays share it
    intake = await start_service(intake_handler(), namespace=namespace)
    await intake.send(
        *(
            item
            for n in range(40)
            for item in (
                referral(f"ref-{n}", nino=f"AB{n:06d}C"),
                programme_start(f"ref-{n}"),
            )
        )
    )
    expected = await raw_outbox(intake.pool)
    assert sum(len(rows) for rows in expected.values()) == 40
    relays = [
        OutboxRelay(
            intake.pool,
            lambda: make_producer(kafka_bootstrap),
            "intake",
            namespace=namespace,
            batch_size=7,
        )
        for _ in range(2)
    ]

    async def drain(relay: OutboxRelay) -> int:
        total = 0
        while await intake.outbox():
            total += await relay.publish_once()
            await asyncio.sleep(0)
        return total

    try:
        # when both publish at the same time until the outbox is empty
        counts = await asyncio.gather(*(drain(r) for r in relays))
    finally:
        for relay in relays:
            await relay.stop()

    # then every row is on its topic exactly once, whichever relay sent it
    read = await read_topics(kafka_bootstrap, [PARTICIPANTS], namespace)
    assert {topic: sorted(records) for topic, records in read.items() if records} == expected
    assert sum(counts) == 40

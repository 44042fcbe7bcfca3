"""Publish a generated feed to Kafka (idempotent producer, acks=all, bulk sends)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from deploy.local import client_security
from tools.feed.generate import FeedItem
from tools.feed.order import topic_name

CHUNK = 2000  # sends in flight before waiting for their acknowledgements


async def publish_feed(bootstrap: str, items: Sequence[FeedItem], namespace: str = "") -> int:
    """Send ``items`` in order to their topics under ``namespace``; return how many were sent.

    Sends are queued without waiting for each acknowledgement; the futures are gathered
    per chunk (any failed send raises), then the producer is flushed. With the idempotent
    producer, messages of one key keep the feed's order.
    """
    producer = AIOKafkaProducer(
        **client_security(),  # KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_* from the environment
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=10,
        request_timeout_ms=30_000,
    )
    await producer.start()
    sent = 0
    try:
        for begin in range(0, len(items), CHUNK):
            futures = []
            for item in items[begin : begin + CHUNK]:
                futures.append(
                    await producer.send(
                        topic_name(item, namespace),
                        value=item.event.model_dump_json().encode(),
                        key=item.key.encode(),
                    )
                )
            await asyncio.gather(*futures)
            sent += len(futures)
        await producer.flush()
    finally:
        await producer.stop()
    return sent

"""The outbox relay: publishes committed outbox rows to Kafka, then deletes them.

At-least-once: a crash between publish and delete re-publishes the same events with the
same event ids, which every consumer's inbox recognises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas.topics import kind_name
from services.common import db, metrics

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        pool: db.Pool,
        producer: AIOKafkaProducer,
        service: str,
        *,
        wake: asyncio.Event | None = None,
        batch_size: int = 2000,
        idle_seconds: float = 0.2,
        namespace: str = "",
    ) -> None:
        self.pool = pool
        self.producer = producer
        self.service = service
        self.wake = wake or asyncio.Event()
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.namespace = namespace

    async def run(self) -> None:
        while True:
            try:
                published = await self.publish_once()
            except (OSError, ConnectionError, TimeoutError) as exc:
                log.warning("outbox relay: publish failed, retrying: %r", exc)
                metrics.RELAY_FAILURES.labels(self.service).inc()
                published = 0
                await asyncio.sleep(1.0)
            except Exception:
                log.exception("outbox relay failed; retrying")
                metrics.RELAY_FAILURES.labels(self.service).inc()
                published = 0
                await asyncio.sleep(1.0)
            if published:
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.idle_seconds)

    async def publish_once(self) -> int:
        rows = await self.pool.fetch(
            "SELECT id, topic, key, value FROM outbox ORDER BY id LIMIT $1", self.batch_size
        )
        if not rows:
            return 0
        deliveries = [
            await self.producer.send(r["topic"], value=r["value"], key=r["key"].encode())
            for r in rows
        ]
        await asyncio.gather(*deliveries)
        await self.pool.execute(
            "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
        )
        for topic, n in Counter(r["topic"] for r in rows).items():
            metrics.EVENTS_PRODUCED.labels(self.service, kind_name(topic, self.namespace)).inc(n)
        return len(rows)


def make_producer(bootstrap: str, **security: Any) -> AIOKafkaProducer:
    """The relay's idempotent producer; ``security``: aiokafka's SASL options, if any."""
    return AIOKafkaProducer(
        **security,
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
        client_id="outcomes-relay",
    )

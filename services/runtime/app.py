"""Wiring of one service: faust app, batch agent, hold sweep, outbox relay, metrics.

This is the only place where a service's parts are put together (bootstrap).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import faust
from aiokafka import ConsumerRecord
from faust.app.base import BootStrategy
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.topics import all_topics, resolve
from services.common import db, endpoint, inflate, logs, observe
from services.common.backoff import Backoff
from services.common.codec import bounded_record, input_limits
from services.common.errors import describe, is_transient
from services.common.messages import RawRecord
from services.common.metrics import SERVICE_READY
from services.common.readiness import not_ready_because
from services.common.reference import load_reference
from services.common.relay import OutboxRelay, make_producer
from services.common.settings import ConfigurationError, ServiceSettings
from services.common.watchdog import Liveness
from services.runtime.consumer import ConsumerOptions, InputConsumer
from services.runtime.ownership import PartitionOwnership
from services.runtime.ports import R
from services.runtime.processor import BatchProcessor
from services.runtime.service import ServiceDefinition

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
READINESS_SECONDS = 1.0
MAX_PARTITION_FETCH_BYTES = 1024 * 1024
"""Compressed bytes fetched per partition (faust's default is 4 MiB); a batch larger than
this (up to the topic's max.message.bytes) is still returned whole by the broker."""


async def until_database_answers(
    attempt: Callable[[], Awaitable[T]],
    what: str,
    *,
    first_delay: float = RETRY_FIRST_SECONDS,
    max_delay: float = RETRY_MAX_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``attempt()`` again after each transient database error (see errors.py).

    The delay doubles from ``first_delay`` up to ``max_delay``; each failed attempt is
    logged once. A non-transient error (a bad migration, a syntax error) is raised.
    """
    backoff = Backoff(first_delay, max_delay)
    tries = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if not is_transient(exc):
                raise
            tries += 1
            delay = backoff.next()
            log.warning(
                "%s: database not available (attempt %d): %s; retrying in %.1f s",
                what,
                tries,
                describe(exc),
                delay,
            )
        await sleep(delay)


class HoldSweeper(Protocol):
    async def expire_holds(self) -> int: ...


async def sweep_holds_once(processor: HoldSweeper) -> int:
    """One hold sweep; a transient database error is logged and left to the next tick."""
    try:
        return await processor.expire_holds()
    except Exception as exc:
        if not is_transient(exc):
            raise
        log.warning("hold sweep skipped, retrying at the next tick: %s", describe(exc))
        return 0


class ConsumerSettings(BaseSettings):
    """How fast a restarted service consumes again (environment variables of these names).

    Static group membership (KIP-345): each service instance joins its consumer group
    with a stable ``group.instance.id``, so after a crash (even SIGKILL) the restarted
    instance takes its own partitions back at once, without waiting for the dead
    member's session to expire and without a rebalance of the others. The default id is
    ``<service>-<host>-<metrics port>``: stable across restarts, unique per instance on a
    host (the metrics port is bound by one process). Set ``KAFKA_GROUP_INSTANCE_ID``
    per replica when running several hosts' worth of replicas behind one name; an empty
    value turns static membership off. Two running instances with one id fence each other.

    The session timeout bounds how long the partitions of an instance that does *not*
    come back stay unconsumed (a static member sends no LeaveGroup on shutdown either).
    """

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    kafka_group_instance_id: str | None = None
    kafka_session_timeout_seconds: float = Field(default=15.0, ge=6.0)
    kafka_heartbeat_interval_seconds: float = Field(default=1.5, gt=0)
    consumer_metadata_max_age_ms: int = Field(default=300_000, ge=1000)
    """How often the consumer refreshes the cluster's metadata (new partitions)."""

    def instance_id(self, service: str, metrics_port: int) -> str | None:
        if self.kafka_group_instance_id is not None:
            return self.kafka_group_instance_id or None
        return f"{service}-{socket.gethostname()}-{metrics_port}"


class _Boot(BootStrategy):
    """faust runs the worker: timers, tasks, start and stop. The records come from
    runtime/consumer.py and leave through the outbox relay's own producer."""

    enable_kafka_consumer = False
    enable_kafka_producer = False
    enable_web = False


class WorkerApp(faust.App):
    BootStrategy = _Boot


class ServiceApp(Generic[R]):
    """A service: a faust worker whose task consumes batches of its input topics."""

    def __init__(self, definition: ServiceDefinition[R], settings: ServiceSettings) -> None:
        self.settings = settings
        self.definition = definition
        reference = load_reference(settings.reference_dir)  # read once, at start
        self.reference = reference
        self.handler = definition.make_handler(settings, reference)
        self.service = self.handler.service
        self.ready = asyncio.Event()
        self.not_ready: str | None = "starting"
        self.processor: BatchProcessor[R] | None = None
        self.pool: db.Pool | None = None
        inputs = [spec.name for spec in self.handler.inputs]
        observe.service_started(self.service, inputs, reference.contracts)
        self.gauges = observe.GaugeRefresher(self.service, inputs, settings.topic_namespace)
        self.app = self._build()

    def _build(self) -> faust.App:
        s = self.settings
        consumer = ConsumerSettings()
        self.group_instance_id = consumer.instance_id(
            self.service, s.metrics_port_for(self.service)
        )
        # Unique per process: a restarted instance (same static id) is a new owner.
        self.ownership = PartitionOwnership(
            f"{self.group_instance_id or socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        )
        app = WorkerApp(
            s.consumer_group(self.service),
            broker=f"kafka://{s.kafka_bootstrap_servers}",
            web_enabled=False,
            store="memory://",
            # faust makes a data directory even with in-memory stores: keep it out of the
            # working directory (nothing is stored in it).
            datadir=str(Path(tempfile.gettempdir()) / "outcomes-faust-{conf.name}"),
        )
        # The registry's topics as of start: a provider added to contracts.json is
        # consumed after a restart.
        providers = self.reference.provider_ids
        self.topics = list(all_topics(s.topic_namespace, providers, self.handler.inputs))
        self._specs = {t: resolve(t, s.topic_namespace)[0] for t in self.topics}
        """Each input topic's spec, resolved once (not per record)."""
        self.consumer = InputConsumer(
            self.topics,
            ConsumerOptions(
                group_id=s.consumer_group(self.service),
                group_instance_id=self.group_instance_id,
                session_timeout_seconds=consumer.kafka_session_timeout_seconds,
                heartbeat_interval_seconds=consumer.kafka_heartbeat_interval_seconds,
                # Compressed bytes per partition and fetch; what they may inflate to is
                # bounded by inflate.py.
                max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
                batch_max=s.batch_max_events,
                batch_within_seconds=s.batch_within_seconds,
                metadata_max_age_seconds=consumer.consumer_metadata_max_age_ms / 1000,
                client=s.kafka_options(),
            ),
            self.ownership,
            self._take_partitions,
        )

        @app.task  # type: ignore[untyped-decorator]
        async def start_runtime() -> None:
            await self._start_runtime()

        @app.task  # type: ignore[untyped-decorator]
        async def consume() -> None:
            await self.ready.wait()
            await self.consumer.start()
            try:
                await self.consumer.run(self._process)
            finally:
                await self.consumer.stop()

        @app.timer(s.hold_sweep_seconds)  # type: ignore[untyped-decorator]
        async def sweep_holds() -> None:
            if self.processor is None:
                return
            expired = await sweep_holds_once(self.processor)
            if expired:
                log.info("rejected %d held events past the hold time", expired)

        @app.timer(READINESS_SECONDS)  # type: ignore[untyped-decorator]
        async def check_readiness() -> None:
            self._check_readiness()

        @app.timer(observe.REFRESH_SECONDS)  # type: ignore[untyped-decorator]
        async def refresh_gauges() -> None:
            pool = self.processor.pool if self.processor is not None else None
            started = self.consumer if self.consumer.started is not None else None
            await self.gauges.refresh(pool, started)

        return app

    async def _process(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        assert self.processor is not None
        await self.processor.process([self._raw(r) for r in records])

    async def _start_runtime(self) -> None:
        s = self.settings
        pool = await db.create_pool(s.database_url, self.service)
        locking = self.definition.locking
        self.processor = BatchProcessor(
            self.handler,
            pool,
            self.definition.postgres,
            namespace=s.topic_namespace,
            hold_seconds=s.hold_seconds,
            locking=locking(self.handler) if locking is not None else None,
            ownership=self.ownership,
        )
        self.pool = pool
        security = s.kafka_options()
        del security["bootstrap_servers"]
        relay = OutboxRelay(
            pool,
            lambda: make_producer(s.kafka_bootstrap_servers, **security),
            self.service,
            wake=self.processor.outbox_written,
            namespace=s.topic_namespace,
        )
        self.ready.set()
        self._check_readiness()
        try:
            await relay.run()
        finally:
            await relay.stop()
            await pool.close()

    async def _take_partitions(self, mine: set[tuple[str, int]]) -> None:
        """On assignment (during the rebalance, before any batch of them): own them."""
        pool = self.pool
        assert pool is not None

        async def take() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await self.ownership.take(conn, mine)

        await until_database_answers(take, f"{self.service} take partitions")
        log.info("%s owns %d partitions", self.service, len(mine))

    def _check_readiness(self) -> None:
        """Set ``outcomes_service_ready`` (readiness.py); log each change once."""
        reason = not_ready_because(
            self.ready.is_set(),
            self.topics,
            self.consumer.partitions_for,
            [tp.topic for tp in self.consumer.assignment()],
        )
        if self.ready.is_set() and not self.consumer.connected:
            reason = "consumer not connected to the broker yet"
        elif reason is None and self.consumer.started is None:
            reason = "consumer not subscribed yet"
        if reason == self.not_ready:
            return
        self.not_ready = reason
        SERVICE_READY.labels(self.service).set(1 if reason is None else 0)
        if reason is None:
            log.info(
                "%s ready: consuming %d topics %s", self.service, len(self.topics), self.topics
            )
        else:
            log.warning("%s not ready: %s", self.service, reason)

    def _raw(self, message: ConsumerRecord[bytes, bytes]) -> RawRecord:
        """The record as the processor sees it: over-large values already cut (inflate.py)
        or cut here (codec.bounded_record)."""
        spec = self._specs[message.topic]  # the consumer subscribes to these topics only
        record = RawRecord(
            spec=spec,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value if message.value is not None else b"",
            cut=inflate.cut_of(message.headers),
        )
        return bounded_record(record)


def run_service(definition: ServiceDefinition[R], service_dir: Path) -> None:
    """Entry point of ``python -m services.<name>``: migrate, serve metrics, run the worker."""
    service = service_dir.name
    logs.configure(service)
    liveness = Liveness(service)
    liveness.take_sigterm()  # before any thread starts: SIGTERM goes to its own thread
    liveness.start()
    try:
        settings = ServiceSettings()
    except ValidationError as exc:
        log.critical("%s refuses to start: %s", service, exc)
        raise SystemExit(2) from None
    if settings.outcomes_dev_mode:
        log.warning(
            "OUTCOMES_DEV_MODE=1: DEVELOPMENT RUN%s - never run production like this",
            " with the development PARTICIPANT_ID_KEY (participant ids are not protected)"
            if settings.uses_development_key
            else "",
        )
    inflate.install(input_limits().inflate_limits())  # before any consumer fetches
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(liveness.handle_loop_error)
    try:
        service_app = ServiceApp(definition, settings)  # intake: needs its key
    except ConfigurationError as exc:
        log.critical("%s refuses to start: %s", service, exc)
        raise SystemExit(2) from None
    applied = loop.run_until_complete(
        until_database_answers(
            lambda: db.migrate(settings.database_url, service, service_dir), f"{service} migrate"
        )
    )
    if applied:
        log.info("%s: applied migrations %s", service, applied)
    # /metrics and /ready (endpoint.py): ready once readiness.py finds nothing missing.
    endpoint.serve(
        settings.metrics_port_for(service),
        settings.metrics_host,
        lambda: service_app.not_ready,
    )
    worker = faust.Worker(
        service_app.app, loop=loop, loglevel="INFO", override_logging=False, quiet=True
    )
    worker.spinner = None  # a terminal spinner would put escape codes into the JSON log
    service_app.app.task(liveness.beat_forever)

    def shut_down() -> None:  # in the SIGTERM thread: hand over to the loop
        loop.call_soon_threadsafe(worker._on_sigterm)

    liveness.on_sigterm = shut_down
    worker.execute_from_commandline()

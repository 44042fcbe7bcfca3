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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import faust
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

    def instance_id(self, service: str, metrics_port: int) -> str | None:
        if self.kafka_group_instance_id is not None:
            return self.kafka_group_instance_id or None
        return f"{service}-{socket.gethostname()}-{metrics_port}"


class ServiceApp(Generic[R]):
    """A service as a faust app: one agent over all its input topics, batch per poll."""

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
        app = faust.App(
            s.consumer_group(self.service),
            broker=f"kafka://{s.kafka_bootstrap_servers}",
            broker_credentials=s.faust_credentials(),
            value_serializer="raw",
            key_serializer="raw",
            web_enabled=False,
            topic_disable_leader=True,
            topic_allow_declare=False,
            consumer_auto_offset_reset="earliest",
            store="memory://",
            # faust makes a data directory even with in-memory stores: keep it out of the
            # working directory (nothing is stored in it).
            datadir=str(Path(tempfile.gettempdir()) / "outcomes-faust-{conf.name}"),
            producer_acks=-1,
            stream_buffer_maxsize=4 * s.batch_max_events,
            consumer_group_instance_id=self.group_instance_id,
            broker_session_timeout=consumer.kafka_session_timeout_seconds,
            broker_heartbeat_interval=consumer.kafka_heartbeat_interval_seconds,
            # Compressed bytes per partition and fetch (aiokafka's limits); what they
            # may inflate to is bounded by inflate.py.
            consumer_max_fetch_size=MAX_PARTITION_FETCH_BYTES,
        )
        # The registry's topics as of start: a provider added to contracts.json is
        # consumed after a restart.
        providers = self.reference.provider_ids
        self.topics = list(all_topics(s.topic_namespace, providers, self.handler.inputs))
        topic = app.topic(*self.topics, value_serializer="raw", key_serializer="raw")

        # Signals of the rebalance (faust sends the partitions as the one argument).
        @app.on_partitions_revoked.connect
        async def on_revoked(_sender: Any, /, *_args: Any, signal: Any, **_: Any) -> None:
            self.ownership.revoking()

        @app.on_partitions_assigned.connect
        async def on_assigned(_sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
            await self._take_partitions(args[0])

        @app.task  # type: ignore[untyped-decorator]
        async def start_runtime() -> None:
            await self._start_runtime(app)

        @app.agent(topic)
        async def consume(stream: Any) -> None:
            await self.ready.wait()
            assert self.processor is not None
            owned = self.ownership
            async for events in stream.noack_take(s.batch_max_events, s.batch_within_seconds):
                await owned.settled.wait()  # not between a revocation and the assignment
                records = [self._raw(e.message) for e in events]
                await self.processor.process(records)
                for event in events:  # what another instance owns now is its to commit
                    if owned.owns(event.message.topic, event.message.partition):
                        await stream.ack(event)

        @app.timer(s.hold_sweep_seconds)  # type: ignore[untyped-decorator]
        async def sweep_holds() -> None:
            if self.processor is None:
                return
            expired = await sweep_holds_once(self.processor)
            if expired:
                log.info("rejected %d held events past the hold time", expired)

        @app.timer(READINESS_SECONDS)  # type: ignore[untyped-decorator]
        async def check_readiness() -> None:
            self._check_readiness(app.consumer)

        @app.timer(observe.REFRESH_SECONDS)  # type: ignore[untyped-decorator]
        async def refresh_gauges() -> None:
            pool = self.processor.pool if self.processor is not None else None
            await self.gauges.refresh(pool, app.consumer)

        return app

    async def _start_runtime(self, app: faust.App) -> None:
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
        self._check_readiness(app.consumer)
        try:
            await relay.run()
        finally:
            await relay.stop()
            await pool.close()

    async def _take_partitions(self, assigned: set[Any]) -> None:
        """On assignment (during the rebalance, partitions still paused): own them."""
        await self.ready.wait()
        pool = self.pool
        assert pool is not None
        mine = {(tp.topic, tp.partition) for tp in assigned if tp.topic in self.topics}

        async def take() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await self.ownership.take(conn, mine)

        await until_database_answers(take, f"{self.service} take partitions")
        log.info("%s owns %d partitions", self.service, len(mine))

    def _check_readiness(self, consumer: Any) -> None:
        """Set ``outcomes_service_ready`` (readiness.py); log each change once."""
        try:
            assigned = [tp.topic for tp in consumer.assignment()]
            # The client's cluster metadata (faust and aiokafka expose no public view of
            # it; the group coordinator's snapshot only covers what the leader assigns).
            cluster = consumer._thread._ensure_consumer()._client.cluster
            reason = not_ready_because(
                self.ready.is_set(),
                self.topics,
                lambda topic: len(cluster.partitions_for_topic(topic) or ()),
                assigned,
            )
        except Exception as exc:  # noqa: BLE001  (the consumer thread is not started yet)
            reason = f"consumer not started ({type(exc).__name__})"
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

    def _raw(self, message: Any) -> RawRecord:
        """The record as the processor sees it: over-large values already cut (inflate.py)
        or cut here (codec.bounded_record)."""
        spec, _ = resolve(message.topic, self.settings.topic_namespace)
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

"""What the services report beyond their own counters: business events and state gauges.

* :func:`batch_committed` — called by the processor once per committed batch with the
  events it will publish: counts milestones by contract and kind, payments and pence
  by contract, milestones not paid by reason, and logs each rejection (reason and
  source position only; never the rejected content).
* :class:`GaugeRefresher` — every few seconds (``METRICS_REFRESH_SECONDS``, default 5):
  held events, outbox backlog and the age of its oldest row, and consumer lag per
  input topic (high watermark - committed offset, summed over the partitions assigned
  to this member).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka.errors import KafkaError

from schemas.common import MilestoneKind, RejectionReason
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.rejections import EventRejected
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import ALL_TOPICS, kind_name
from services.common import db, metrics
from services.common.errors import describe, is_transient
from services.common.messages import Outgoing
from services.common.reference import ContractBook, load_contracts

log = logging.getLogger(__name__)

CONSUMER_ERRORS = (KafkaError, OSError, TimeoutError)

REFRESH_SECONDS = float(os.environ.get("METRICS_REFRESH_SECONDS", "5"))

OUTBOX_STATE_SQL = (
    "SELECT count(*) AS backlog,"
    " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_age"
    " FROM outbox"
)
HELD_COUNT_SQL = "SELECT count(*) FROM held"


def service_started(
    service: str, input_topics: Iterable[str], contracts: ContractBook | None = None
) -> None:
    """Export the service's series at 0 from the start.

    A counter that first appears at 1 has an ``increase()`` of 0 in Prometheus, so the
    payments and milestones of every contract in the book start at 0 (the "no payments
    for a contract" alert depends on it).
    """
    for gauge in (metrics.OUTBOX_PENDING, metrics.OUTBOX_OLDEST_AGE, metrics.HELD_PENDING):
        gauge.labels(service).set(0)
    for counter in (metrics.RETRIES, metrics.RELAY_FAILURES, metrics.OUTBOX_DEAD_LETTERS):
        counter.labels(service)
    metrics.EVENTS_HELD.labels(service)
    metrics.BATCH_SECONDS.labels(service)
    metrics.BATCH_SIZE.labels(service)
    for spec in ALL_TOPICS:
        if spec.owner == service:
            metrics.EVENTS_PRODUCED.labels(service, spec.name)
    for topic in input_topics:
        metrics.CONSUMER_LAG.labels(service, topic).set(0)
        metrics.EVENTS_CONSUMED.labels(service, topic)
        for reason in RejectionReason:  # a first burst of a reason shows in rate()
            metrics.EVENTS_REJECTED.labels(service, topic, reason)
    if service not in ("payments", "sustainment"):
        return
    book = contracts or load_contracts()
    for contract in book.contracts:
        if service == "payments":
            for kind in ("payment", "reversal"):
                metrics.PAYMENTS.labels(service, contract, kind)
                metrics.PAYMENTS_PENCE.labels(service, contract, kind)
            metrics.PAYMENT_LATENCY.labels(contract)
        else:
            for milestone in MilestoneKind:
                metrics.MILESTONES.labels(service, contract, milestone, "reached")


def batch_committed(service: str, outgoing: Sequence[Outgoing]) -> None:
    """Count what a committed batch decided (its outgoing events, rejections included)."""
    for out in outgoing:
        event = out.event
        if isinstance(event, ProviderPaymentIssued):
            kind = "reversal" if event.reverses is not None else "payment"
            metrics.PAYMENTS.labels(service, event.contract_id, kind).inc()
            metrics.PAYMENTS_PENCE.labels(service, event.contract_id, kind).inc(
                abs(event.amount_pence)
            )
        elif isinstance(event, MilestoneReached):
            metrics.MILESTONES.labels(service, event.contract_id, event.milestone, "reached").inc()
        elif isinstance(event, MilestoneRevoked):
            metrics.MILESTONES.labels(service, event.contract_id, event.milestone, "revoked").inc()
        elif isinstance(event, MilestoneNotPaid):
            metrics.MILESTONES_NOT_PAID.labels(service, event.contract_id, event.reason).inc()
        elif isinstance(event, EventRejected):
            log.info(
                "rejected: %s",
                event.reason,
                extra={
                    "reason": str(event.reason),
                    "topic": event.source_topic,
                    "partition": event.source_partition,
                    "offset": event.source_offset,
                    "event_id": event.source_event_id,
                },
            )


def consumer_lag(
    assigned: Iterable[Any],
    highwaters: Mapping[Any, int | None],
    committed: Mapping[Any, int | None],
    earliest: Mapping[Any, int | None],
    namespace: str = "",
) -> dict[str, int]:
    """Records not yet committed, per topic (namespace removed).

    ``assigned`` are faust/aiokafka ``TP``s (``.topic``, ``.partition``); a partition
    without a committed offset counts from its earliest offset (the group starts at the
    earliest offset).
    """
    lag: dict[str, int] = {}
    for tp in assigned:
        high = highwaters.get(tp)
        start = committed.get(tp)
        if start is None:
            start = earliest.get(tp)
        topic = kind_name(tp.topic, namespace)
        behind = max(0, high - start) if high is not None and start is not None else 0
        lag[topic] = lag.get(topic, 0) + behind
    return lag


class PartitionOffsets(Protocol):
    """Offsets of a consumer's assigned partitions (runtime/consumer.py ``Offsets``)."""

    @property
    def assigned(self) -> Sequence[Any]: ...
    @property
    def highwaters(self) -> Mapping[Any, int | None]: ...
    @property
    def committed(self) -> Mapping[Any, int | None]: ...
    @property
    def earliest(self) -> Mapping[Any, int | None]: ...


class LagSource(Protocol):
    async def offsets(self) -> PartitionOffsets: ...


class GaugeRefresher:
    """Refreshes the state gauges of one service (held, outbox, consumer lag)."""

    def __init__(self, service: str, input_topics: Sequence[str], namespace: str = "") -> None:
        self.service = service
        self.input_topics = tuple(input_topics)
        self.namespace = namespace

    async def refresh(self, pool: db.Pool | None, consumer: LagSource | None) -> None:
        """One refresh; a transient failure is logged and leaves the previous values.

        A transient database error (errors.py: connection lost, server restarting, ...)
        is retried at the next tick; any other database error is raised.
        """
        if pool is not None:
            try:
                await self.refresh_database(pool)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("metrics: database gauges not refreshed: %s", describe(exc))
        if consumer is not None:
            try:
                await self.refresh_lag(consumer)
            except CONSUMER_ERRORS as exc:
                log.warning("metrics: consumer lag not refreshed: %r", exc)

    async def refresh_database(self, pool: db.Pool) -> None:
        async with pool.acquire() as conn:
            outbox = await conn.fetchrow(OUTBOX_STATE_SQL)
            held = await conn.fetchval(HELD_COUNT_SQL)
        assert outbox is not None  # an aggregate without GROUP BY returns one row
        metrics.OUTBOX_PENDING.labels(self.service).set(int(outbox["backlog"]))
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(float(outbox["oldest_age"]))
        metrics.HELD_PENDING.labels(self.service).set(int(held))

    async def refresh_lag(self, consumer: LagSource) -> None:
        """``consumer``: the service's input consumer (runtime/consumer.py)."""
        o = await consumer.offsets()
        lag = consumer_lag(o.assigned, o.highwaters, o.committed, o.earliest, self.namespace)
        for topic in self.input_topics:
            metrics.CONSUMER_LAG.labels(self.service, topic).set(lag.get(topic, 0))

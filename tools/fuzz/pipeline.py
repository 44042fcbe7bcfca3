"""What the fuzz and chaos runs share: publishing with positions, reading topics back,
the services under watch, and comparing payments with the feed's expectation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from schemas.provider import ReferralMade
from schemas.topics import PAYMENTS, SERVICES, qualified
from services.intake.domain import normalise_nino, participant_id_for
from tools.feed.expectation import expected_counts
from tools.feed.generate import FeedItem
from tools.fuzz.hostile import Message, Provider
from tools.fuzz.topics import provider_topic
from tools.services import ServiceProcesses
from tools.summary import topic_partitions

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANT_KEY = "fuzz-and-chaos-development-key"
CHUNK = 2000

log = logging.getLogger(__name__)


def say(tool: str, message: str) -> None:
    print(f"[{tool} {time.strftime('%H:%M:%S')}] {message}", flush=True)


def providers() -> list[Provider]:
    """The configured providers and their contracts (deploy/reference/contracts.json)."""
    path = Path(os.environ.get("REFERENCE_DIR", ROOT / "deploy" / "reference")) / "contracts.json"
    document = json.loads(path.read_text())
    return [
        Provider(c["provider_id"], c["contract_id"], c["sub_region"]) for c in document["contracts"]
    ]


def feed_message(item: FeedItem) -> Message:
    return Message(
        item.topic, item.event.provider_id, item.key.encode(), item.event.model_dump_json().encode()
    )


@dataclass(frozen=True)
class Position:
    topic: str
    partition: int
    offset: int


async def publish(
    bootstrap: str,
    messages: Sequence[Message],
    namespace: str,
    *,
    pace_seconds: float = 0.0,
    retry: bool = False,
) -> list[Position | None]:
    """Send ``messages`` in order; return where each landed (None: the broker refused it).

    ``pace_seconds`` spreads the chunks over that time; ``retry`` re-sends a chunk whose
    sends failed (broker down) with a fresh producer until it is written: a re-sent
    message is the same bytes with the same event_id, which the services ignore.
    """
    positions: list[Position | None] = [None] * len(messages)
    chunks = range(0, len(messages), CHUNK)
    pause = pace_seconds / max(1, len(chunks))
    producer = await _producer(bootstrap)
    try:
        for begin in chunks:
            chunk = messages[begin : begin + CHUNK]
            while True:
                try:
                    await _send_chunk(producer, chunk, namespace, positions, begin)
                    break
                except KafkaError as exc:
                    if not retry:
                        raise
                    log.warning("publishing failed (%r); retrying the chunk", exc)
                    await _stop_quietly(producer)
                    await asyncio.sleep(2)
                    producer = await _producer(bootstrap, wait=True)
            if pause:
                await asyncio.sleep(pause)
    finally:
        await _stop_quietly(producer)
    return positions


async def _producer(bootstrap: str, *, wait: bool = False) -> AIOKafkaProducer:
    while True:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=10,
            max_request_size=4 * 1024 * 1024,
            request_timeout_ms=15_000,
        )
        try:
            await producer.start()
            return producer
        except KafkaError:
            await _stop_quietly(producer)
            if not wait:
                raise
            await asyncio.sleep(2)


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    with contextlib.suppress(KafkaError, TimeoutError, OSError):
        await asyncio.wait_for(producer.stop(), 20)


async def _send_chunk(
    producer: AIOKafkaProducer,
    chunk: Sequence[Message],
    namespace: str,
    positions: list[Position | None],
    begin: int,
) -> None:
    futures = []
    for message in chunk:
        futures.append(
            await producer.send(
                provider_topic(message.spec, message.provider_id, namespace),
                value=message.value,
                key=message.key,
            )
        )
    results = await asyncio.gather(*futures, return_exceptions=True)
    for n, result in enumerate(results):
        if isinstance(result, KafkaError) and _refused(result):
            continue  # e.g. larger than the broker accepts: not sent
        if isinstance(result, BaseException):
            raise result if isinstance(result, KafkaError) else KafkaError(repr(result))
        positions[begin + n] = Position(result.topic, result.partition, result.offset)


def _refused(error: KafkaError) -> bool:
    return type(error).__name__ in {"MessageSizeTooLargeError", "RecordTooLargeError"}


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


async def read_topics(bootstrap: str, names: Iterable[str]) -> list[Record]:
    """Every record of the existing topics among ``names``, up to their end offsets now."""
    existing = await topic_partitions(bootstrap, names)
    partitions = [TopicPartition(t, p) for t in sorted(existing) for p in existing[t]]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
        request_timeout_ms=30_000,
    )
    await consumer.start()
    records: list[Record] = []
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=10_000)
            for tp, batch in batches.items():
                records.extend(
                    Record(tp.topic, tp.partition, r.offset, r.key, r.value)
                    for r in batch
                    if r.offset < ends[tp]
                )
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return records


# ------------------------------------------------------------------------------ services


@dataclass
class Watched:
    """The four services as processes; a service that exits is restarted and counted."""

    processes: ServiceProcesses
    restarts: Counter[str] = field(default_factory=Counter)
    exits: list[str] = field(default_factory=list)

    def check(self) -> None:
        for service in SERVICES:
            process = self.processes.processes.get(service)
            if process is not None and process.poll() is not None:
                self.exits.append(f"{service} exited with {process.returncode}")
                self.restart(service)
                self.restarts[service] += 1

    def restart(self, service: str) -> None:
        only = ServiceProcesses(
            env=self.processes.env,
            state_dir=self.processes.state_dir,
            ports=self.processes.ports,
            services=(service,),
        )
        only.start()
        self.processes.processes[service] = only.processes[service]


# ------------------------------------------------------------------------------ payments


def participant_ids(items: Iterable[FeedItem], key: str = PARTICIPANT_KEY) -> set[str]:
    """Pseudonymous ids of the feed's referred people, as intake derives them."""
    ids = set()
    for item in items:
        if isinstance(item.event, ReferralMade):
            nino = normalise_nino(item.event.nino)
            if nino is not None:
                ids.add(participant_id_for(nino, key.encode()))
    return ids


@dataclass
class PaymentCheck:
    """Payments found next to the feed's expectation (per contract: count and net pence)."""

    expected: dict[str, tuple[int, int]]
    found: dict[str, tuple[int, int]]
    duplicates_on_topic: int = 0
    ledger_vs_topic: dict[str, int] = field(default_factory=dict)
    ignored_other: int = 0

    @property
    def missing(self) -> int:
        return sum(max(0, n - self.found.get(c, (0, 0))[0]) for c, (n, _) in self.expected.items())

    @property
    def extra(self) -> int:
        return sum(max(0, n - self.expected.get(c, (0, 0))[0]) for c, (n, _) in self.found.items())

    @property
    def differ(self) -> int:
        """Contracts whose counts agree but whose money does not."""
        return sum(
            1
            for c, (n, pence) in self.expected.items()
            if self.found.get(c, (0, 0))[0] == n and self.found.get(c, (0, 0))[1] != pence
        )

    @property
    def exact(self) -> bool:
        return self.expected == self.found and not any(self.ledger_vs_topic.values())

    def lines(self) -> list[str]:
        exp_n = sum(n for n, _ in self.expected.values())
        got_n = sum(n for n, _ in self.found.values())
        exp_p = sum(p for _, p in self.expected.values())
        got_p = sum(p for _, p in self.found.values())
        out = [
            f"payments expected {exp_n:,} ({_pounds(exp_p)})  found {got_n:,} ({_pounds(got_p)})"
            f"  missing {self.missing:,}  extra {self.extra:,}  differ {self.differ:,}",
        ]
        for c in sorted(set(self.expected) | set(self.found)):
            e, f = self.expected.get(c, (0, 0)), self.found.get(c, (0, 0))
            mark = "" if e == f else "   <-- differs"
            out.append(
                f"  {c:<18} expected {e[0]:>6,} {_pounds(e[1]):>15}"
                f"   found {f[0]:>6,} {_pounds(f[1]):>15}{mark}"
            )
        return out


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}£{abs(pence) // 100:,}.{abs(pence) % 100:02d}"


def expected_by_contract(items: Sequence[FeedItem]) -> dict[str, tuple[int, int]]:
    counts = expected_counts(items)
    return {c: (p.count, p.total_pence) for c, p in counts.payments_by_contract.items() if p.count}


def payments_on_topic(records: Sequence[Record]) -> tuple[dict[str, dict[str, Any]], int, int]:
    """(payments by payment_id, duplicate records, ids seen with different content)."""
    by_id: dict[str, dict[str, Any]] = {}
    duplicates = conflicting = 0
    for record in records:
        if record.value is None:
            continue
        event = json.loads(record.value)
        if event.get("type") != "provider_payment":
            continue
        body = {k: v for k, v in event.items() if k not in ("event_id", "produced_at")}
        seen = by_id.get(event["payment_id"])
        if seen is not None:
            duplicates += 1
            conflicting += seen != body
            continue
        by_id[event["payment_id"]] = body
    return by_id, duplicates, conflicting


def by_contract(
    payments: Iterable[Mapping[str, Any]], participants: set[str]
) -> tuple[dict[str, tuple[int, int]], int]:
    """Per contract (payments made, net pence) for ``participants``; and how many others."""
    found: dict[str, tuple[int, int]] = {}
    others = 0
    for p in payments:
        if p["participant_id"] not in participants:
            others += 1
            continue
        n, pence = found.get(p["contract_id"], (0, 0))
        found[p["contract_id"]] = (n + (p["amount_pence"] > 0), pence + p["amount_pence"])
    return found, others


async def ledger(database_url: str) -> dict[str, dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT payment_id, contract_id, participant_id, milestone, occurrence,"
            " amount_pence FROM payments.payments"
        )
    finally:
        await conn.close()
    return {r["payment_id"]: dict(r) for r in rows}


def ledger_vs_topic(
    rows: Mapping[str, Mapping[str, Any]], topic: Mapping[str, Mapping[str, Any]]
) -> dict[str, int]:
    """Payments in the ledger but not on the topic, the reverse, and those that differ."""
    fields = ("contract_id", "participant_id", "milestone", "occurrence", "amount_pence")
    both = set(rows) & set(topic)
    return {
        "in ledger, not on topic": len(set(rows) - set(topic)),
        "on topic, not in ledger": len(set(topic) - set(rows)),
        "differ": sum(1 for pid in both if any(rows[pid][f] != topic[pid][f] for f in fields)),
    }


async def check_payments(
    bootstrap: str,
    namespace: str,
    items: Sequence[FeedItem],
    database_url: str | None = None,
) -> PaymentCheck:
    records = await read_topics(bootstrap, [qualified(PAYMENTS, namespace)])
    on_topic, duplicates, _ = payments_on_topic(records)
    found, others = by_contract(on_topic.values(), participant_ids(items))
    check = PaymentCheck(expected_by_contract(items), found, duplicates, ignored_other=others)
    if database_url is not None:
        check.ledger_vs_topic = ledger_vs_topic(await ledger(database_url), on_topic)
    return check

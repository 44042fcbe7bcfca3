"""What the fuzz and chaos runs share: publishing with positions, reading topics back,
the services under watch, and comparing payments with the feed's expectation."""

from __future__ import annotations

import asyncio
import contextlib
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

from deploy.databases import create_database, drop_databases
from schemas.common import MilestoneKind
from schemas.payments import ProviderPaymentIssued
from schemas.provider import ReferralMade
from schemas.topics import PAYMENTS, SERVICES, qualified
from services.common.reference import REFERENCE_DIR, load_contracts
from tools.feed.compare import figures
from tools.feed.generate import FeedItem
from tools.feed.model import PaymentKey, expected, normalise_nino, participant_id
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
    book = load_contracts(Path(os.environ.get("REFERENCE_DIR", REFERENCE_DIR)) / "contracts.json")
    return [Provider(c.provider_id, c.contract_id, c.sub_region) for c in book.contracts.values()]


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


async def _admin_connection(admin_url: str) -> asyncpg.Connection:
    """A connection to the server, waiting up to a minute for it to come back."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return await asyncpg.connect(admin_url)
        except (OSError, asyncpg.PostgresError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


async def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server; return its URL."""
    await (await _admin_connection(admin_url)).close()  # the server answers (it may be starting)
    return await create_database(admin_url, name, replace=True)


async def drop_database(admin_url: str, name: str) -> None:
    await (await _admin_connection(admin_url)).close()  # the server answers (it may be starting)
    await drop_databases(admin_url, name)


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
            address_space_bytes=self.processes.address_space_bytes,
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
                ids.add(participant_id(nino, key))
    return ids


Net = dict[PaymentKey, int]


@dataclass
class PaymentCheck:
    """Net payments per (contract, participant, milestone) next to the feed's expectation
    (domain.md §7: payments minus reversals equal the amount due on the accepted events)."""

    expected: Net
    found: Net
    republished: int = 0  # the same payment event read again (a relay re-send): ignored
    integrity: list[str] = field(default_factory=list)  # payment ids used twice, reversals
    ledger: Net | None = None
    ledger_vs_topic: dict[str, int] = field(default_factory=dict)
    ignored_other: int = 0  # payments to participants outside the feed (hostile world)

    @property
    def missing(self) -> int:
        return sum(1 for k in self.expected if k not in self.found)

    @property
    def extra(self) -> int:
        return sum(1 for k in self.found if k not in self.expected)

    @property
    def differ(self) -> int:
        return sum(1 for k, v in self.expected.items() if k in self.found and self.found[k] != v)

    @property
    def exact(self) -> bool:
        return (
            self.expected == self.found
            and not self.integrity
            and (self.ledger is None or self.ledger == self.expected)
            and not any(self.ledger_vs_topic.values())
        )

    def lines(self) -> list[str]:
        out = [
            f"payments (net per contract, participant, milestone): expected"
            f" {len(self.expected):,} ({_pounds(sum(self.expected.values()))}), found"
            f" {len(self.found):,} ({_pounds(sum(self.found.values()))}); missing"
            f" {self.missing:,}, extra {self.extra:,}, differ {self.differ:,}"
        ]
        if self.ledger is not None:
            out.append(
                f"  ledger: {len(self.ledger):,} ({_pounds(sum(self.ledger.values()))}),"
                f" missing {sum(1 for k in self.expected if k not in self.ledger):,},"
                f" extra {sum(1 for k in self.ledger if k not in self.expected):,}, differ"
                f" {sum(1 for k, v in self.expected.items() if self.ledger.get(k, v) != v):,};"
                f" ledger vs topic by payment_id {self.ledger_vs_topic}"
            )
        out.append(f"  re-published copies on the topic {self.republished:,}")
        out += [f"  {line}" for line in self.integrity[:10]]
        shown = 0
        for key in sorted(set(self.expected) | set(self.found)):
            want, have = self.expected.get(key), self.found.get(key)
            if want != have and shown < 10:
                shown += 1
                out.append(
                    f"  {key.contract_id} {key.participant_id[:12]} {key.milestone.value}:"
                    f" found {have}, expected {want}"
                )
        return out


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}£{abs(pence) // 100:,}.{abs(pence) % 100:02d}"


def expected_net(items: Sequence[FeedItem], key: str = PARTICIPANT_KEY) -> Net:
    """The feed helper's expectation: the amount due per key."""
    return dict(expected((item.as_sent() for item in items), key).due)


def topic_payments(records: Sequence[Record]) -> list[ProviderPaymentIssued]:
    out = []
    for record in records:
        if record.value is None:
            continue
        event = PAYMENTS.adapter.validate_json(record.value)
        if isinstance(event, ProviderPaymentIssued):
            out.append(event)
    return out


def net_of(rows: Iterable[tuple[str, str, str, int]]) -> Net:
    net: dict[PaymentKey, int] = {}
    for contract, participant, milestone, amount in rows:
        key = PaymentKey(contract, participant, MilestoneKind(milestone))
        net[key] = net.get(key, 0) + amount
    return {k: v for k, v in net.items() if v}


async def ledger_rows(database_url: str) -> dict[str, dict[str, Any]]:
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
    rows: Mapping[str, Mapping[str, Any]], topic: Sequence[ProviderPaymentIssued]
) -> dict[str, int]:
    """Payments in the ledger but not on the topic, the reverse, and those that differ."""
    on_topic = {p.payment_id: p for p in topic}
    both = set(rows) & set(on_topic)
    return {
        "in ledger, not on topic": len(set(rows) - set(on_topic)),
        "on topic, not in ledger": len(set(on_topic) - set(rows)),
        "differ": sum(
            1
            for pid in both
            if (
                rows[pid]["contract_id"],
                rows[pid]["participant_id"],
                rows[pid]["milestone"],
                rows[pid]["amount_pence"],
            )
            != (
                on_topic[pid].contract_id,
                on_topic[pid].participant_id,
                on_topic[pid].milestone.value,
                on_topic[pid].amount_pence,
            )
        ),
    }


async def check_payments(
    bootstrap: str,
    namespace: str,
    items: Sequence[FeedItem],
    database_url: str | None = None,
) -> PaymentCheck:
    """The payment topic (and the ledger) for the feed's participants vs the expectation."""
    people = participant_ids(items)
    records = await read_topics(bootstrap, [qualified(PAYMENTS, namespace)])
    everything = topic_payments(records)
    mine = [p for p in everything if p.participant_id in people]
    got, problems = figures(mine)
    check = PaymentCheck(
        expected_net(items),
        dict(got.net),
        republished=got.republished,
        integrity=problems.integrity,
        ignored_other=len(everything) - len(mine),
    )
    if database_url is not None:
        rows = await ledger_rows(database_url)
        check.ledger = net_of(
            (r["contract_id"], r["participant_id"], r["milestone"], r["amount_pence"])
            for r in rows.values()
            if r["participant_id"] in people
        )
        unique = list({p.payment_id: p for p in everything}.values())
        check.ledger_vs_topic = ledger_vs_topic(rows, unique)
    return check

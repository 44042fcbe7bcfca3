"""PostgreSQL plumbing shared by the services: pool, migrations, inbox, outbox, hold."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from schemas.topics import by_name
from services.common.codec import encode
from services.common.inbox import Claim
from services.common.messages import Outgoing, RawRecord

if TYPE_CHECKING:
    from services.common.outcome import Held, Quarantined

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:
    Connection = asyncpg.Connection
    Pool = asyncpg.Pool


SERVER_SETTINGS: dict[str, str] = {
    "plan_cache_mode": "force_custom_plan",
    "random_page_cost": "1.1",
}
"""How the services' statements are planned (docs/performance.md, "Database cost as the
history grows"):

- ``plan_cache_mode``: every statement is planned with its parameters, each time it
  runs. asyncpg prepares each statement once per connection; after five runs PostgreSQL
  may keep a generic plan made while the tables were nearly empty (a sequential scan is
  the cheapest way to find a key in a one-page table) and use it while they grow: the
  cost of a key lookup then grows with the history.
- ``random_page_cost``: the state of a service is read from memory (shared buffers and
  the page cache), not from a spinning disk; with the default (4) the planner prefers to
  scan a whole table of a few thousand pages to probing its index for a batch's few
  hundred keys, a cost that grows with the table."""


async def create_pool(database_url: str, schema: str, *, max_size: int = 4) -> Pool:
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        server_settings={
            "search_path": schema,
            "application_name": f"outcomes-{schema}",
            **SERVER_SETTINGS,
        },
    )
    assert pool is not None
    return pool


def _migration_files(service_dir: Path, *, common: bool) -> list[tuple[str, Path]]:
    shared = sorted(COMMON_MIGRATIONS.glob("*.sql")) if common else []
    common_files = [(f"common/{p.name}", p) for p in shared]
    own = [(f"service/{p.name}", p) for p in sorted((service_dir / "migrations").glob("*.sql"))]
    return common_files + own


async def migrate(
    database_url: str, schema: str, service_dir: Path, *, common: bool = True
) -> list[str]:
    """Apply the numbered SQL files not yet applied to ``schema``; returns their names.

    ``common``: also the shared messaging tables (inbox, outbox, ...) that a consumer of
    Kafka needs; the web app, which consumes nothing, has only its own."""
    conn = await asyncpg.connect(database_url)
    applied: list[str] = []
    try:
        lock_id = int.from_bytes(hashlib.sha256(schema.encode()).digest()[:4], "big")
        await conn.execute("SELECT pg_advisory_lock($1)", lock_id)
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, path in _migration_files(service_dir, common=common):
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)
    finally:
        await conn.close()
    return applied


def columns(rows: Iterable[Sequence[Any]], width: int, *, key: int = 0) -> list[list[Any]]:
    """Rows as ``width`` column lists, for one set-based statement over
    ``unnest($1::t[], $2::u[], ...)`` instead of one statement per row. Of two rows whose
    first ``key`` values are equal only the last is kept, where it first appeared: the
    result of an upsert row by row (``ON CONFLICT ... DO UPDATE`` may not touch a row
    twice in one statement). ``key=0``: every row is kept."""
    kept: dict[Any, Sequence[Any]] = {}
    for n, row in enumerate(rows):
        kept[tuple(row[:key]) if key else n] = row
    return [[row[i] for row in kept.values()] for i in range(width)]


async def claim(conn: Connection, message_ids: Sequence[str], digests: Sequence[bytes]) -> Claim:
    """Record ids in the inbox with their content digests; report new and known ones."""
    if not message_ids:
        return Claim(set(), {})
    rows = await conn.fetch(
        "INSERT INTO inbox (message_id, digest)"
        " SELECT DISTINCT ON (message_id) message_id, digest"
        " FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS t(message_id, digest, n)"
        " ORDER BY message_id, n"
        " ON CONFLICT DO NOTHING RETURNING message_id",
        list(message_ids),
        list(digests),
    )
    fresh = {r["message_id"] for r in rows}
    known = sorted(set(message_ids) - fresh)
    stored: dict[str, bytes | None] = {}
    if known:
        for r in await conn.fetch(
            "SELECT message_id, digest FROM inbox WHERE message_id = ANY($1::text[])", known
        ):
            stored[r["message_id"]] = None if r["digest"] is None else bytes(r["digest"])
    return Claim(fresh, stored)


async def append_outbox(conn: Connection, events: Iterable[Outgoing], namespace: str) -> int:
    rows = [(o.topic(namespace), o.key, str(o.event.event_id), encode(o.event)) for o in events]
    if rows:
        await conn.copy_records_to_table(
            "outbox", records=rows, columns=["topic", "key", "event_id", "value"]
        )
    return len(rows)


async def quarantine(conn: Connection, kept: Sequence[Quarantined], at: datetime) -> None:
    """Keep the originals of rejected inputs (their rejections carry only a prefix); of an
    input over the size limit only its bounded prefix, with its full length."""
    if not kept:
        return
    await conn.copy_records_to_table(
        "quarantine",
        records=[
            (
                q.message_id,
                q.record.topic,
                q.record.partition,
                q.record.offset,
                q.record.key,
                q.record.value,
                q.sha256,
                str(q.reason),
                q.message,
                at,
                None if q.record.cut is None else q.record.cut.length,
            )
            for q in kept
        ],
        columns=[
            "message_id",
            "topic",
            "partition",
            "offset",
            "key",
            "value",
            "sha256",
            "reason",
            "message",
            "rejected_at",
            "original_length",
        ],
    )


async def hold(conn: Connection, held: Sequence[Held], held_at: datetime) -> None:
    """Keep records (message_id, waiting_for, record, subject) until what they wait for
    arrives: one statement for the batch (the first of two rows with one id is kept)."""
    if not held:
        return
    records = [r for _, _, r, _ in held]
    await conn.execute(
        'INSERT INTO held (message_id, waiting_for, spec_name, topic, partition, "offset",'
        " key, value, held_at, subject)"
        ' SELECT message_id, waiting_for, spec_name, topic, partition, "offset", key, value,'
        " $9, subject FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
        " $5::integer[], $6::bigint[], $7::bytea[], $8::bytea[], $10::text[])"
        ' WITH ORDINALITY AS h(message_id, waiting_for, spec_name, topic, partition, "offset",'
        " key, value, subject, n) ORDER BY n ON CONFLICT (message_id) DO NOTHING",
        [mid for mid, _, _, _ in held],
        [waiting for _, waiting, _, _ in held],
        [r.spec.name for r in records],
        [r.topic for r in records],
        [r.partition for r in records],
        [r.offset for r in records],
        [r.key for r in records],
        [r.value for r in records],
        held_at,
        [subject for _, _, _, subject in held],
    )


async def held_waiting(conn: Connection, subjects: Iterable[str]) -> dict[str, list[str]]:
    """For each of these subjects with held rows: what those rows wait for, oldest first
    (one query for a batch)."""
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT subject, waiting_for FROM held WHERE subject = ANY($1::text[])"
        ' ORDER BY held_at, topic, partition, "offset"',
        wanted,
    )
    return by_subject((r["waiting_for"], r["subject"]) for r in rows)


def by_subject(
    held: Iterable[tuple[str, str | None]], subjects: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """(waiting_for, subject) pairs, oldest first -> subject -> what it waits for (only
    ``subjects`` when given); the in-memory hold of the simulator uses it too."""
    wanted = None if subjects is None else set(subjects)
    waiting: dict[str, list[str]] = {}
    for waiting_for, subject in held:
        if subject is not None and (wanted is None or subject in wanted):
            waiting.setdefault(subject, []).append(waiting_for)
    return waiting


def _record(row: asyncpg.Record) -> RawRecord:
    return RawRecord(
        spec=by_name(row["spec_name"]),
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
        key=row["key"],
        value=row["value"],
    )


async def release(conn: Connection, waiting_for: Sequence[str]) -> list[RawRecord]:
    """Take out of the hold every record waiting for one of these keys, oldest first."""
    if not waiting_for:
        return []
    rows = await conn.fetch(
        "WITH gone AS (DELETE FROM held WHERE waiting_for = ANY($1::text[]) RETURNING *)"
        ' SELECT * FROM gone ORDER BY held_at, topic, partition, "offset"',
        list(waiting_for),
    )
    return [_record(r) for r in rows]


async def expire(conn: Connection, held_before: datetime) -> list[RawRecord]:
    rows = await conn.fetch(
        "WITH gone AS (DELETE FROM held WHERE held_at < $1 RETURNING *)"
        ' SELECT * FROM gone ORDER BY held_at, topic, partition, "offset"',
        held_before,
    )
    return [_record(r) for r in rows]

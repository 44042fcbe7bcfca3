"""Replay quarantined inputs of one service after a fix (e.g. ``processing_failed``).

    python -m tools.replay --service placement [--reason processing_failed] [--dry-run]

Every rejected input's full original is in the service's ``quarantine`` table. A replay
takes the rows of one reason not yet replayed, oldest first, and for each, in **one
transaction**: deletes the input's inbox claim (only when it is the input's own claim:
same content digest), marks the quarantine row replayed, and processes the original
exactly as the service would on arrival (holds, releases, milestones, outbox). If the
input fails again, the transaction rolls back: nothing changes, the row stays to be
replayed later, and the error is printed. Events it produces go to the outbox; the
running service's relay publishes them (the service need not be stopped: processing
transactions take the service's advisory lock, so a replay never interleaves with a
batch). A rejection produced by a replay has a new event id.

Why not re-publish the original to its source topic: the topic is the provider's
(only the provider may write it), the broker would assign a new position, and the
inbox claim would still block it.

``duplicate_event_id`` rows cannot be replayed: their event id belongs to another input.
Settings come from the same environment variables as the service (DATABASE_URL,
TOPIC_NAMESPACE, PARTICIPANT_ID_KEY, ...). Exit status 1 when an input failed again.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.common import RejectionReason
from schemas.topics import SERVICES, resolve
from services.common import db
from services.common.errors import describe
from services.common.messages import Cut, RawRecord
from services.common.reference import load_reference
from services.common.settings import ServiceSettings
from services.runtime.ports import R, Repository
from services.runtime.processor import BatchProcessor
from services.runtime.service import ServiceDefinition

ROOT = Path(__file__).resolve().parents[1]
NOT_REPLAYABLE = frozenset({RejectionReason.DUPLICATE_EVENT_ID})


@dataclass
class ReplaySummary:
    found: int = 0
    replayed: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def _record(row: Any, namespace: str) -> RawRecord:
    """The quarantined input; one kept only in part (over the size limit) stays so."""
    spec, _ = resolve(row["topic"], namespace)
    length = row["original_length"]
    cut = None
    if length is not None:
        cut = Cut(length, bytes.fromhex(row["sha256"]), "kept only in part (over the size limit)")
    return RawRecord(
        spec=spec,
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
        key=None if row["key"] is None else bytes(row["key"]),
        value=bytes(row["value"]),
        cut=cut,
    )


async def pending(pool: db.Pool, reason: str, limit: int | None = None) -> list[Any]:
    """Quarantine rows of ``reason`` not yet replayed, oldest first."""
    return list(
        await pool.fetch(
            'SELECT id, message_id, topic, partition, "offset", key, value, reason, message,'
            " sha256, original_length"
            " FROM quarantine WHERE reason = $1 AND replayed_at IS NULL ORDER BY id LIMIT $2",
            reason,
            limit,
        )
    )


async def replay_quarantined(
    processor: BatchProcessor[R],
    *,
    reason: str = RejectionReason.PROCESSING_FAILED.value,
    dry_run: bool = False,
    limit: int | None = None,
    out: Callable[[str], None] = print,
) -> ReplaySummary:
    """Replay (or with ``dry_run`` only list) the quarantined inputs of ``reason``."""
    if reason in NOT_REPLAYABLE:
        raise ValueError(f"{reason} inputs cannot be replayed: their event id is another's")
    rows = await pending(processor.pool, reason, limit)
    summary = ReplaySummary(found=len(rows))
    for row in rows:
        where = f"{row['topic']}[{row['partition']}]@{row['offset']}"
        head = f"#{row['id']} {row['message_id']} {where}"
        if dry_run:
            out(f"would replay {head}: {row['message'][:160]}")
            continue
        try:
            report = await processor.replay(row["id"], _record(row, processor.namespace))
        except Exception as exc:  # noqa: BLE001  (reported; the row stays for later)
            summary.failed.append((row["id"], describe(exc)))
            out(f"still failing {head}: {describe(exc)[:300]}")
            continue
        summary.replayed += 1
        outcome = (
            "a duplicate (already processed)"
            if report.duplicates
            else f"{report.published} event(s) to publish, {report.rejected} rejected,"
            f" {report.held} held"
        )
        out(f"replayed {head}: {outcome}")
    verb = "would replay" if dry_run else "replayed"
    count = summary.found if dry_run else summary.replayed
    failing = len(summary.failed)
    out(f"{reason}: {summary.found} quarantined, {verb} {count}, still failing {failing}")
    return summary


def definition_of(service: str) -> ServiceDefinition[Repository]:
    """The service's definition (its package's ``bootstrap.SERVICE``)."""
    definition: ServiceDefinition[Repository] = importlib.import_module(
        f"services.{service}.bootstrap"
    ).SERVICE
    return definition


async def run(service: str, reason: str, dry_run: bool, limit: int | None) -> int:
    settings = ServiceSettings()
    await db.migrate(settings.database_url, service, ROOT / "services" / service)
    pool = await db.create_pool(settings.database_url, service)
    try:
        definition = definition_of(service)
        handler = definition.make_handler(settings, load_reference(settings.reference_dir))
        processor = BatchProcessor(
            handler,
            pool,
            definition.postgres,
            namespace=settings.topic_namespace,
            hold_seconds=settings.hold_seconds,
            # the keys the running instances lock (a replay runs beside them)
            locking=definition.locking(handler) if definition.locking else None,
        )
        summary = await replay_quarantined(processor, reason=reason, dry_run=dry_run, limit=limit)
    finally:
        await pool.close()
    return 1 if summary.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.replay",
        description="Replay a service's quarantined inputs (after a fix).",
    )
    parser.add_argument("--service", required=True, choices=SERVICES)
    parser.add_argument(
        "--reason",
        default=RejectionReason.PROCESSING_FAILED.value,
        choices=sorted(r.value for r in RejectionReason if r not in NOT_REPLAYABLE),
        help="replay the inputs rejected for this reason (default: processing_failed)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list, change nothing")
    parser.add_argument("--limit", type=int, default=None, help="at most this many inputs")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.service, args.reason, args.dry_run, args.limit))


if __name__ == "__main__":
    sys.exit(main())

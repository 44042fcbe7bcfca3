"""Throughput of the BatchProcessor: one transaction per batch vs one per event.

Real PostgreSQL, no Kafka. A synthetic feed (``tools.feed``) is turned into the raw
records a consumer would receive and handed straight to each service's
:class:`~services.runtime.processor.BatchProcessor` in chunks of 1 (the baseline: one
transaction per event), 100 and 1000 events. Every run gets a fresh, migrated database
that is dropped afterwards; only the ``process`` calls are timed.

Inputs per service:

- intake: the feed's ``provider.intake.v1`` events, in publication order;
- placement: the ``intake.participants.v1`` events intake wrote to its outbox (one
  untimed intake run), then the feed's ``provider.placements.v1`` events;
- sustainment: the same participants, the ``placement.placements.v1`` events placement
  wrote to its outbox (one untimed placement run), then the feed's evidence.

Upstream events come first, so nothing needs the hold. Runs are interleaved (every
batch size once, then again) so that drift on a shared machine hits every variant.

    python -m bench.processor_throughput [--participants N] [--repeat K] [--seed S]

Prints a table and writes ``.state/bench/processor_throughput.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import resource
import statistics
import sys
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from deploy.databases import temporary_database
from schemas.topics import (
    PARTICIPANTS,
    PLACEMENTS,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    Owner,
    TopicSpec,
    event_topic,
    qualified,
)
from services.common import db
from services.common.messages import RawRecord
from services.common.reference import load_reference
from services.common.settings import ServiceSettings
from services.intake.bootstrap import SERVICE as INTAKE
from services.placement.bootstrap import SERVICE as PLACEMENT
from services.runtime.ports import R
from services.runtime.processor import BatchProcessor
from services.runtime.service import ServiceDefinition
from services.sustainment.bootstrap import SERVICE as SUSTAINMENT
from tools.feed.generate import FeedItem, generate_feed

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / ".state" / "bench" / "processor_throughput.json"
BASELINE = 1
BATCH_SIZES = (BASELINE, 100, 1000)
SETUP_BATCH = 1000
MIB = 1024 * 1024


def _processor(service: Owner, settings: ServiceSettings, pool: db.Pool) -> BatchProcessor[Any]:
    """The processor of ``service`` as the service runs it (its definition's handler
    and PostgreSQL repository)."""
    if service == "intake":
        return _on(INTAKE, settings, pool)
    if service == "placement":
        return _on(PLACEMENT, settings, pool)
    return _on(SUSTAINMENT, settings, pool)


def _on(
    definition: ServiceDefinition[R], settings: ServiceSettings, pool: db.Pool
) -> BatchProcessor[R]:
    handler = definition.make_handler(settings, load_reference(settings.reference_dir))
    return BatchProcessor(handler, pool, definition.postgres, hold_seconds=settings.hold_seconds)


# -- records ---------------------------------------------------------------------


class Records:
    """Raw records as a consumer would see them: key-hashed partition, next offset."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, int], int] = defaultdict(int)

    def record(
        self, spec: TopicSpec, key: str, value: bytes, topic: str | None = None
    ) -> RawRecord:
        encoded = key.encode()
        topic = topic or qualified(spec)
        partition = zlib.crc32(encoded) % spec.partitions
        offset = self._next[(topic, partition)]
        self._next[(topic, partition)] += 1
        return RawRecord(spec, topic, partition, offset, encoded, value)

    def from_feed(self, items: Sequence[FeedItem], spec: TopicSpec) -> list[RawRecord]:
        return [
            self.record(spec, i.key, i.event.model_dump_json().encode(), event_topic(spec, i.event))
            for i in items
            if i.topic is spec
        ]


# -- memory ----------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """ru_maxrss: the peak RSS since start or since the last reset (kB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# -- databases -------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """URL of a new, empty database on the server; dropped on the way out."""
    async with temporary_database(server_url, f"bench_{uuid.uuid4().hex[:16]}") as url:
        yield url


# -- one run ---------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    service: str
    batch_size: int
    events: int
    seconds: float
    cpu_seconds: float
    """CPU time of this process (user + system) during the timed calls: the Python work
    per event, which a busy shared machine stretches in wall time far less than it
    stretches the events per second."""
    transactions: int
    processed: int
    rejected: int
    held: int
    published: int
    rss_start_bytes: int
    rss_peak_bytes: int

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_ms_per_1k(self) -> float:
        return 1_000_000 * self.cpu_seconds / self.events


async def run_once(
    server_url: str,
    service: Owner,
    records: Sequence[RawRecord],
    batch_size: int,
    settings: ServiceSettings,
    *,
    collect: Sequence[TopicSpec] = (),
) -> tuple[Run, list[tuple[str, str, bytes]]]:
    """Process ``records`` in chunks of ``batch_size`` in a fresh database.

    Returns the measurements and the outbox rows (topic, key, value) of the ``collect``
    topics, in outbox order.
    """
    async with fresh_database(server_url) as url:
        await db.migrate(url, service, ROOT / "services" / service)
        pool = await db.create_pool(url, service)
        try:
            processor = _processor(service, settings, pool)
            chunks = [records[i : i + batch_size] for i in range(0, len(records), batch_size)]
            gc.collect()
            reset_peak_rss()
            rss_start = peak_rss_bytes()
            processed = rejected = held = published = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            for chunk in chunks:
                report = await processor.process(chunk)
                processed += report.processed
                rejected += report.rejected
                held += report.held
                published += report.published
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            rss_peak = peak_rss_bytes()
            rows = await pool.fetch(
                "SELECT topic, key, value FROM outbox WHERE topic = ANY($1::text[]) ORDER BY id",
                [spec.name for spec in collect],
            )
        finally:
            await pool.close()
    run = Run(
        service=service,
        batch_size=batch_size,
        events=len(records),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        transactions=len(chunks),
        processed=processed,
        rejected=rejected,
        held=held,
        published=published,
        rss_start_bytes=rss_start,
        rss_peak_bytes=rss_peak,
    )
    return run, [(r["topic"], r["key"], bytes(r["value"])) for r in rows]


# -- inputs ----------------------------------------------------------------------


@dataclass
class Inputs:
    by_service: dict[Owner, list[RawRecord]] = field(default_factory=dict)
    setup_seconds: float = 0.0


async def build_inputs(
    server_url: str, participants: int, seed: int, settings: ServiceSettings
) -> Inputs:
    """The records each service consumes; upstream outputs come from untimed runs."""
    started = time.perf_counter()
    feed = generate_feed(participants, seed)
    records = Records()
    inputs = Inputs()
    intake = records.from_feed(feed, PROVIDER_INTAKE)
    inputs.by_service["intake"] = intake

    _, rows = await run_once(
        server_url, "intake", intake, SETUP_BATCH, settings, collect=[PARTICIPANTS]
    )
    participants_records = [records.record(PARTICIPANTS, key, value) for _, key, value in rows]
    placement = participants_records + records.from_feed(feed, PROVIDER_PLACEMENTS)
    inputs.by_service["placement"] = placement

    _, rows = await run_once(
        server_url, "placement", placement, SETUP_BATCH, settings, collect=[PLACEMENTS]
    )
    placements_records = [records.record(PLACEMENTS, key, value) for _, key, value in rows]
    inputs.by_service["sustainment"] = (
        participants_records + placements_records + records.from_feed(feed, PROVIDER_EVIDENCE)
    )
    inputs.setup_seconds = time.perf_counter() - started
    return inputs


# -- the benchmark ---------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    service: str
    batch_size: int
    events: int
    runs: list[Run]

    @property
    def median_events_per_second(self) -> float:
        return statistics.median(r.events_per_second for r in self.runs)

    @property
    def median_cpu_ms_per_1k(self) -> float:
        return statistics.median(r.cpu_ms_per_1k for r in self.runs)

    @property
    def peak_rss_bytes(self) -> int:
        return max(r.rss_peak_bytes for r in self.runs)

    @property
    def rss_growth_bytes(self) -> int:
        return max(r.rss_peak_bytes - r.rss_start_bytes for r in self.runs)


async def benchmark(
    server_url: str, participants: int, seed: int, repeat: int
) -> tuple[list[Variant], Inputs]:
    settings = ServiceSettings()
    inputs = await build_inputs(server_url, participants, seed, settings)
    runs: dict[tuple[Owner, int], list[Run]] = defaultdict(list)
    for service, records in inputs.by_service.items():
        for round_ in range(repeat):
            for batch_size in BATCH_SIZES:
                run, _ = await run_once(server_url, service, records, batch_size, settings)
                runs[(service, batch_size)].append(run)
                print(
                    f"  {service:<12} batch {batch_size:>4}  run {round_ + 1}/{repeat}:"
                    f" {run.events_per_second:8.0f} events/s, {run.cpu_ms_per_1k:5.0f} CPU ms/1k",
                    file=sys.stderr,
                    flush=True,
                )
    variants = [
        Variant(service, batch_size, len(inputs.by_service[service]), found)
        for (service, batch_size), found in runs.items()
    ]
    return variants, inputs


def ratio(variant: Variant, variants: Sequence[Variant]) -> float:
    [base] = [v for v in variants if v.service == variant.service and v.batch_size == BASELINE]
    return variant.median_events_per_second / base.median_events_per_second


def table(variants: Sequence[Variant], rss_reset: bool) -> str:
    rss_title = "peak RSS MiB (+during run)" if rss_reset else "peak RSS MiB (process)"
    lines = [
        f"{'service':<12} {'batch':>5} {'events':>6} {'tx':>5} {'events/s':>9}"
        f" {'min-max':>13} {'vs batch 1':>10} {'cpu ms/1k':>9}  {rss_title}",
    ]
    for v in variants:
        rates = [r.events_per_second for r in v.runs]
        spread = f"{min(rates):.0f}-{max(rates):.0f}"
        rss = f"{v.peak_rss_bytes / MIB:.0f}"
        if rss_reset:
            rss += f" (+{v.rss_growth_bytes / MIB:.1f})"
        lines.append(
            f"{v.service:<12} {v.batch_size:>5} {v.events:>6} {v.runs[0].transactions:>5}"
            f" {v.median_events_per_second:>9.0f} {spread:>13}"
            f" {ratio(v, variants):>9.1f}x {v.median_cpu_ms_per_1k:>9.0f}  {rss}"
        )
    return "\n".join(lines)


def outcome_differences(variants: Sequence[Variant]) -> list[str]:
    """Batch sizes that decided differently (they should not: same input, same rules)."""
    notes = []
    for service in dict.fromkeys(v.service for v in variants):
        seen = {
            (v.batch_size, r.processed, r.rejected, r.held, r.published)
            for v in variants
            if v.service == service
            for r in v.runs
        }
        if len({s[1:] for s in seen}) > 1:
            shown = ", ".join(
                f"batch {b}: processed {p} rejected {rj} held {h} published {pb}"
                for b, p, rj, h, pb in sorted(seen)
            )
            notes.append(f"{service}: outcomes differ by batch size ({shown})")
    return notes


async def server_version(server_url: str) -> str:
    conn = await asyncpg.connect(server_url)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--participants", type=int, default=800)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.participants < 1 or args.repeat < 1:
        parser.error("--participants and --repeat must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    server_url = ServiceSettings().database_url
    rss_reset = reset_peak_rss()

    started = time.perf_counter()
    variants, inputs = asyncio.run(benchmark(server_url, args.participants, args.seed, args.repeat))
    wall = time.perf_counter() - started

    print(
        f"\nBatchProcessor throughput: {args.participants} participants (seed {args.seed}),"
        f" median of {args.repeat}; {os.cpu_count()} CPUs; wall {wall:.0f}s"
        f" (setup {inputs.setup_seconds:.0f}s)\n"
    )
    print(table(variants, rss_reset))
    notes = outcome_differences(variants)
    for note in notes:
        print(f"note: {note}")

    results: dict[str, Any] = {
        "benchmark": "processor_throughput",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "participants": args.participants,
        "seed": args.seed,
        "repeat": args.repeat,
        "baseline_batch_size": BASELINE,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": asyncio.run(server_version(server_url)),
        },
        "peak_rss_is_per_run": rss_reset,
        "wall_seconds": round(wall, 1),
        "setup_seconds": round(inputs.setup_seconds, 1),
        "variants": [
            {
                "service": v.service,
                "batch_size": v.batch_size,
                "events": v.events,
                "median_events_per_second": round(v.median_events_per_second, 1),
                "ratio_to_baseline": round(ratio(v, variants), 2),
                "median_cpu_ms_per_1k_events": round(v.median_cpu_ms_per_1k, 1),
                "peak_rss_bytes": v.peak_rss_bytes,
                "runs": [asdict(r) | {"events_per_second": r.events_per_second} for r in v.runs],
            }
            for v in variants
        ],
        "notes": notes,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

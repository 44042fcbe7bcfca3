"""The read model at London's scale (issue 12 item 9): 50,000 participants.

1. **Catch-up.** The output events of N participants (bench/views_events.py) are put on
   the topics of a fresh namespace first; then ``python -m services.views`` starts on a
   fresh database and consumes the backlog. Its rate (events/s) is the records its
   read model committed (its inbox) over the time from the first batch to the last.
2. **Payment -> page.** With the service running, payments are put on the payments
   topic one by one; each is timed from the broker's acknowledgement to the
   ``views_changed`` notification after which the read model holds it (p50/p95).
3. **Pages.** For the provider with the most participants, each read the web app makes
   is timed server-side (the read API call, and the CSV rendering for the export),
   interleaved with the same rows read straight from PostgreSQL (one plain query, or
   ``COPY`` for the export) in the same run: p50/p95 and the ratio to that baseline.

    python -m bench.views_scale [--participants 50000] [--repeat 30] [--payments 100]

Needs Kafka and PostgreSQL (``make bench-views`` starts the local ones). Prints a table
and writes ``.state/bench/views_scale.json``. Nothing is asserted: figures, not tests.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from aiokafka import AIOKafkaProducer

from bench.views_events import Outgoing, payment, programme
from deploy.create_topics import delete_namespace_topics, ensure_topics
from schemas.intake import ParticipantStarted
from schemas.topics import PAYMENTS
from services.common.settings import ServiceSettings
from services.views import SCHEMA, create_read_pool, notify, read
from services.views.read_model import CaseloadFilters, CaseloadRow, CaseloadSort, PageRequest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / ".state" / "bench" / "views_scale.json"
TODAY = date(2024, 11, 1)
PAGE = PageRequest(1, 50)
CSV_COLUMNS = ("referral_id", "participant_id", "borough", "stage", "next_milestone",
               "projected_on", "evidence_due_since", "window_days_left")  # fmt: skip


# -- set-up -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def participants_of(events: list[Outgoing]) -> list[tuple[str, str, str]]:
    """(contract, provider, participant) of every start in the programme."""
    return [
        (o.event.contract_id, o.event.provider_id, o.event.participant_id)
        for o in events
        if isinstance(o.event, ParticipantStarted)
    ]


async def publish(bootstrap: str, namespace: str, events: list[Outgoing]) -> float:
    """Put the events on their topics (acks=all); returns the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        for n, o in enumerate(events, 1):
            value = o.event.model_dump_json().encode()
            await producer.send(namespace + o.topic, value, key=o.key.encode())
            if n % 20_000 == 0:
                await producer.flush()
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


def start_views(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.views"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def catch_up(database_url: str, total: int) -> dict[str, Any]:
    """Poll the read model's inbox (one row per event, written in the transaction of its
    effects) until it holds every event; the rate over the time from the first committed
    batch to the last."""
    conn = await asyncpg.connect(database_url)
    first: tuple[float, int] | None = None
    try:
        while True:
            try:
                done = int(await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".inbox'))
            except asyncpg.UndefinedTableError:  # not migrated yet
                done = 0
            now = time.perf_counter()
            if first is None and done > 0:
                first = (now, done)
            if done >= total and first is not None:
                seconds = now - first[0]
                rate = (done - first[1]) / seconds if seconds > 0 else None
                return {
                    "events": total,
                    "seconds": round(seconds, 2),
                    "events_per_second": round(rate, 1) if rate else None,
                }
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


# -- payment -> visible ---------------------------------------------------------------


async def payment_latency(
    bootstrap: str, namespace: str, database_url: str, participants: list[tuple[str, str, str]],
    count: int,
) -> dict[str, Any]:  # fmt: skip
    """Seconds from a payment's acknowledgement on the topic to the notification after
    which the read model holds it, one payment at a time."""
    listener = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    changed = asyncio.Event()
    await listener.add_listener(notify.CHANNEL, lambda *_: changed.set())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    rng = random.Random(7)
    latencies: list[float] = []
    try:
        for n in range(count):
            contract_id, provider, pid = rng.choice(participants)
            paid = payment(rng, contract_id, provider, pid, f"bench-latency-{uuid.uuid4()}",
                           produced_at=datetime.now(UTC))  # fmt: skip
            changed.clear()
            await producer.send_and_wait(
                namespace + PAYMENTS.name, paid.model_dump_json().encode(), key=pid.encode()
            )
            on_topic = time.perf_counter()
            while not await listener.fetchval(
                "SELECT true FROM payments WHERE payment_id = $1", paid.payment_id
            ):
                await asyncio.wait_for(changed.wait(), 30)
                changed.clear()
            latencies.append(time.perf_counter() - on_topic)
            if n % 20 == 19:
                await asyncio.sleep(0.2)  # let batches form as they would in real traffic
    finally:
        await producer.stop()
        await listener.close()
    return _percentiles(latencies)


# -- pages ------------------------------------------------------------------------------


def _percentiles(seconds: list[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
    }


def export_csv(rows: tuple[CaseloadRow, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        n = r.next_milestone
        writer.writerow([
            r.referral_id, r.participant_id, r.borough, r.stage.value,
            n.milestone.value if n else "", n.projected_on if n else "",
            r.evidence_due_since or "", r.window_days_left or "",
        ])  # fmt: skip
    return buffer.getvalue()


Timed = Callable[[Any], Awaitable[object]]


def page_reads(provider: str, participants: list[str]) -> dict[str, tuple[Timed, Timed]]:
    """Each page read (read API) beside the same rows straight from PostgreSQL."""
    rng = random.Random(3)
    due = CaseloadFilters(evidence_due=True)

    async def first_page(c: Any) -> object:
        return await read.caseload(c, provider, CaseloadFilters(), CaseloadSort.REFERRAL_ID,
                                   PAGE, TODAY)  # fmt: skip

    async def first_page_sql(c: Any) -> object:
        return await c.fetch(
            "SELECT * FROM participants WHERE provider_id = $1 ORDER BY referral_id LIMIT 50",
            provider,
        )

    async def filtered(c: Any) -> object:
        return await read.caseload(c, provider, due, CaseloadSort.NEXT_PROJECTED_ON, PAGE, TODAY)

    async def filtered_sql(c: Any) -> object:
        return await c.fetch(
            "SELECT * FROM participants WHERE provider_id = $1 AND left_on IS NULL"
            " AND start_date <= $2 AND $2 <= window_last_day AND evidence_due_since < $2"
            " ORDER BY next_projected_on NULLS LAST, referral_id LIMIT 50",
            provider,
            TODAY,
        )

    async def timeline(c: Any) -> object:
        return await read.participant_timeline(c, provider, rng.choice(participants), TODAY)

    async def timeline_sql(c: Any) -> object:
        key = (provider, rng.choice(participants))
        return [
            await c.fetch(f"SELECT * FROM {t} WHERE provider_id = $1 AND participant_id = $2", *key)
            for t in ("participants", "placements", "evidence", "milestones", "payments")
        ]

    async def export(c: Any) -> object:
        rows = await read.caseload_export(c, provider, CaseloadFilters(),
                                          CaseloadSort.REFERRAL_ID, TODAY)  # fmt: skip
        return export_csv(rows)

    async def export_sql(c: Any) -> object:
        out = io.BytesIO()
        await c.copy_from_query(
            "SELECT * FROM participants WHERE provider_id = $1 ORDER BY referral_id",
            provider,
            output=out,
            format="csv",
            header=True,
        )
        return out.getvalue()

    return {
        "caseload first page": (first_page, first_page_sql),
        "caseload filtered (evidence due)": (filtered, filtered_sql),
        "timeline": (timeline, timeline_sql),
        "CSV export (whole caseload)": (export, export_sql),
    }


async def time_pages(database_url: str, repeat: int) -> dict[str, Any]:
    pool = await create_read_pool(database_url, max_size=2)
    try:
        async with pool.acquire() as conn:
            biggest = await conn.fetchrow(
                "SELECT provider_id, count(*) FROM participants GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            )
            assert biggest is not None, "the read model is empty"
            provider, size = biggest["provider_id"], biggest["count"]
            ids = [
                r[0]
                for r in await conn.fetch(
                    "SELECT participant_id FROM participants WHERE provider_id = $1", provider
                )
            ]
            reads = page_reads(provider, ids)
            samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in reads}
            for _ in range(repeat):  # interleaved: drift on a shared machine hits both
                for name, (api, sql) in reads.items():
                    for fn, into in ((api, samples[name][0]), (sql, samples[name][1])):
                        started = time.perf_counter()
                        await fn(conn)
                        into.append(time.perf_counter() - started)
    finally:
        await pool.close()
    pages = {}
    for name, (api_seconds, sql_seconds) in samples.items():
        a, b = _percentiles(api_seconds), _percentiles(sql_seconds)
        pages[name] = {
            "read_api": a,
            "plain_sql": b,
            "ratio_p50": round(a["p50_ms"] / b["p50_ms"], 2),
        }
    return {"provider": provider, "caseload_size": size, "pages": pages}


# -- the run --------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = ServiceSettings()
    bootstrap, server_url = settings.kafka_bootstrap_servers, settings.database_url
    namespace = f"bench-views-{uuid.uuid4().hex[:6]}."
    database = f"bench_views_{uuid.uuid4().hex[:8]}"
    url = urlsplit(server_url)._replace(path=f"/{database}").geturl()
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    await ensure_topics(bootstrap, namespace)
    process = None
    try:
        events = list(programme(args.participants, args.seed))
        print(f"publishing {len(events):,} events of {args.participants:,} participants ...")
        published = await publish(bootstrap, namespace, events)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        env = {
            "DATABASE_URL": url,
            "TOPIC_NAMESPACE": namespace,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "METRICS_PORT": str(free_port()),
            "BATCH_WITHIN_SECONDS": "0.05",
        }
        process = start_views(env, RESULTS.with_suffix(".log"))
        print("views service consuming the backlog ...")
        catchup = await catch_up(url, len(events))
        starts = participants_of(events)
        print("payment -> read model latency ...")
        latency = await payment_latency(bootstrap, namespace, url, starts, args.payments)
        print("timing page reads ...")
        pages = await time_pages(url, args.repeat)
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
        await delete_namespace_topics(bootstrap, namespace)
        admin = await asyncpg.connect(server_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    return {
        "participants": args.participants,
        "events": len(events),
        "publish_seconds": round(published, 1),
        "catch_up": catchup,
        "payment_to_read_model": latency,
        **pages,
        "cpus": os.cpu_count(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def report(result: dict[str, Any]) -> list[str]:
    c, lat = result["catch_up"], result["payment_to_read_model"]
    lines = [
        f"read model: {result['participants']:,} participants, {result['events']:,} events",
        f"catch-up on the backlog: {c['events_per_second']:,} events/s ({c['seconds']} s)",
        f"payment on topic -> in the read model: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms"
        f" ({lat['n']} payments)",
        f"pages of {result['provider']} ({result['caseload_size']:,} participants),"
        " server-side, ms:",
        f"  {'read':<34}{'API p50':>9}{'p95':>9}{'SQL p50':>9}{'p95':>9}{'ratio':>7}",
    ]
    for name, p in result["pages"].items():
        a, b = p["read_api"], p["plain_sql"]
        lines.append(
            f"  {name:<34}{a['p50_ms']:>9}{a['p95_ms']:>9}{b['p50_ms']:>9}{b['p95_ms']:>9}"
            f"{p['ratio_p50']:>7}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--payments", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    result = asyncio.run(run(parser.parse_args()))
    RESULTS.write_text(json.dumps(result, indent=2, default=str))
    print("\n".join(report(result)))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

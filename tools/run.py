"""The main job (``make run``): the whole pipeline on a synthetic feed, then a summary.

Starts PostgreSQL and Kafka (unless KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL point to
servers of your own), gives the run a fresh database and topic namespace, starts the
four services, publishes the feed, waits until the pipeline is quiet, prints the
summary next to what the feed should produce, and stops what it started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from deploy.create_topics import ensure_topics
from deploy.local import LOCAL_DATABASE_URL, LOCAL_KAFKA_BOOTSTRAP
from tools import arguments
from tools.feed.expectation import FeedCounts, expected_counts
from tools.feed.generate import generate_feed
from tools.feed.publish import publish_feed
from tools.quiet import Backlog, wait_until_quiet
from tools.services import ServiceProcesses
from tools.summary import Summary, format_summary, read_summary

ROOT = Path(__file__).resolve().parent.parent
LOCAL_KAFKA = LOCAL_KAFKA_BOOTSTRAP
LOCAL_DATABASE = LOCAL_DATABASE_URL
RUN_PORTS = {"intake": 9111, "placement": 9112, "sustainment": 9113, "payments": 9114}
RUN_DATABASE = "outcomes_run"
RUN_TOPIC_PREFIX = "run-"


def say(message: str) -> None:
    print(f"[run {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _script(name: str, command: str) -> None:
    subprocess.run(["bash", str(ROOT / "deploy" / name), command], cwd=ROOT, check=True)


def _running(name: str) -> bool:
    status = subprocess.run(
        ["bash", str(ROOT / "deploy" / name), "status"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return status.returncode == 0 and "running" in status.stdout


@contextmanager
def local_server(name: str, external: bool) -> Iterator[None]:
    """Start a local server for the run; stop it afterwards unless it was already up."""
    if external:
        yield
        return
    was_running = _running(name)
    _script(name, "start")
    try:
        yield
    finally:
        if not was_running:
            _script(name, "stop")


async def fresh_run_database(database_url: str) -> str:
    """Drop and create the run's database; return its URL."""
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{RUN_DATABASE}"')
    finally:
        await admin.close()
    return urlsplit(database_url)._replace(path=f"/{RUN_DATABASE}").geturl()


async def drop_previous_run_topics(bootstrap: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        old = [t for t in await admin.list_topics() if t.startswith(RUN_TOPIC_PREFIX)]
        if old:
            await admin.delete_topics(old)
    finally:
        await admin.close()
    return len(old)


def _progress(started: float) -> Callable[[Backlog], None]:
    last = [0.0]

    def report(backlog: Backlog) -> None:
        now = time.monotonic()
        if now - last[0] >= 5:
            last[0] = now
            say(f"  {now - started:5.0f}s  consumer lag {backlog.lag}  outbox {backlog.outbox}")

    return report


def run(participants: int, seed: int) -> int:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA
    database = os.environ.get("DATABASE_URL") or LOCAL_DATABASE
    began = time.monotonic()
    with (
        local_server("postgres.sh", external=database != LOCAL_DATABASE),
        local_server("kafka.sh", external=bootstrap != LOCAL_KAFKA),
    ):
        namespace = f"{RUN_TOPIC_PREFIX}{int(time.time())}."
        dropped = asyncio.run(drop_previous_run_topics(bootstrap))
        run_database = asyncio.run(fresh_run_database(database))
        asyncio.run(ensure_topics(bootstrap, namespace))
        say(f"topics created under namespace {namespace!r} (dropped {dropped} old run topics)")
        services = ServiceProcesses(
            env={
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "DATABASE_URL": run_database,
                "TOPIC_NAMESPACE": namespace,
            },
            ports=RUN_PORTS,
        )
        services.start()
        try:
            services.wait_ready()
            say(
                "four services ready; metrics on "
                + ", ".join(f"{s}:{p}" for s, p in RUN_PORTS.items())
            )
            items = generate_feed(participants, seed)
            published = asyncio.run(publish_feed(bootstrap, items, namespace))
            say(f"published {published:,} provider events for {participants:,} participants")
            feed_done = time.monotonic()
            asyncio.run(
                wait_until_quiet(
                    bootstrap, run_database, namespace, on_progress=_progress(feed_done)
                )
            )
            say(f"pipeline quiet {time.monotonic() - feed_done:.1f}s after publishing")
            summary = asyncio.run(read_summary(bootstrap, namespace))
        finally:
            services.stop()
            say("services stopped")
    expected = expected_counts(items)
    print(format_summary(summary, expected))
    say(f"done in {time.monotonic() - began:.1f}s")
    problems = differences(summary, expected)
    for problem in problems:
        print(f"run: {problem}", file=sys.stderr)
    return 1 if problems else 0


def differences(summary: Summary, expected: FeedCounts) -> list[str]:
    """Where the pipeline's output differs from what the feed should produce."""
    problems = []
    if not any(c.payments for c in summary.payments.values()):
        problems.append("no payments were produced")
    got = {c: (p.payments, p.net_pence) for c, p in summary.payments.items()}
    want = {c: (p.count, p.total_pence) for c, p in expected.payments_by_contract.items()}
    if got != want:
        problems.append(f"payments by contract {got} differ from the expected {want}")
    got_milestones = {k: n for k, n in summary.milestones.items() if n}
    want_milestones = {k: n for k, n in expected.milestones.items() if n}
    if got_milestones != want_milestones:
        problems.append(f"milestones {got_milestones} differ from {want_milestones}")
    if summary.rejections:
        problems.append(f"the clean synthetic feed had rejections: {summary.rejections}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run", description=__doc__)
    parser.add_argument("--participants", type=arguments.participant_count, default=3000)
    parser.add_argument("--seed", type=arguments.seed, default=42)
    args = parser.parse_args(argv)
    return run(args.participants, args.seed)


if __name__ == "__main__":
    sys.exit(main())

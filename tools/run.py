"""The main job (``make run``): the pipeline on a synthetic feed, checked payment by payment.

Starts PostgreSQL and Kafka (unless KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL point to
servers of your own), gives the run a fresh database and topic namespace, starts the
four services, publishes the feed in the chosen arrival order, waits until the pipeline
is quiet, prints the summary, then compares the payments topic with the feed's own
expectation per (contract, participant, milestone) and exits 1 on any difference.

    python -m tools.run [--participants 3000] [--seed 42] [--order natural|reversed|shuffled]

``make run ORDER=reversed`` or ``make run ARGS="--order reversed --participants 500"``.
Every order must give the same net payments (tools.feed.compare says what "the same
payments" means); the fingerprint line lets two runs be compared at a glance.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.create_topics import delete_topics_where, ensure_topics
from deploy.databases import create_database, databases_like, drop_databases
from deploy.local import LOCAL_DATABASE_URL, LOCAL_KAFKA_BOOTSTRAP
from services.common.local_defaults import metrics_ports
from tools import arguments
from tools.check import check_summary, format_check
from tools.feed.expectation import expected_counts
from tools.feed.generate import generate
from tools.feed.model import DEVELOPMENT_KEY, expected
from tools.feed.order import ORDERS, Order, arrange
from tools.feed.publish import publish_feed
from tools.feed.reference import write_reference
from tools.quiet import Backlog, wait_until_quiet
from tools.services import ServiceProcesses
from tools.summary import (
    format_summary,
    read_summary,
)

ROOT = Path(__file__).resolve().parent.parent
LOCAL_KAFKA = LOCAL_KAFKA_BOOTSTRAP
LOCAL_DATABASE = LOCAL_DATABASE_URL
RUN_PORTS = metrics_ports(int(os.environ.get("RUN_METRICS_PORT_BASE") or 9110))
"""The services' metrics ports (base+1..); RUN_METRICS_PORT_BASE moves them, so runs of
several checkouts on one machine do not collide."""
RUN_DATABASE = "outcomes_run"
RUN_TOPIC_PREFIX = "run-"
HARD_SHARE = 0.3  # share of people on a hard path (tools.feed.generate.HARD_PATHS)
STALE_AFTER = 30 * 60  # seconds: older runs' topics and databases are dropped


def _port_or_free(port: int) -> int:
    """``port`` if nothing listens on it, else any free port (another run may use ours)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        chosen: int = probe.getsockname()[1]
        return chosen


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


def _stale(name: str, prefix: str, now: float, separator: str = ".") -> bool:
    """Is ``name`` (``<prefix><unix seconds><separator>...``) a run older than STALE_AFTER?

    Runs may share a broker and a server (helpers, CI jobs): only old runs are dropped,
    never one that may still be going.
    """
    stamp = name[len(prefix) :].split(separator, 1)[0]
    return name.startswith(prefix) and stamp.isdigit() and int(stamp) < now - STALE_AFTER


async def fresh_run_database(database_url: str, stamp: int) -> str:
    """Create this run's database (dropping runs' databases older than STALE_AFTER)."""
    old = [
        name
        for name in await databases_like(database_url, "outcomes_run%")
        if name == RUN_DATABASE or _stale(name, f"{RUN_DATABASE}_", stamp, "\x00")
    ]
    await drop_databases(database_url, *old)
    return await create_database(database_url, f"{RUN_DATABASE}_{stamp}", replace=True)


async def drop_previous_run_topics(bootstrap: str, stamp: int) -> int:
    """Delete the topics of runs older than STALE_AFTER."""
    return await delete_topics_where(bootstrap, lambda t: _stale(t, RUN_TOPIC_PREFIX, stamp))


def _progress(started: float) -> Callable[[Backlog], None]:
    last = [0.0]

    def report(backlog: Backlog) -> None:
        now = time.monotonic()
        if now - last[0] >= 5:
            last[0] = now
            say(f"  {now - started:5.0f}s  consumer lag {backlog.lag}  outbox {backlog.outbox}")

    return report


def run(
    participants: int, seed: int, order: Order = "natural", hard_share: float = HARD_SHARE
) -> int:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA
    database = os.environ.get("DATABASE_URL") or LOCAL_DATABASE
    began = time.monotonic()
    feed = generate(participants, seed, hard_share=hard_share)
    items = arrange(feed.items, order, seed)
    reference = write_reference(ROOT / ".state" / "run" / "reference")
    with (
        local_server("postgres.sh", external=database != LOCAL_DATABASE),
        local_server("kafka.sh", external=bootstrap != LOCAL_KAFKA),
    ):
        stamp = int(time.time())
        namespace = f"{RUN_TOPIC_PREFIX}{stamp}."
        dropped = asyncio.run(drop_previous_run_topics(bootstrap, stamp))
        run_database = asyncio.run(fresh_run_database(database, stamp))
        asyncio.run(ensure_topics(bootstrap, namespace))
        say(f"topics created under namespace {namespace!r} (dropped {dropped} old run topics)")
        services = ServiceProcesses(
            env={
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "DATABASE_URL": run_database,
                "TOPIC_NAMESPACE": namespace,
                "PARTICIPANT_ID_KEY": DEVELOPMENT_KEY,
                "OUTCOMES_DEV_MODE": "1",
                "REFERENCE_DIR": str(reference),
            },
            ports={service: _port_or_free(port) for service, port in RUN_PORTS.items()},
        )
        services.start()
        try:
            services.wait_ready()
            say(
                "four services ready; metrics on "
                + ", ".join(f"{s}:{p}" for s, p in services.ports.items())
            )
            published = asyncio.run(publish_feed(bootstrap, items, namespace))
            say(
                f"published {published:,} provider events for {participants:,} participants"
                f" (seed {seed}, order {order})"
            )
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
    expectation = expected((item.as_sent() for item in feed.items), DEVELOPMENT_KEY)
    print(format_summary(summary, expected_counts(feed.items)))
    check = check_summary(summary, expectation)
    problems = check.differences
    print()
    print(format_check(order, check, expectation))
    say(f"done in {time.monotonic() - began:.1f}s")
    for line in problems.lines():
        print(f"run: {line}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run", description=__doc__)
    parser.add_argument("--participants", type=arguments.participant_count, default=3000)
    parser.add_argument("--seed", type=arguments.seed, default=42)
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="natural",
        help="arrival order: natural, reversed (evidence, placements, intake) or shuffled",
    )
    parser.add_argument(
        "--hard-share",
        type=arguments.share,
        default=HARD_SHARE,
        help="share of people on a hard path, 0-1 (default %(default)s)",
    )
    args = parser.parse_args(argv)
    return run(args.participants, args.seed, args.order, args.hard_share)


if __name__ == "__main__":
    sys.exit(main())

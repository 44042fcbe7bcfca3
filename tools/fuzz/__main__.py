"""``make fuzz``: hostile provider input interleaved with a valid feed.

python -m tools.fuzz [--participants 3000] [--per-topic 10000] [--seed 7]

Two runs on fresh databases and topic namespaces: the valid feed alone (the clean run,
for the time to quiet), then the same feed with hostile messages spread through it.
Prints what was sent, rejections by reason, what is unaccounted for (every hostile
message must be rejected - matched by source topic/partition/offset - or accepted,
held or a duplicate no-op of the same content), service restarts, the valid feed's
payments against the feed's expectation, and the time to quiet against the clean run.
Exit 1 on anything unaccounted for, any restart or any payment difference.

Halfway through the hostile run, compression bombs go to every provider topic kind
(tools/fuzz/bombs.py: gzip batches under the topic's size limit that inflate to
``--bomb-mb`` MB), sent by a client of their own while the rest of the feed is published,
with every service under ``--address-space-mb`` of address space (RLIMIT_AS): every bomb
record must be rejected ``invalid_schema``; the report shows each service's memory peaks,
longest event-loop stall (over ``MAX_STALL_SECONDS`` fails the run) and log lines, for
the clean run too.

It runs on a private Kafka (127.0.0.1:20796) and PostgreSQL (127.0.0.1:20736) with state
in .state/fuzz-servers/ (stopped at the end), so that other work on the local servers
neither slows it nor is slowed by it; ``--shared`` uses the local (or configured) ones.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deploy.create_topics import delete_namespace_topics, ensure_topics
from services.common.local_defaults import metrics_ports
from tools import arguments
from tools.feed.generate import FeedItem, generate_feed
from tools.feed.reference import write_reference
from tools.fuzz.account import (
    Accounting,
    account,
    rejections_by_position,
    service_states,
)
from tools.fuzz.bombs import MB, Bomb, BombAccount, account_bombs, make_bombs, send_bombs
from tools.fuzz.hostile import (
    Message,
    hostile_messages,
    interleave,
    is_late,
    max_message_bytes,
)
from tools.fuzz.pipeline import (
    PARTICIPANT_KEY,
    PaymentCheck,
    Position,
    Watched,
    check_payments,
    feed_message,
    fresh_database,
    providers,
    publish,
    read_topics,
    say,
)
from tools.fuzz.resources import Usage
from tools.fuzz.resources import usage as resource_usage
from tools.fuzz.topics import rejection_topics
from tools.infra import PrivateInfra
from tools.quiet import Backlog, wait_until_quiet
from tools.run import LOCAL_DATABASE, LOCAL_KAFKA, local_server
from tools.services import ServiceProcesses

ROOT = Path(__file__).resolve().parents[2]
FUZZ_PORTS = metrics_ports(20710)
MAX_STALL_SECONDS = 5.0


@dataclass
class RunResult:
    seconds_to_quiet: float | None
    payments: PaymentCheck
    restarts: int = 0
    exits: list[str] = field(default_factory=list)
    accounting: Accounting | None = None
    bombs: BombAccount | None = None
    usage: list[Usage] = field(default_factory=list)


@dataclass(frozen=True)
class Stack:
    bootstrap: str
    admin_database_url: str
    state_dir: Path
    ports: dict[str, int]
    quiet_timeout: float = 900.0
    stall_seconds: float = 120.0
    address_space_bytes: int | None = None
    """RLIMIT_AS of each service (None: unlimited)."""


@dataclass
class _Progress:
    since: float
    state: str = ""
    said: float = 0.0


class Stalled(Exception):
    """The backlog did not move for ``Stack.stall_seconds``."""


def run_once(
    stack: Stack,
    label: str,
    items: Sequence[FeedItem],
    messages: Sequence[Message],
    namespace: str,
    database: str,
    bombs: Sequence[Bomb] = (),
) -> RunResult:
    """Services up on a fresh namespace and database, publish, wait for quiet, check.

    ``bombs`` are sent halfway through the messages (tools/fuzz/bombs.py)."""
    url = asyncio.run(fresh_database(stack.admin_database_url, database))
    asyncio.run(ensure_topics(stack.bootstrap, namespace))
    processes = ServiceProcesses(
        env={
            "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap,
            "DATABASE_URL": url,
            "TOPIC_NAMESPACE": namespace,
            "PARTICIPANT_ID_KEY": PARTICIPANT_KEY,
            "OUTCOMES_DEV_MODE": "1",
            "REFERENCE_DIR": str(write_reference(stack.state_dir / "reference")),
        },
        state_dir=stack.state_dir / label,
        ports=stack.ports,
        address_space_bytes=stack.address_space_bytes,
    )
    for stale in (stack.state_dir / label).glob("*.log"):
        stale.unlink()  # an earlier run's lines would count as this run's
    watched = Watched(processes)
    landed: list[list[Position] | None] = []
    usage: list[Usage] = []
    processes.start()
    seconds: float | None = None
    try:
        processes.wait_ready(timeout=180)
        main = [m for m in messages if not is_late(m)]
        late = messages[len(main) :]
        assert all(is_late(m) for m in late), "late messages come last"
        say("fuzz", f"{label}: services ready; publishing {len(main):,} messages")
        began = time.monotonic()
        half = len(main) // 2 if bombs else len(main)
        positions = asyncio.run(publish(stack.bootstrap, main[:half], namespace))
        if bombs:
            say("fuzz", f"{label}: sending {len(bombs)} bombs and the other {len(main) - half:,}")
            landed, rest, bomb_seconds = asyncio.run(
                _bombs_beside(stack.bootstrap, bombs, main[half:], namespace)
            )
            positions += rest
            say("fuzz", f"{label}: the broker took {bomb_seconds:.1f}s to accept the bombs")
        say("fuzz", f"{label}: published in {time.monotonic() - began:.1f}s; waiting for quiet")

        last = _Progress(since=time.monotonic())

        def progress(backlog: Backlog) -> None:
            watched.check()
            now = time.monotonic()
            state = f"lag {backlog.lag} outbox {backlog.outbox}"
            if state != last.state or backlog.quiet:
                last.state, last.since = state, now
            elif now - last.since > stack.stall_seconds:
                raise Stalled(f"no progress for {stack.stall_seconds:.0f}s: {state}")
            if now - last.said >= 15:
                last.said = now
                say("fuzz", f"  {now - began:5.0f}s {state}")

        try:
            asyncio.run(
                wait_until_quiet(
                    stack.bootstrap,
                    url,
                    namespace,
                    give_up_after=stack.quiet_timeout,
                    on_progress=progress,
                )
            )
            seconds = time.monotonic() - began
            say("fuzz", f"{label}: quiet {seconds:.1f}s after publishing began")
            if late:  # not timed: they wait for what they attack to be processed
                positions += asyncio.run(publish(stack.bootstrap, late, namespace))
                say("fuzz", f"{label}: {len(late)} late messages published; waiting for quiet")
                asyncio.run(
                    wait_until_quiet(
                        stack.bootstrap,
                        url,
                        namespace,
                        give_up_after=stack.quiet_timeout,
                        on_progress=progress,
                    )
                )
        except (TimeoutError, Stalled) as exc:
            seconds = None
            say("fuzz", f"{label}: NOT QUIET: {exc}")
            positions += [None] * (len(messages) - len(positions))
        watched.check()
    finally:
        usage = resource_usage(processes)
        processes.stop()
    payments = asyncio.run(check_payments(stack.bootstrap, namespace, items, url))
    result = RunResult(seconds, payments, sum(watched.restarts.values()), watched.exits)
    result.usage = usage
    if any(m.hostile is not None for m in messages):
        result.accounting = asyncio.run(_account(stack, namespace, url, messages, positions))
    if bombs:
        names = rejection_topics(namespace, [p.provider_id for p in providers()])
        rejections = rejections_by_position(asyncio.run(read_topics(stack.bootstrap, names)))
        result.bombs = account_bombs(bombs, landed, rejections)
    return result


async def _bombs_beside(
    bootstrap: str, bombs: Sequence[Bomb], rest: Sequence[Message], namespace: str
) -> tuple[list[list[Position] | None], list[Position | None], float]:
    """The bombs (their own client, as an attacker has) while the rest of the feed is
    published: the broker validates each bomb by streaming through its inflated records
    (about a second per 480 MB), which should cost the valid feed only the broker's CPU,
    not wait for it. Also how long the bombs took."""

    async def timed_bombs() -> tuple[list[list[Position] | None], float]:
        began = time.monotonic()
        landed = await send_bombs(bootstrap, bombs, namespace)
        return landed, time.monotonic() - began

    (landed, seconds), positions = await asyncio.gather(
        timed_bombs(), publish(bootstrap, rest, namespace)
    )
    return landed, positions, seconds


async def _account(
    stack: Stack,
    namespace: str,
    url: str,
    messages: Sequence[Message],
    positions: Sequence[Position | None],
) -> Accounting:
    names = rejection_topics(namespace, [p.provider_id for p in providers()])
    rejections = rejections_by_position(await read_topics(stack.bootstrap, names))
    return account(messages, positions, rejections, await service_states(url))


def fuzz(
    stack: Stack,
    participants: int,
    seed: int,
    per_topic: int,
    size_messages: int,
    clean: bool,
    skip: frozenset[str] = frozenset(),
    bomb_bytes: int = 0,
) -> int:
    limit = max_message_bytes()
    items = generate_feed(participants, seed)
    base, hostile = hostile_messages(
        items, providers(), per_topic, seed, limit, size_messages=size_messages, skip=skip
    )
    messages = interleave(items, base, hostile, seed, feed_message)
    say(
        "fuzz",
        f"valid feed: {participants:,} participants, {len(items):,} messages; hostile:"
        f" {len(hostile):,} (+{len(base)} of the hostile world); size limit {limit:,} bytes",
    )
    dropped = asyncio.run(delete_namespace_topics(stack.bootstrap, "fuzz-"))
    say("fuzz", f"dropped {dropped} topics of earlier fuzz runs")
    stamp = int(time.time())
    clean_result = None
    if clean:
        clean_result = run_once(
            stack,
            "clean",
            items,
            [feed_message(i) for i in items],
            f"fuzz-clean-{stamp}.",
            "fuzz_clean",
        )
    bombs = (
        make_bombs([p.provider_id for p in providers()], bomb_bytes, limit) if bomb_bytes else []
    )
    hostile_result = run_once(
        stack, "hostile", items, messages, f"fuzz-{stamp}.", "fuzz_hostile", bombs=bombs
    )
    return report(clean_result, hostile_result)


def report(clean: RunResult | None, hostile: RunResult) -> int:
    problems = []
    print()
    print("=== make fuzz ===")
    accounting = hostile.accounting
    assert accounting is not None
    print("\n".join(accounting.lines()))
    print(f"service restarts {hostile.restarts}" + "".join(f"\n  {e}" for e in hostile.exits))
    print("valid feed, hostile run: " + "\n".join(hostile.payments.lines()))
    if hostile.payments.ignored_other:
        print(
            f"  (payments to the hostile world's participants, not compared:"
            f" {hostile.payments.ignored_other})"
        )
    if clean is not None:
        print("valid feed, clean run:   " + "\n".join(clean.payments.lines()))
        if not clean.payments.exact:
            problems.append("the clean run's payments differ from the expectation")
    if hostile.seconds_to_quiet is None:
        problems.append("the hostile run never went quiet")
        print("time to quiet: hostile run NOT QUIET")
    elif clean is not None and clean.seconds_to_quiet:
        ratio = hostile.seconds_to_quiet / clean.seconds_to_quiet
        print(
            f"time to quiet: hostile {hostile.seconds_to_quiet:.1f}s, clean"
            f" {clean.seconds_to_quiet:.1f}s, ratio {ratio:.2f}x (aim <= 1.5x)"
        )
    if hostile.bombs is not None:
        print("\n".join(hostile.bombs.lines()))
        if not hostile.bombs.all_rejected:
            problems.append("bomb records not all rejected invalid_schema")
    if clean is not None:
        print("clean run:   " + "\n             ".join(u.line() for u in clean.usage))
    print("hostile run: " + "\n             ".join(u.line() for u in hostile.usage))
    for used in hostile.usage:
        if used.stall_at_most is not None and used.stall_at_most > MAX_STALL_SECONDS:
            problems.append(f"{used.service} stalled for more than {MAX_STALL_SECONDS:g}s")
    if accounting.total_unaccounted:
        problems.append(f"{accounting.total_unaccounted} hostile messages unaccounted for")
    if hostile.restarts:
        problems.append(f"{hostile.restarts} service restarts")
    if not hostile.payments.exact:
        problems.append("valid-feed payments differ from the expectation")
    for problem in problems:
        print(f"fuzz: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__)
    parser.add_argument("--participants", type=arguments.participant_count, default=3000)
    parser.add_argument("--seed", type=arguments.seed, default=7)
    parser.add_argument(
        "--per-topic",
        type=int,
        default=10_000,
        help="hostile messages per provider topic kind (intake, placements, evidence)",
    )
    parser.add_argument(
        "--size-messages", type=int, default=5, help="messages just under and over the limit"
    )
    parser.add_argument("--no-clean", action="store_true", help="skip the clean run")
    parser.add_argument(
        "--bomb-mb",
        type=int,
        default=480,
        help="what each compression bomb inflates to, in MB (0: no bombs)",
    )
    parser.add_argument(
        "--address-space-mb",
        type=int,
        default=1024,
        help="RLIMIT_AS of each service in the runs, in MB (0: unlimited)",
    )
    parser.add_argument(
        "--shared",
        action="store_true",
        help="use the local (or configured) Kafka and PostgreSQL instead of private ones",
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated hostile kinds not to send (diagnosis only)"
    )
    parser.add_argument("--quiet-timeout", type=float, default=900.0)
    parser.add_argument(
        "--stall-seconds", type=float, default=120.0, help="give up when nothing moves this long"
    )
    args = parser.parse_args(argv)
    skip = frozenset(k for k in args.skip.split(",") if k)
    if args.shared:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA
        database = os.environ.get("DATABASE_URL") or LOCAL_DATABASE
        with (
            local_server("postgres.sh", external=database != LOCAL_DATABASE),
            local_server("kafka.sh", external=bootstrap != LOCAL_KAFKA),
        ):
            return _fuzz_on(bootstrap, database, args, skip)
    infra = PrivateInfra(
        kafka_port=20796,
        kafka_controller_port=20797,
        postgres_port=20736,
        state_dir=ROOT / ".state" / "fuzz-servers",
    )
    say("fuzz", "starting a private Kafka (127.0.0.1:20796) and PostgreSQL (127.0.0.1:20736)")
    try:
        infra.start()
        return _fuzz_on(infra.bootstrap, infra.database_url, args, skip)
    finally:
        infra.stop()


def _fuzz_on(bootstrap: str, database: str, args: argparse.Namespace, skip: frozenset[str]) -> int:
    stack = Stack(
        bootstrap,
        database,
        ROOT / ".state" / "fuzz",
        FUZZ_PORTS,
        args.quiet_timeout,
        args.stall_seconds,
        args.address_space_mb * MB or None,
    )
    return fuzz(
        stack,
        args.participants,
        args.seed,
        args.per_topic,
        args.size_messages,
        not args.no_clean,
        skip,
        args.bomb_mb * MB,
    )


if __name__ == "__main__":
    sys.exit(main())

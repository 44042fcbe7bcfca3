"""``make chaos``: a feed published while services, broker and database are killed.

python -m tools.chaos [--participants 5000] [--kills 5] [--window 150] [--seed 11]
                      [--instances 3] [--brokers 3]

Runs a private Kafka (127.0.0.1:20792, controller 20793) and PostgreSQL (20732) with
their own state under .state/chaos/ (the shared servers are never touched). While the
feed is published (paced over the window), each service is SIGKILLed ``--kills`` times
at random moments and restarted, the broker is SIGKILLed and restarted once, and
PostgreSQL is stopped (immediate mode) and restarted once. When the pipeline is quiet,
the payments ledger (PostgreSQL) and the de-duplicated payment topic must both equal
the feed's expectation exactly. Exit 1 on any difference.

``--instances N`` runs N processes of every service (each kill hits a random instance
mid-batch, and the group rebalances its partitions over the others); ``--brokers 3`` a
three-node cluster (replication factor 3, ``min.insync.replicas=2``): instead of the
one broker's kill, the node leading most of the busiest partitions is SIGKILLed and
restarted, and later every node is restarted in turn (a rolling restart).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from deploy.create_topics import delete_namespace_topics, ensure_topics
from schemas.topics import SERVICES
from services.common.local_defaults import metrics_ports
from tools import arguments
from tools.feed.generate import FeedItem, generate_feed
from tools.feed.reference import write_reference
from tools.fuzz.pipeline import (
    PARTICIPANT_KEY,
    PaymentCheck,
    Watched,
    check_payments,
    feed_message,
    fresh_database,
    publish,
    say,
)
from tools.infra import PrivateInfra
from tools.quiet import Backlog, wait_until_quiet
from tools.services import ServiceProcesses, is_ready, unit

ROOT = Path(__file__).resolve().parents[2]
CHAOS_PORTS = metrics_ports(20720)


@dataclass(frozen=True)
class Action:
    at: float  # seconds after publishing began
    what: str  # a service name, "kafka" or "postgres"


def schedule(
    seed: int, window: float, kills: int, infra: bool, brokers: int = 1, rolling: bool = True
) -> list[Action]:
    """Random moments (deterministic from ``seed``) for every kill in ``window`` seconds."""
    rng = random.Random(f"chaos:{seed}")
    actions = [
        Action(rng.uniform(0.05 * window, window), service)
        for service in SERVICES
        for _ in range(kills)
    ]
    if infra and brokers > 1:
        actions.append(Action(rng.uniform(0.15, 0.3) * window, "kafka-leader"))
        if rolling:
            actions.append(Action(rng.uniform(0.35, 0.5) * window, "kafka-rolling"))
    elif infra:
        actions.append(Action(rng.uniform(0.25, 0.45) * window, "kafka"))
    if infra:
        actions.append(Action(rng.uniform(0.6, 0.8) * window, "postgres"))
    return sorted(actions, key=lambda a: a.at)


async def busiest_leader(bootstrap: str, namespace: str, top: int = 12) -> int:
    """The broker that leads most of the ``top`` partitions with the most records (node 1
    when the cluster names no leader)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(namespace)]
        leader: dict[TopicPartition, int] = {}
        for described in await admin.describe_topics(topics):
            for partition in described["partitions"]:
                tp = TopicPartition(described["topic"], partition["partition"])
                leader[tp] = int(partition["leader"])
        ends = await consumer.end_offsets(list(leader))
        busiest = sorted(leader, key=lambda tp: -ends[tp])[:top]
        counts = Counter(leader[tp] for tp in busiest if leader[tp] >= 0)
        return counts.most_common(1)[0][0] if counts else 1
    finally:
        await consumer.stop()
        await admin.close()


@dataclass
class Chaos:
    infra: PrivateInfra | None
    watched: Watched
    rng: random.Random
    namespace: str = ""
    kills: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)

    async def run(self, actions: Sequence[Action], began: float) -> None:
        for action in actions:
            delay = began + action.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.act(action.what)
            self.watched.check()

    async def act(self, what: str) -> None:
        loop = asyncio.get_running_loop()
        if what == "kafka":
            assert self.infra is not None
            pid = self.infra.kill_kafka()
            self.note(f"SIGKILL broker (pid {pid})")
            await asyncio.sleep(self.rng.uniform(3, 8))
            await loop.run_in_executor(None, self.infra.start_kafka)
            self.note("broker restarted")
        elif what == "kafka-leader":
            assert self.infra is not None
            node = await busiest_leader(self.infra.bootstrap, self.namespace)
            pid = self.infra.kill_kafka(node)
            self.note(f"SIGKILL broker {node}, leader of the busiest partitions (pid {pid})")
            await asyncio.sleep(self.rng.uniform(3, 8))
            await loop.run_in_executor(None, self.infra.start_kafka_node, node)
            self.note(f"broker {node} restarted")
        elif what == "kafka-rolling":
            infra = self.infra
            assert infra is not None
            for node in infra.nodes():
                await loop.run_in_executor(None, infra.stop_kafka_node, node)
                self.note(f"rolling restart: broker {node} stopped")
                await loop.run_in_executor(None, infra.start_kafka_node, node)
                self.note(f"rolling restart: broker {node} started")
        elif what == "postgres":
            assert self.infra is not None
            await loop.run_in_executor(None, self.infra.stop_postgres_immediately)
            self.note("PostgreSQL stopped (immediate)")
            await asyncio.sleep(self.rng.uniform(3, 8))
            await loop.run_in_executor(None, self.infra.start_postgres)
            self.note("PostgreSQL restarted")
        else:
            # A kill hits a live service: one restarted a moment ago is let start first
            # (up to 10 s: readiness may wait for the group to rebalance, which is what a
            # slow recovery after a kill looks like, and must not stall the schedule).
            processes = self.watched.processes
            instance = self.rng.randint(1, processes.instances)
            name = unit(what, instance)
            port = processes.port(what, instance)
            for _ in range(20):
                if await loop.run_in_executor(None, is_ready, what, port):
                    break
                await asyncio.sleep(0.5)
            process = processes.processes[name]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            self.note(f"SIGKILL {name} (pid {process.pid})")
            await asyncio.sleep(self.rng.uniform(0, 2))
            self.watched.restart(name)
            self.note(f"{name} restarted")
        self.kills[what] += 1

    def note(self, message: str) -> None:
        self.log.append(message)
        say("chaos", message)


@dataclass
class ChaosResult:
    kills: Counter[str]
    restarts: int
    crashes: list[str]
    quiet_seconds: float | None
    payments: PaymentCheck

    def problems(self) -> list[str]:
        out = []
        if self.quiet_seconds is None:
            out.append("the pipeline never went quiet")
        if not self.payments.exact:
            out.append("ledger or payment topic differ from the expectation")
        if self.payments.ignored_other:
            out.append(f"{self.payments.ignored_other} payments to participants not in the feed")
        return out

    def lines(self) -> list[str]:
        service_kills = sum(v for k, v in self.kills.items() if k in SERVICES)
        quiet = "NOT QUIET" if self.quiet_seconds is None else f"{self.quiet_seconds:.1f}s"
        return [
            "kills: " + ", ".join(f"{k} {n}" for k, n in sorted(self.kills.items())),
            f"restarts: {service_kills} after kills, {self.restarts} unplanned (a service exited)",
            *[f"  {c}" for c in self.crashes],
            f"quiet {quiet} after publishing began",
            *self.payments.lines(),
            f"duplicates on the payment topic: {self.payments.republished:,} re-published"
            f" copies, {len(self.payments.integrity):,} integrity problems",
        ]


async def _run(
    bootstrap: str,
    database_url: str,
    infra: PrivateInfra | None,
    items: Sequence[FeedItem],
    processes: ServiceProcesses,
    actions: Sequence[Action],
    window: float,
    seed: int,
    quiet_timeout: float,
) -> ChaosResult:
    namespace = str(processes.env["TOPIC_NAMESPACE"])
    watched = Watched(processes)
    chaos = Chaos(infra, watched, random.Random(f"chaos-pauses:{seed}"), namespace)
    messages = [feed_message(i) for i in items]
    began = time.monotonic()
    publishing = asyncio.create_task(
        publish(bootstrap, messages, namespace, pace_seconds=0.7 * window, retry=True)
    )
    await chaos.run(actions, began)
    await publishing
    say("chaos", f"feed published ({len(messages):,} messages); waiting for quiet")

    said = [time.monotonic()]

    def progress(backlog: Backlog) -> None:
        watched.check()
        if time.monotonic() - said[0] >= 15:
            said[0] = time.monotonic()
            say("chaos", f"  lag {backlog.lag} outbox {backlog.outbox}")

    quiet: float | None = None
    try:
        await wait_until_quiet(
            bootstrap, database_url, namespace, give_up_after=quiet_timeout, on_progress=progress
        )
        quiet = time.monotonic() - began
    except TimeoutError as exc:
        say("chaos", f"NOT QUIET: {exc}")
    payments = await check_payments(bootstrap, namespace, items, database_url)
    return ChaosResult(
        kills=chaos.kills,
        restarts=sum(watched.restarts.values()),
        crashes=watched.exits,
        quiet_seconds=quiet,
        payments=payments,
    )


def chaos(
    participants: int,
    seed: int,
    kills: int,
    window: float,
    infra: PrivateInfra | None,
    ports: dict[str, int],
    quiet_timeout: float = 1200.0,
    bootstrap: str | None = None,
    admin_database_url: str | None = None,
    instances: int = 1,
    rolling: bool = True,
) -> ChaosResult:
    """One chaos run; with ``infra`` None the given servers are used and only services die.

    ``instances`` processes of each service; a cluster when ``infra.brokers`` > 1 (its
    nodes restarted in turn unless not ``rolling``)."""
    try:
        if infra is not None:
            infra.start()
            bootstrap, admin_database_url = infra.bootstrap, infra.database_url
            asyncio.run(delete_namespace_topics(bootstrap, "chaos-"))  # earlier runs on this broker
        assert bootstrap is not None
        assert admin_database_url is not None
        stamp = int(time.time())
        namespace = f"chaos-{stamp}."
        url = asyncio.run(fresh_database(admin_database_url, f"chaos_{stamp}"))
        asyncio.run(ensure_topics(bootstrap, namespace))
        items = generate_feed(participants, seed)
        env: dict[str, Any] = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATABASE_URL": url,
            "TOPIC_NAMESPACE": namespace,
            "PARTICIPANT_ID_KEY": PARTICIPANT_KEY,
            "OUTCOMES_DEV_MODE": "1",
        }
        base = infra.state_dir if infra else ROOT / ".state" / "chaos"
        env["REFERENCE_DIR"] = str(write_reference(base / "reference"))
        state = base / "services"
        processes = ServiceProcesses(env=env, state_dir=state, ports=ports, instances=instances)
        processes.start()
        try:
            processes.wait_ready(timeout=180)
            brokers = infra.brokers if infra is not None else 1
            actions = schedule(seed, window, kills, infra is not None, brokers, rolling)
            say(
                "chaos",
                f"{participants:,} participants ({len(items):,} messages), {len(actions)} kills"
                f" over {window:.0f}s; {instances} instance(s) per service, {brokers} broker(s)",
            )
            return asyncio.run(
                _run(bootstrap, url, infra, items, processes, actions, window, seed, quiet_timeout)
            )
        finally:
            processes.stop()
    finally:
        if infra is not None:
            infra.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos", description=__doc__)
    parser.add_argument("--participants", type=arguments.participant_count, default=5000)
    parser.add_argument("--seed", type=arguments.seed, default=11)
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs per service")
    parser.add_argument("--window", type=float, default=150.0, help="seconds of chaos")
    parser.add_argument("--quiet-timeout", type=float, default=1200.0)
    parser.add_argument(
        "--instances", type=arguments.instance_count, default=1, help="processes per service"
    )
    parser.add_argument(
        "--brokers", type=int, choices=(1, 3), default=1, help="a private cluster of 3 nodes"
    )
    parser.add_argument(
        "--kafka-port",
        type=int,
        default=PrivateInfra.kafka_port,
        help="the private Kafka's port (a cluster: +10, +20; the controller's is +1)",
    )
    parser.add_argument(
        "--postgres-port", type=int, default=PrivateInfra.postgres_port, help="private PostgreSQL"
    )
    parser.add_argument(
        "--services-only",
        action="store_true",
        help="use the configured Kafka/PostgreSQL and kill only the services",
    )
    args = parser.parse_args(argv)
    infra = (
        None
        if args.services_only
        else PrivateInfra(
            kafka_port=args.kafka_port,
            kafka_controller_port=args.kafka_port + 1,
            postgres_port=args.postgres_port,
            brokers=args.brokers,
        )
    )
    if infra is not None and not PrivateInfra.supported():
        print(
            "chaos: the deploy scripts cannot yet run a private Kafka/PostgreSQL"
            " (KAFKA_PORT, KAFKA_STATE_DIR, POSTGRES_PORT); use --services-only",
            file=sys.stderr,
        )
        return 2
    result = chaos(
        args.participants,
        args.seed,
        args.kills,
        args.window,
        infra,
        CHAOS_PORTS,
        args.quiet_timeout,
        bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
        admin_database_url=os.environ.get(
            "DATABASE_URL", "postgresql://outcomes:outcomes@127.0.0.1:15432/outcomes"
        ),
        instances=args.instances,
    )
    print()
    print("=== make chaos ===")
    print("\n".join(result.lines()))
    problems = result.problems()
    for problem in problems:
        print(f"chaos: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

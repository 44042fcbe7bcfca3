"""A three-broker cluster (deploy/kafka.sh start --brokers 3) keeps taking writes with
``acks=all`` when the leader broker is lost (SIGKILL), and the lost broker rejoins: every
topic has replication factor 3 and ``min.insync.replicas=2`` (an acks=all write is on two
brokers at least before it is acknowledged).

The cluster is the test's own: ports from ``KAFKA_CLUSTER_PORT`` (default 19192; nodes on
that port and the next two even ones, controllers on the odd ones after each), state in
``.state/test-cluster``; stopped at the end.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from deploy.create_topics import ensure_topics
from deploy.local import broker_ports
from schemas.topics import all_topics
from services.common.relay import make_producer

ROOT = Path(__file__).resolve().parents[2]
FIRST_PORT = int(os.environ.get("KAFKA_CLUSTER_PORT") or 19192)
STRIDE = 2
BROKERS = 3


@dataclass(frozen=True)
class Cluster:
    env: dict[str, str]
    state_dir: Path

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in broker_ports(FIRST_PORT, BROKERS, STRIDE))

    def script(self, *args: str) -> str:
        done = subprocess.run(
            ["bash", str(ROOT / "deploy" / "kafka.sh"), *args, "--brokers", str(BROKERS)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"kafka.sh {args}: {done.stdout}{done.stderr}"
        return done.stdout

    def kill(self, node: int) -> None:
        """SIGKILL one node (its pid file names a kafka.Kafka process of this state dir)."""
        pid = int((self.state_dir / f"node-{node}" / "kafka.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"kafka.Kafka" in cmdline
        assert str(self.state_dir).encode() in cmdline
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    state_dir = ROOT / ".state" / "test-cluster"
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env |= {
        "KAFKA_PORT": str(FIRST_PORT),
        "KAFKA_CONTROLLER_PORT": str(FIRST_PORT + 1),
        "KAFKA_PORT_STRIDE": str(STRIDE),
        "KAFKA_STATE_DIR": str(state_dir),
        "KAFKA_HEAP_MAX": "512m",
    }
    running = Cluster(env, state_dir)
    running.script("start")
    try:
        yield running
    finally:
        running.script("stop")


async def _leader_of(bootstrap: str, topic: str, partition: int) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    (meta,) = [p for p in described["partitions"] if p["partition"] == partition]
    leader: int = meta["leader"]
    return leader


async def _in_sync(bootstrap: str, topic: str, partition: int) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    (meta,) = [p for p in described["partitions"] if p["partition"] == partition]
    isr: list[int] = meta["isr"]
    return isr


async def _replication(bootstrap: str, topic: str) -> tuple[set[int], str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        (configs,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"min.insync.replicas": None})]
        )
    finally:
        await admin.close()
    replicas = {len(p["replicas"]) for p in described["partitions"]}
    ((_, _, _, _, entries),) = configs.resources
    (min_isr,) = [entry[1] for entry in entries if entry[0] == "min.insync.replicas"]
    return replicas, min_isr


async def _produce(producer: AIOKafkaProducer, topic: str, values: list[bytes]) -> None:
    futures = [await producer.send(topic, value=v, key=b"k", partition=0) for v in values]
    await asyncio.gather(*futures)


async def _consume(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"cluster-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        consumer.assign([TopicPartition(topic, 0)])
        async with asyncio.timeout(60):
            while len(seen) < count:
                batch = await consumer.getmany(timeout_ms=1000)
                seen += [r.value for records in batch.values() for r in records if r.value]
        await consumer.commit()
    finally:
        await consumer.stop()
    return seen


async def test_three_brokers_lose_one_and_still_take_acks_all_writes(cluster: Cluster) -> None:
    namespace = f"cluster-{uuid.uuid4().hex[:8]}."
    bootstrap = cluster.bootstrap
    names = await ensure_topics(bootstrap, namespace)
    assert set(names) == set(all_topics(namespace))
    topic = names[0]
    assert await _replication(bootstrap, topic) == ({3}, "2")

    before = [f"before-{i}".encode() for i in range(50)]
    after = [f"after-{i}".encode() for i in range(50)]
    # The services' producer (acks=all, idempotent), started while the cluster is whole:
    # an idempotent producer's start needs a producer id from a cluster with a quorum.
    producer = make_producer(bootstrap, request_timeout_ms=5_000)
    await producer.start()
    try:
        await _produce(producer, topic, before)
        leader = await _leader_of(bootstrap, topic, 0)
        cluster.kill(leader)  # node i is broker i
        await _produce(producer, topic, after)
        assert await _consume(bootstrap, topic, 100) == before + after
        # The group's offsets went to __consumer_offsets: replicated three times as well.
        assert (await _replication(bootstrap, "__consumer_offsets"))[0] == {3}

        # The lost broker back (deploy/kafka.sh start --node I): it catches up and
        # rejoins the in-sync replicas of the partition it led.
        cluster.script("start", "--node", str(leader))
        in_sync: list[int] = []
        for _ in range(120):
            in_sync = await _in_sync(bootstrap, topic, 0)
            if len(in_sync) == BROKERS:
                break
            await asyncio.sleep(1)
        assert sorted(in_sync) == [1, 2, 3]
    finally:
        async with asyncio.timeout(30):
            await producer.stop()

"""A private Kafka and PostgreSQL for the chaos run: own ports, own state directories.

They are started with the deploy scripts (configured by KAFKA_PORT,
KAFKA_CONTROLLER_PORT, KAFKA_STATE_DIR, POSTGRES_PORT, POSTGRES_STATE_DIR) and can be
killed: the broker with SIGKILL, PostgreSQL with an immediate stop. The shared servers
(19092 / 15432) are never touched: every kill reads the pid or data directory of the
private state directory, and refuses a port of the shared servers.

With ``brokers`` 3 the private Kafka is a cluster (deploy/kafka.sh ``--brokers 3``): node
i on ``kafka_port + (i-1) * 10`` (controller likewise), its state in ``kafka/node-i``; a
node can be killed, stopped and started alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_PORTS = frozenset({19092, 19093, 15432})
NODE_PORT_STRIDE = 10  # deploy/kafka.sh KAFKA_PORT_STRIDE
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class PrivateInfra:
    kafka_port: int = 20792
    kafka_controller_port: int = 20793
    postgres_port: int = 20732
    state_dir: Path = ROOT / ".state" / "chaos"
    brokers: int = 1

    def __post_init__(self) -> None:
        ports = {self.kafka_port, self.kafka_controller_port, self.postgres_port}
        nodes = {p for n in self.nodes() for p in self.node_ports(n)}
        if (ports | nodes) & SHARED_PORTS:
            raise ValueError(f"the chaos run must not use the shared ports {sorted(SHARED_PORTS)}")
        if len(ports) != 3:
            raise ValueError(f"the private servers need three different ports, not {sorted(ports)}")

    def nodes(self) -> range:
        return range(1, self.brokers + 1)

    def node_ports(self, node: int) -> tuple[int, int]:
        """(broker, controller) port of cluster node ``node`` (1..brokers)."""
        shift = (node - 1) * NODE_PORT_STRIDE
        return self.kafka_port + shift, self.kafka_controller_port + shift

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.node_ports(n)[0]}" for n in self.nodes())

    @property
    def database_url(self) -> str:
        return f"postgresql://outcomes:outcomes@127.0.0.1:{self.postgres_port}/outcomes"

    @property
    def kafka_state(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def postgres_state(self) -> Path:
        return self.state_dir / "postgres"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
        }
        env.update(
            KAFKA_PORT=str(self.kafka_port),
            KAFKA_CONTROLLER_PORT=str(self.kafka_controller_port),
            KAFKA_STATE_DIR=str(self.kafka_state),
            POSTGRES_PORT=str(self.postgres_port),
            POSTGRES_STATE_DIR=str(self.postgres_state),
            KAFKA_BROKERS=str(self.brokers),
            KAFKA_PORT_STRIDE=str(NODE_PORT_STRIDE),
        )
        return env

    @staticmethod
    def supported() -> bool:
        """Do the deploy scripts take their ports and state directories from the env?"""
        kafka = (ROOT / "deploy" / "kafka.sh").read_text()
        postgres = (ROOT / "deploy" / "postgres.sh").read_text()
        env = (ROOT / "deploy" / "env.sh").read_text()
        both = kafka + postgres + env
        return all(name in both for name in ("KAFKA_PORT", "KAFKA_STATE_DIR", "POSTGRES_PORT"))

    def _script(self, name: str, command: str, *args: str) -> None:
        done = subprocess.run(
            ["bash", str(ROOT / "deploy" / name), command, *args],
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"deploy/{name} {command} failed:\n{done.stdout}{done.stderr}")
        self._check_not_shared(done.stdout + done.stderr)

    def _check_not_shared(self, output: str) -> None:
        if "from elsewhere" in output or any(f":{p}" in output for p in SHARED_PORTS):
            raise RuntimeError(f"a deploy script reached for a shared server:\n{output}")

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.start_postgres()
        self.start_kafka()

    def start_kafka(self) -> None:
        self._script("kafka.sh", "start")

    def start_postgres(self) -> None:
        self._script("postgres.sh", "start")

    def stop(self) -> None:
        for name in ("kafka.sh", "postgres.sh"):
            try:
                self._script(name, "stop")
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"chaos: stopping the private server failed: {exc}")

    def start_kafka_node(self, node: int) -> None:
        """Start one node of the cluster (it rejoins; waits until it answers)."""
        self._script("kafka.sh", "start", "--node", str(node))

    def stop_kafka_node(self, node: int) -> None:
        """Stop one node of the cluster in order (SIGTERM: it hands its leaderships over)."""
        self._script("kafka.sh", "stop", "--node", str(node))

    def node_state(self, node: int = 1) -> Path:
        return self.kafka_state / f"node-{node}" if self.brokers > 1 else self.kafka_state

    def kafka_pid(self, node: int = 1) -> int:
        return int((self.node_state(node) / "kafka.pid").read_text().strip())

    def kill_kafka(self, node: int = 1) -> int:
        """SIGKILL a private broker (its pid file must name a kafka.Kafka process)."""
        pid = self.kafka_pid(node)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"kafka.Kafka" not in cmdline or str(self.kafka_state).encode() not in cmdline:
            raise RuntimeError(f"pid {pid} is not the private broker: {cmdline[:200]!r}")
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop_postgres_immediately(self) -> None:
        """``pg_ctl stop -m immediate`` on the private data directory (no shutdown checkpoint)."""
        data = self.postgres_state / "data"
        if not (data / "PG_VERSION").exists():
            raise RuntimeError(f"no private PostgreSQL data directory at {data}")
        command = [str(PG_BIN / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

"""A private Kafka and PostgreSQL for the chaos run: own ports, own state directories.

They are started with the deploy scripts (configured by KAFKA_PORT,
KAFKA_CONTROLLER_PORT, KAFKA_STATE_DIR, POSTGRES_PORT, POSTGRES_STATE_DIR) and can be
killed: the broker with SIGKILL, PostgreSQL with an immediate stop. The shared servers
(19092 / 15432) are never touched: every kill reads the pid or data directory of the
private state directory, and refuses a port of the shared servers.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_PORTS = frozenset({19092, 19093, 15432})
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class PrivateInfra:
    kafka_port: int = 20792
    kafka_controller_port: int = 20793
    postgres_port: int = 20732
    state_dir: Path = ROOT / ".state" / "chaos"

    def __post_init__(self) -> None:
        ports = {self.kafka_port, self.kafka_controller_port, self.postgres_port}
        if ports & SHARED_PORTS:
            raise ValueError(f"the chaos run must not use the shared ports {sorted(SHARED_PORTS)}")
        if len(ports) != 3:
            raise ValueError(f"the private servers need three different ports, not {sorted(ports)}")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

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

    def _script(self, name: str, command: str) -> None:
        done = subprocess.run(
            ["bash", str(ROOT / "deploy" / name), command],
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

    def kafka_pid(self) -> int:
        return int((self.kafka_state / "kafka.pid").read_text().strip())

    def kill_kafka(self) -> int:
        """SIGKILL the private broker (its pid file must name a kafka.Kafka process)."""
        pid = self.kafka_pid()
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

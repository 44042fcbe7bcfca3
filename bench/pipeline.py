"""The whole pipeline as processes, for the end-to-end benchmarks (replay, latency).

A fresh database and topic namespace (the ``make run`` helpers of tools/run.py), the four
services as processes (``tools.services``, ``instances`` of each), and a sampler of
their CPU time and resident memory read from ``/proc`` (Linux).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from deploy.create_topics import ensure_topics
from deploy.local import LOCAL_DATABASE_URL, LOCAL_KAFKA_BOOTSTRAP
from schemas.topics import SERVICES
from tools.feed.model import DEVELOPMENT_KEY
from tools.feed.reference import write_reference
from tools.run import (
    RUN_TOPIC_PREFIX,
    drop_previous_run_topics,
    fresh_run_database,
    local_server,
)
from tools.services import ServiceProcesses, unit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / ".state" / "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
BENCH_METRICS_PORT_BASE = int(os.environ.get("BENCH_METRICS_PORT_BASE") or 9400)


@dataclass(frozen=True)
class Target:
    """Where a run publishes and reads: its broker(s), database and namespace."""

    bootstrap: str
    database_url: str
    namespace: str


@contextmanager
def local_servers() -> Iterator[tuple[str, str]]:
    """The local PostgreSQL and Kafka (started if needed, stopped after unless they were
    already up; none when DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS name servers elsewhere):
    (bootstrap, database URL)."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LOCAL_KAFKA_BOOTSTRAP
    database = os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL
    with (
        local_server("postgres.sh", external=database != LOCAL_DATABASE_URL),
        local_server("kafka.sh", external=bootstrap != LOCAL_KAFKA_BOOTSTRAP),
    ):
        yield bootstrap, database


def fresh_target(bootstrap: str, database: str, tag: str) -> Target:
    """A fresh database and topic namespace for one run (``run-<unix seconds>.<tag>.``);
    runs' databases and topics older than half an hour are dropped."""
    stamp = int(time.time())
    namespace = f"{RUN_TOPIC_PREFIX}{stamp}.{tag}."
    asyncio.run(drop_previous_run_topics(bootstrap, stamp))
    run_database = asyncio.run(fresh_run_database(database, stamp))
    asyncio.run(ensure_topics(bootstrap, namespace))
    return Target(bootstrap, run_database, namespace)


def service_processes(target: Target, instances: int) -> ServiceProcesses:
    reference = write_reference(ROOT / ".state" / "bench" / "reference")
    ports: dict[str, int] = {s: BENCH_METRICS_PORT_BASE + n for n, s in enumerate(SERVICES, 1)}
    return ServiceProcesses(
        env={
            "KAFKA_BOOTSTRAP_SERVERS": target.bootstrap,
            "DATABASE_URL": target.database_url,
            "TOPIC_NAMESPACE": target.namespace,
            "PARTICIPANT_ID_KEY": DEVELOPMENT_KEY,
            "OUTCOMES_DEV_MODE": "1",
            "REFERENCE_DIR": str(reference),
        },
        state_dir=RESULTS / "services",
        ports=ports,
        instances=instances,
    )


@contextmanager
def running_services(target: Target, instances: int) -> Iterator[ServiceProcesses]:
    processes = service_processes(target, instances)
    with ExitStack() as stack:
        processes.start()
        stack.callback(processes.stop)
        processes.wait_ready(timeout=180)
        yield processes


# -- CPU and memory of the service processes -------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (``/proc/<pid>/stat``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU time of a process and its descendants: the live ones' own time plus what the
    root's reaped children used (PostgreSQL's backends, Kafka's JVM)."""
    parents: dict[int, int] = {}
    times: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))
    if root not in times:
        return 0.0
    tree = {root}
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew = bool(more)
        tree |= more
    ticks = sum(times[pid][0] for pid in tree) + times[root][1]
    return ticks / CLOCK_TICKS


def listening_pid(port: int) -> int | None:
    """The process listening on ``port`` on this machine (``ss``), if any."""
    try:
        out = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return None
    found = re.search(r"pid=(\d+)", out)
    return int(found.group(1)) if found else None


def infrastructure_pids(target: Target) -> dict[str, int]:
    """PostgreSQL's postmaster and the first Kafka broker of ``target``, when local."""
    pids: dict[str, int] = {}
    ports = {
        "postgres": urlsplit(target.database_url).port or 5432,
        "kafka": int(target.bootstrap.split(",")[0].rpartition(":")[2]),
    }
    for name, port in ports.items():
        pid = listening_pid(port)
        if pid is not None:
            pids[name] = pid
    return pids


def rss_bytes(pid: int) -> int:
    """Resident set size of a live process (``/proc/<pid>/statm``)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES


@dataclass
class Usage:
    """Per service (all its instances): CPU seconds used since ``start``, RSS samples."""

    pids: dict[str, list[int]]
    cpu_at_start: dict[str, float] = field(default_factory=dict)
    cpu_at_end: dict[str, float] = field(default_factory=dict)
    rss: dict[str, list[int]] = field(default_factory=dict)
    """Per service, one figure per sample: the largest RSS among its instances."""
    infrastructure: dict[str, int] = field(default_factory=dict)
    """PostgreSQL and Kafka (root pid): their CPU is counted with their processes'."""

    @classmethod
    def of(cls, processes: ServiceProcesses, target: Target | None = None) -> Usage:
        pids = {
            s: [processes.processes[unit(s, i)].pid for i in range(1, processes.instances + 1)]
            for s in processes.services
        }
        return cls(pids, infrastructure=infrastructure_pids(target) if target else {})

    def _cpu(self) -> dict[str, float]:
        cpu = {s: sum(cpu_seconds(p) for p in pids) for s, pids in self.pids.items()}
        return cpu | {name: tree_cpu_seconds(p) for name, p in self.infrastructure.items()}

    def start(self) -> None:
        self.cpu_at_start = self._cpu()

    def sample(self) -> dict[str, int]:
        now = {s: max(rss_bytes(p) for p in pids) for s, pids in self.pids.items()}
        for service, value in now.items():
            self.rss.setdefault(service, []).append(value)
        return now

    def stop(self) -> None:
        self.cpu_at_end = self._cpu()

    def cpu_used(self, service: str) -> float:
        """CPU seconds of a service (or ``postgres``, ``kafka``; 0 when not local)."""
        if service not in self.cpu_at_end:
            return 0.0
        return self.cpu_at_end[service] - self.cpu_at_start[service]

    def peak_rss(self, service: str) -> int:
        return max(self.rss.get(service, [0]))

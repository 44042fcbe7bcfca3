"""Start and stop the four services as processes (used by make up/run and the e2e tests).

``python -m tools.services start|stop|status [--instances N]`` keeps pid files and logs
under ``.state/services/``; the environment (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL,
TOPIC_NAMESPACE, ...) is passed through to every service.

``--instances N`` (``make up INSTANCES=N``) runs N processes of each service in one
consumer group: instance i (1..N) has the metrics port ``port + (i-1) * 100`` (intake:
9101, 9201, 9301, ...), the log and pid file ``<service>-<i>`` (instance 1: ``<service>``)
and its own static membership id (``KAFKA_GROUP_INSTANCE_ID``). The group spreads the
partitions over the instances, which work side by side: a transaction locks only the
keys its records name and checks that its instance still owns their partitions
(docs/architecture.md "Scaling out"); the relay publishes each outbox row once.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from schemas.topics import SERVICES
from services.common.settings import DEFAULT_METRICS_PORTS

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".state" / "services"
INSTANCE_PORT_STRIDE = 100
MAX_INSTANCES = 9


def unit(service: str, instance: int) -> str:
    """The name of one instance's log and pid file: ``intake``, ``intake-2``, ..."""
    return service if instance == 1 else f"{service}-{instance}"


def parse_unit(name: str) -> tuple[str, int]:
    """(service, instance) of a unit name (:func:`unit`): ``intake-2`` -> (intake, 2)."""
    service, _, number = name.rpartition("-")
    if service and number.isdigit():
        return service, int(number)
    return name, 1


def instance_port(port: int, instance: int) -> int:
    return port + (instance - 1) * INSTANCE_PORT_STRIDE


@dataclass
class ServiceProcesses:
    """The four services as child processes, each with its own metrics port and log;
    ``instances`` processes of each (ports and files per instance: :func:`unit`)."""

    env: Mapping[str, str]
    state_dir: Path = STATE_DIR
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_METRICS_PORTS))
    services: tuple[str, ...] = SERVICES
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env_per_service: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Settings of one service only, e.g. its Kafka principal (KAFKA_SASL_USERNAME, ...)."""
    instances: int = 1
    address_space_bytes: int | None = None
    """RLIMIT_AS of each service (as a container's memory limit would bound it)."""

    def __post_init__(self) -> None:
        if not 1 <= self.instances <= MAX_INSTANCES:
            raise ValueError(f"instances must be 1-{MAX_INSTANCES}, not {self.instances}")

    def units(self) -> list[tuple[str, int]]:
        """(service, instance) of every process, instance 1 of every service first."""
        return [(s, i) for i in range(1, self.instances + 1) for s in self.services]

    def port(self, service: str, instance: int = 1) -> int:
        return instance_port(self.ports[service], instance)

    def instance_env(self, service: str, instance: int) -> dict[str, str]:
        env = {
            **os.environ,
            **self.env,
            **self.env_per_service.get(service, {}),
            "METRICS_PORT": str(self.port(service, instance)),
        }
        # Static membership: one id per instance (two members with one id fence each
        # other). The default id (app.py) has the metrics port, distinct per instance;
        # an id given in the environment gets the instance number.
        given = env.get("KAFKA_GROUP_INSTANCE_ID")
        if given:
            env["KAFKA_GROUP_INSTANCE_ID"] = f"{given}-{instance}"
        elif given is None:
            port = self.port(service, instance)
            env["KAFKA_GROUP_INSTANCE_ID"] = f"{service}-{socket.gethostname()}-{port}"
        return env

    def start(self) -> None:
        for service, instance in self.units():
            self.start_unit(service, instance)

    def start_unit(self, service: str, instance: int = 1) -> None:
        """Start one instance of one service (again, after it died)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        name = unit(service, instance)
        with (self.state_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                cwd=ROOT,
                env=self.instance_env(service, instance),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._limits if self.address_space_bytes else None,
            )
        (self.state_dir / f"{name}.pid").write_text(str(self.processes[name].pid))

    def _limits(self) -> None:
        """In the child, before the service starts: its address-space limit."""
        assert self.address_space_bytes is not None
        limit = self.address_space_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until every service has an instance answering 200 on ``/ready`` and every
        other instance is ready too or a standby (the group assigned it no partitions:
        a service has work for at most as many instances as its input partitions).

        An instance that says "no partitions assigned" may be a standby or still joining
        the group, so it is asked again until its service has a ready instance."""
        deadline = time.monotonic() + timeout
        pending = set(self.units())
        standby: set[tuple[str, int]] = set()
        ready: set[str] = set()
        while pending or ready != set(self.services):
            for service, instance in sorted(pending | standby):
                name = unit(service, instance)
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}: {self.tail(name)}"
                    )
                state = readiness(self.port(service, instance))
                if state is None:
                    ready.add(service)
                    standby.discard((service, instance))
                elif STANDBY in state:
                    standby.add((service, instance))
                if state is None or STANDBY in state:
                    pending.discard((service, instance))
            standby = {(s, i) for s, i in standby if s not in ready}
            if (pending or ready != set(self.services)) and time.monotonic() > deadline:
                names = sorted(unit(s, i) for s, i in pending | standby)
                missing = sorted(set(self.services) - ready)
                raise TimeoutError(
                    f"services not ready after {timeout}s: {names}; none ready: {missing}"
                )
            time.sleep(0.3)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every instance whose pid file is in the state directory (however many
        were started, also by another process)."""
        for service in self.services:
            for pid_file in pid_files(self.state_dir, service):
                stop_pid(_read_pid(pid_file), timeout)
                pid_file.unlink(missing_ok=True)
        self.processes.clear()

    def tail(self, name: str, lines: int = 30) -> str:
        """The end of the log of ``name`` (a service: its instance 1, or ``unit()``)."""
        path = self.state_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def pid_files(state_dir: Path, service: str) -> list[Path]:
    """The pid files of a service's instances: ``<service>.pid``, ``<service>-<i>.pid``."""
    files = [state_dir / f"{service}.pid"]
    files += sorted(state_dir.glob(f"{service}-[0-9]*.pid"))
    return [f for f in files if f.exists()]


STANDBY = "no partitions assigned"
"""In /ready's answer of an instance the consumer group gave no work (readiness.py)."""


def readiness(port: int) -> str | None:
    """None when the service on ``port`` answers 200 on ``/ready`` (services/common/
    endpoint.py), else why not: its 503 answer, or that it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            return None if response.status == 200 else f"status {response.status}"
    except urllib.error.HTTPError as exc:
        return str(exc.read(1000).decode(errors="replace"))
    except (urllib.error.URLError, OSError) as exc:
        return f"no answer: {exc}"


def is_ready(service: str, port: int) -> bool:
    """Does the service answer ``200`` on ``/ready``?"""
    return readiness(port) is None


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_pid(pid: int | None, timeout: float) -> None:
    """SIGTERM the process group, wait for it, SIGKILL after ``timeout`` seconds."""
    if pid is None or not _alive(pid):
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = 0 if _alive(pid) else pid
        if done == pid or not _alive(pid):
            return
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.services", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument(
        "--instances",
        type=int,
        default=int(os.environ.get("SERVICE_INSTANCES") or 1),
        help=f"processes per service, 1-{MAX_INSTANCES} (default 1; make up INSTANCES=N)",
    )
    parser.add_argument(
        "--metrics-port-base",
        type=int,
        default=int(os.environ.get("METRICS_PORT_BASE") or 9100),
        help="the services' metrics ports are base+1..base+4 (default 9100: 9101-9104)",
    )
    args = parser.parse_args(argv)
    ports: dict[str, int] = {s: args.metrics_port_base + n for n, s in enumerate(SERVICES, 1)}
    procs = ServiceProcesses(env={}, instances=args.instances, ports=ports)
    if args.command == "start":
        running = [s for s in SERVICES if _running(s)]
        if running:
            print(f"already running: {', '.join(running)}")
            return 0
        procs.start()
        procs.wait_ready()
        for service, instance in procs.units():
            port = procs.port(service, instance)
            name = unit(service, instance)
            print(f"{name:14} ready  metrics http://127.0.0.1:{port}/metrics")
    elif args.command == "stop":
        procs.stop()
        print("services stopped")
    else:
        for service in SERVICES:
            alive = [f for f in pid_files(STATE_DIR, service) if _alive_pid(f)]
            print(f"{service:12} {f'{len(alive)} running' if alive else 'stopped'}")
    return 0


def _alive_pid(pid_file: Path) -> bool:
    pid = _read_pid(pid_file)
    return pid is not None and _alive(pid)


def _running(service: str) -> bool:
    return any(_alive_pid(f) for f in pid_files(STATE_DIR, service))


if __name__ == "__main__":
    raise SystemExit(main())

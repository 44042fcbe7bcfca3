"""Start and stop the four services as processes (used by make up/run and the e2e tests).

``python -m tools.services start|stop|status`` keeps pid files and logs under
``.state/services/``; the environment (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL,
TOPIC_NAMESPACE, ...) is passed through to every service.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
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


@dataclass
class ServiceProcesses:
    """The four services as child processes, each with its own metrics port and log."""

    env: Mapping[str, str]
    state_dir: Path = STATE_DIR
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_METRICS_PORTS))
    services: tuple[str, ...] = SERVICES
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env_per_service: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Settings of one service only, e.g. its Kafka principal (KAFKA_SASL_USERNAME, ...)."""
    address_space_bytes: int | None = None
    """RLIMIT_AS of each service (as a container's memory limit would bound it)."""

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            env = {
                **os.environ,
                **self.env,
                **self.env_per_service.get(service, {}),
                "METRICS_PORT": str(self.ports[service]),
            }
            with (self.state_dir / f"{service}.log").open("ab") as log:
                self.processes[service] = subprocess.Popen(
                    [sys.executable, "-m", f"services.{service}"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=self._limits if self.address_space_bytes else None,
                )
            (self.state_dir / f"{service}.pid").write_text(str(self.processes[service].pid))

    def _limits(self) -> None:
        """In the child, before the service starts: its address-space limit."""
        assert self.address_space_bytes is not None
        limit = self.address_space_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until every service reports ``outcomes_service_ready 1`` on /metrics."""
        deadline = time.monotonic() + timeout
        pending = set(self.services)
        while pending:
            for service in sorted(pending):
                process = self.processes.get(service)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(
                        f"{service} exited with {process.returncode}: {self.tail(service)}"
                    )
                if is_ready(service, self.ports[service]):
                    pending.discard(service)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"services not ready after {timeout}s: {sorted(pending)}")
            time.sleep(0.3)

    def stop(self, timeout: float = 30.0) -> None:
        for service in self.services:
            stop_pid(_read_pid(self.state_dir / f"{service}.pid"), timeout)
            (self.state_dir / f"{service}.pid").unlink(missing_ok=True)
        self.processes.clear()

    def tail(self, service: str, lines: int = 30) -> str:
        path = self.state_dir / f"{service}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def is_ready(service: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            body: str = response.read().decode()
    except (urllib.error.URLError, OSError):
        return False
    return f'outcomes_service_ready{{service="{service}"}} 1.0' in body


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
    args = parser.parse_args(argv)
    procs = ServiceProcesses(env={})
    if args.command == "start":
        running = [s for s in SERVICES if _running(s)]
        if running:
            print(f"already running: {', '.join(running)}")
            return 0
        procs.start()
        procs.wait_ready()
        for service in SERVICES:
            print(f"{service:12} ready  metrics http://127.0.0.1:{procs.ports[service]}/metrics")
    elif args.command == "stop":
        procs.stop()
        print("services stopped")
    else:
        for service in SERVICES:
            print(f"{service:12} {'running' if _running(service) else 'stopped'}")
    return 0


def _running(service: str) -> bool:
    pid = _read_pid(STATE_DIR / f"{service}.pid")
    return pid is not None and _alive(pid)


if __name__ == "__main__":
    raise SystemExit(main())

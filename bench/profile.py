"""Sampling profiles of the service processes during a drain (py-spy, pinned in dev).

``Profiles.start(pids)`` runs ``py-spy record --format raw`` against each process;
``stop()`` ends them (SIGINT: py-spy writes its file) and :func:`top_costs` reads the
collapsed stacks: the share of samples in which a function is on the stack (inclusive)
and on top of it (self).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")
RATE = 50  # samples per second


@dataclass
class Profiles:
    out: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return self.out / f"profile-{name}.txt"

    def start(self, pids: dict[str, int]) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            command = [str(PY_SPY), "record", "--pid", str(pid), "--rate", str(RATE)]
            command += ["--format", "raw", "--nonblocking", "--output", str(self.path(name))]
            self.running[name] = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def stop(self) -> None:
        for process in self.running.values():
            process.send_signal(signal.SIGINT)
        for process in self.running.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


IDLE = ("EpollSelector.select", "_PollLikeSelector.select")
PROJECT_DIRS = ("services/", "schemas/")


@dataclass(frozen=True)
class Costs:
    samples: int
    own: list[tuple[str, float]]
    """Functions by share of samples on top of the stack (waiting in select left out)."""
    project: list[tuple[str, float]]
    """This repository's functions by share of samples anywhere on the stack."""


def top_costs(path: Path, limit: int = 12) -> Costs:
    """The largest costs in a py-spy raw (collapsed stacks) file."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_parse(f) for f in stack.split(";")]
        for frame in {name for name, project in frames if project}:
            inclusive[frame] += n
        if frames:
            own[frames[-1][0]] += n
    if not total:
        return Costs(0, [], [])
    busy = [(f, n / total) for f, n in own.most_common() if not f.startswith(IDLE)]
    skip = ("<module>", "run_service")
    mine = [(f, n / total) for f, n in inclusive.most_common() if not f.startswith(skip)]
    return Costs(total, busy[:limit], mine[:limit])


def _parse(frame: str) -> tuple[str, bool]:
    """``func (path/to/file.py:12)`` -> (``func (to/file.py)``, is it this repository's)."""
    name, _, where = frame.partition(" (")
    path = where.split(":", 1)[0]
    project = any(path.startswith(d) or f"/{d}" in path for d in PROJECT_DIRS)
    parts = path.rsplit("/", 2)
    return f"{name} ({'/'.join(parts[-2:])})", project

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


def top_costs(path: Path, limit: int = 12) -> tuple[int, list[tuple[str, float, float]]]:
    """(samples, [(function, inclusive share, self share)]) by inclusive share, for
    frames of this repository and of the libraries it calls."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return 0, []
    rows = [(f, inclusive[f] / total, own[f] / total) for f, _ in inclusive.most_common()]
    interesting = [r for r in rows if not r[0].startswith(("<module>", "run ", "run_"))]
    return total, interesting[:limit]


def _short(frame: str) -> str:
    """``func (path/to/file.py:12)`` -> ``func (file.py)``: one row per function."""
    name, _, where = frame.partition(" (")
    file = where.split(":", 1)[0].rsplit("/", 2)
    return f"{name} ({'/'.join(file[-2:])})"

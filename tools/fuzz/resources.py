"""What each service used during a run: memory peaks, event-loop stalls, log lines.

Read from outside the services: ``/proc/<pid>/status`` (VmHWM: peak resident memory,
VmPeak: peak address space, the figure RLIMIT_AS bounds), the services' own
``outcomes_event_loop_stall_seconds`` histogram on /metrics, and their log files.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tools.services import ServiceProcesses

MB = 1024 * 1024
_BUCKET = re.compile(
    r'^outcomes_event_loop_stall_seconds_bucket\{le="([^"]+)",service="[^"]+"\} (\S+)$'
)


@dataclass(frozen=True)
class Usage:
    service: str
    peak_rss: int
    peak_address_space: int
    stall_at_most: float | None
    """The histogram bucket every beat fell in: the longest stall was at most this."""
    log_lines: int

    def line(self) -> str:
        stall = "?" if self.stall_at_most is None else f"<= {self.stall_at_most:g}s"
        return (
            f"{self.service:12} peak RSS {self.peak_rss / MB:6.0f} MB, peak address space"
            f" {self.peak_address_space / MB:6.0f} MB, longest event-loop stall {stall},"
            f" {self.log_lines:,} log lines"
        )


def _status(pid: int) -> dict[str, int]:
    found = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmPeak"):
            found[name] = int(value.split()[0]) * 1024
    return found


def longest_stall(port: int) -> float | None:
    """The smallest bucket holding every beat of the loop-stall histogram."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body = response.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    buckets = [
        (float(m.group(1)), float(m.group(2)))
        for line in body.splitlines()
        if (m := _BUCKET.match(line))
    ]
    if not buckets:
        return None
    total = max(count for _, count in buckets)
    return min(le for le, count in buckets if count >= total)


def usage(processes: ServiceProcesses) -> list[Usage]:
    """Each running service's usage so far (call before stopping them)."""
    found = []
    for service in processes.services:
        process = processes.processes.get(service)
        status = _status(process.pid) if process is not None else {}
        log = processes.state_dir / f"{service}.log"
        lines = sum(1 for _ in log.open("rb")) if log.exists() else 0
        found.append(
            Usage(
                service,
                status.get("VmHWM", 0),
                status.get("VmPeak", 0),
                longest_stall(processes.ports[service]),
                lines,
            )
        )
    return found

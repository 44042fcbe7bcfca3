"""A service that cannot make progress exits, so that its supervisor restarts it.

* **Stalled event loop.** A task on the loop beats every ``TICK_SECONDS`` and records
  how late each beat was (``outcomes_event_loop_stall_seconds``). A thread outside the
  loop checks the beats: none for ``LOOP_STALL_EXIT_SECONDS`` and the process exits 70
  (the loop is blocked or wedged: nothing in it can recover).
* **Spinning event loop.** Errors reported to the loop's exception handler (callbacks
  that fail, tasks nobody awaits) are counted: a ``MemoryError``, or more than
  ``SPIN_ERRORS`` of them within ``SPIN_WINDOW_SECONDS``, and the process exits 70.
* **SIGTERM within seconds.** SIGTERM is taken by a thread of its own (``sigwait``), not
  by the event loop, which a stalled loop would never run: the thread asks the worker to
  shut down and, if the process still runs ``STOP_GRACE_SECONDS`` later, exits 143.

The decisions (:meth:`Watchdog.verdict`, :meth:`Watchdog.loop_error`) are pure, with time
passed in; the threads only call them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import metrics

TICK_SECONDS = 0.2
EXIT_STALLED = 70  # EX_SOFTWARE
EXIT_TERMINATED = 128 + signal.SIGTERM


class LivenessSettings(BaseSettings):
    """When a service gives up (environment variables of these names)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    loop_stall_exit_seconds: float = Field(default=30.0, gt=1.0)
    stop_grace_seconds: float = Field(default=10.0, gt=0)
    spin_errors: int = Field(default=200, ge=1)
    spin_window_seconds: float = Field(default=10.0, gt=0)


@dataclass
class Watchdog:
    """What the loop did last and whether the process should give up."""

    settings: LivenessSettings
    last_beat: float | None = None
    """None until the loop's first beat (start-up: migrations, waiting for the database)."""
    stop_requested: float | None = None
    errors: deque[float] = field(default_factory=deque)

    def beat(self, now: float) -> None:
        self.last_beat = now

    def verdict(self, now: float) -> tuple[int, str] | None:
        """The exit code and why, when the process should exit now; else None."""
        if self.stop_requested is not None:
            if now - self.stop_requested > self.settings.stop_grace_seconds:
                return EXIT_TERMINATED, (
                    f"SIGTERM {now - self.stop_requested:.1f}s ago and still running:"
                    " exiting without a clean shutdown"
                )
            return None
        if self.last_beat is None:
            return None
        silent = now - self.last_beat
        if silent > self.settings.loop_stall_exit_seconds:
            return EXIT_STALLED, f"event loop stalled for {silent:.1f}s: exiting to be restarted"
        return None

    def loop_error(self, now: float, exception: BaseException | None) -> tuple[int, str] | None:
        """Count an error the loop reported; the exit code and why when it spins."""
        if isinstance(exception, MemoryError):
            return EXIT_STALLED, "MemoryError in the event loop: exiting to be restarted"
        self.errors.append(now)
        while self.errors and now - self.errors[0] > self.settings.spin_window_seconds:
            self.errors.popleft()
        if len(self.errors) > self.settings.spin_errors:
            return EXIT_STALLED, (
                f"{len(self.errors)} errors in the event loop within"
                f" {self.settings.spin_window_seconds:.0f}s: spinning, exiting to be restarted"
            )
        return None


def _say(service: str, message: str) -> None:
    """One JSON log line written straight to stdout (the logging lock may be held by the
    stalled thread)."""
    line = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "critical",
        "service": service,
        "logger": __name__,
        "message": message,
    }
    os.write(sys.stdout.fileno(), (json.dumps(line) + "\n").encode())


class Liveness:
    """The watchdog wired to one process: beat task, monitor and SIGTERM threads."""

    def __init__(
        self,
        service: str,
        settings: LivenessSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        exit_now: Callable[[int], Any] = os._exit,
    ) -> None:
        self.service = service
        self.settings = settings or LivenessSettings()
        self.clock = clock
        self.exit_now = exit_now
        self.watchdog = Watchdog(self.settings)
        self._lock = threading.Lock()
        self.on_sigterm: Callable[[], None] = lambda: self._exit(
            EXIT_TERMINATED, "SIGTERM before the worker started: exiting"
        )
        """Called in the SIGTERM thread; the runtime points it at the worker's shutdown
        (handed to the loop thread-safely)."""

    def take_sigterm(self) -> None:
        """Block SIGTERM in this (the main) thread and every thread started after it; the
        SIGTERM thread (started by :meth:`start`) waits for it. Call before any thread."""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

    def start(self) -> None:
        """Start the monitor and SIGTERM threads (after :meth:`take_sigterm`)."""
        threading.Thread(target=self._monitor, name="watchdog", daemon=True).start()
        threading.Thread(target=self._wait_sigterm, name="sigterm", daemon=True).start()

    async def beat_forever(self) -> None:
        """On the loop: beat, and record how late each beat was."""
        while True:
            planned = self.clock() + TICK_SECONDS
            await asyncio.sleep(TICK_SECONDS)
            now = self.clock()
            late = max(0.0, now - planned)
            metrics.LOOP_STALL.labels(self.service).observe(late)
            with self._lock:
                self.watchdog.beat(now)

    def handle_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The loop's exception handler: log as asyncio would, exit when it spins."""
        loop.default_exception_handler(context)
        with self._lock:
            verdict = self.watchdog.loop_error(self.clock(), context.get("exception"))
        if verdict is not None:
            self._exit(*verdict)

    def _monitor(self) -> None:
        while True:
            time.sleep(0.5)
            with self._lock:
                verdict = self.watchdog.verdict(self.clock())
            if verdict is not None:
                self._exit(*verdict)

    def _wait_sigterm(self) -> None:
        signal.sigwait({signal.SIGTERM})
        with self._lock:
            self.watchdog.stop_requested = self.clock()
        self.on_sigterm()

    def _exit(self, code: int, why: str) -> None:
        _say(self.service, why)
        self.exit_now(code)

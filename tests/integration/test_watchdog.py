"""A process whose event loop stalls or spins exits non-zero; SIGTERM is obeyed within
seconds even while the loop is blocked (services/common/watchdog.py, in a child process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, sys, time
from services.common.watchdog import Liveness, LivenessSettings

liveness = Liveness("test", LivenessSettings(
    loop_stall_exit_seconds=2, stop_grace_seconds=2, spin_errors=50, spin_window_seconds=5))
liveness.take_sigterm()
liveness.start()

async def main(mode):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(liveness.handle_loop_error)
    liveness.on_sigterm = lambda: loop.call_soon_threadsafe(loop.stop)  # as the worker's
    asyncio.get_running_loop().create_task(liveness.beat_forever())
    await asyncio.sleep(0.5)
    print("beating", flush=True)
    if mode == "block":
        time.sleep(60)  # a stalled loop: nothing on it runs any more
    elif mode == "spin":
        def fail():
            raise AssertionError("Data should not be empty")
        while True:
            asyncio.get_running_loop().call_soon(fail)
            await asyncio.sleep(0)
    else:
        await asyncio.sleep(60)

asyncio.run(main(sys.argv[1]))
"""


def _start(mode: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "beating"
    return child


def _finish(child: subprocess.Popen[str], began: float) -> tuple[int, float, list[str], str]:
    out, err = child.communicate(timeout=30)
    return child.returncode, time.monotonic() - began, out.splitlines(), err


def test_a_stalled_loop_exits_70_after_the_stall_limit() -> None:
    child = _start("block")
    code, seconds, lines, _ = _finish(child, time.monotonic())
    assert code == 70
    assert 1.5 < seconds < 5
    assert "event loop stalled" in json.loads(lines[-1])["message"]


def test_a_spinning_loop_exits_70_with_bounded_output() -> None:
    child = _start("spin")
    code, seconds, lines, err = _finish(child, time.monotonic())
    assert code == 70
    assert seconds < 5
    assert "errors in the event loop" in json.loads(lines[-1])["message"]
    assert err.count("Data should not be empty") <= 51  # at most the spin limit, then exit


def test_sigterm_is_obeyed_within_seconds_even_with_the_loop_blocked() -> None:
    child = _start("block")
    began = time.monotonic()
    child.send_signal(signal.SIGTERM)
    code, seconds, lines, _ = _finish(child, began)
    # The loop never runs the shutdown; after the grace period the process exits anyway.
    assert code == 143
    assert 1.5 < seconds < 5
    assert "SIGTERM" in json.loads(lines[-1])["message"]

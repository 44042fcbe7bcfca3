"""When a service gives up (services/common/watchdog.py): pure decisions, time passed in."""

from __future__ import annotations

from services.common.watchdog import (
    EXIT_STALLED,
    EXIT_TERMINATED,
    LivenessSettings,
    Watchdog,
)

SETTINGS = LivenessSettings(
    loop_stall_exit_seconds=30.0, stop_grace_seconds=10.0, spin_errors=3, spin_window_seconds=10.0
)


def test_nothing_happens_before_the_first_beat_however_long_start_up_takes() -> None:
    assert Watchdog(SETTINGS).verdict(now=10_000.0) is None


def test_a_loop_silent_longer_than_the_limit_exits_70() -> None:
    dog = Watchdog(SETTINGS)
    dog.beat(100.0)
    assert dog.verdict(130.0) is None
    verdict = dog.verdict(130.1)
    assert verdict is not None
    assert verdict[0] == EXIT_STALLED
    assert "event loop stalled for 30.1s" in verdict[1]


def test_sigterm_gives_the_shutdown_its_grace_then_exits_143() -> None:
    dog = Watchdog(SETTINGS)
    dog.beat(100.0)
    dog.stop_requested = 101.0
    assert dog.verdict(111.0) is None
    verdict = dog.verdict(111.5)
    assert verdict is not None
    assert verdict[0] == EXIT_TERMINATED == 143


def test_after_sigterm_a_slow_loop_is_left_to_the_grace_period() -> None:
    dog = Watchdog(SETTINGS)
    dog.beat(100.0)
    dog.stop_requested = 125.0
    assert dog.verdict(134.0) is None  # 34 s silent, but stopping


def test_a_memory_error_in_the_loop_exits_at_once() -> None:
    verdict = Watchdog(SETTINGS).loop_error(1.0, MemoryError())
    assert verdict is not None
    assert verdict[0] == EXIT_STALLED


def test_errors_over_the_spin_limit_within_the_window_exit_and_old_ones_expire() -> None:
    dog = Watchdog(SETTINGS)
    assert [dog.loop_error(t, AssertionError()) for t in (0.0, 1.0, 2.0)] == [None] * 3
    assert dog.loop_error(20.0, AssertionError()) is None  # the first three expired
    assert dog.loop_error(21.0, AssertionError()) is None
    assert dog.loop_error(22.0, AssertionError()) is None
    verdict = dog.loop_error(23.0, AssertionError("Data should not be empty"))
    assert verdict is not None
    assert "4 errors in the event loop within 10s" in verdict[1]

"""The sign-in rate limit: a pure rule over failure times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.web.security.rate_limit import SignInLimits, wait_before_next_attempt

NOW = datetime(2024, 12, 2, 9, 0, tzinfo=UTC)
LIMITS = SignInLimits(
    failures_per_username=5, failures_per_address=20, window=timedelta(minutes=15)
)


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_four_failures_leave_a_fifth_attempt() -> None:
    assert wait_before_next_attempt(minutes_ago(1, 2, 3, 4), [], NOW, LIMITS) is None


def test_five_failures_wait_until_the_oldest_leaves_the_window() -> None:
    wait = wait_before_next_attempt(minutes_ago(1, 2, 3, 4, 5), [], NOW, LIMITS)
    assert wait == timedelta(minutes=10)


def test_failures_older_than_the_window_do_not_count() -> None:
    assert wait_before_next_attempt(minutes_ago(15, 16, 17, 18, 19), [], NOW, LIMITS) is None


def test_an_address_is_limited_across_usernames() -> None:
    address = minutes_ago(*[0.5 * i for i in range(20)])
    assert wait_before_next_attempt([], address, NOW, LIMITS) == timedelta(minutes=5.5)


failure_minutes = st.lists(st.floats(min_value=0, max_value=60), max_size=30)


@given(failure_minutes)
def test_after_the_wait_the_next_attempt_is_allowed(minutes: list[float]) -> None:
    failures = minutes_ago(*minutes)
    wait = wait_before_next_attempt(failures, [], NOW, LIMITS)
    if wait is None:
        recent = [f for f in failures if NOW - LIMITS.window < f]
        assert len(recent) < LIMITS.failures_per_username
        return
    assert timedelta(0) < wait <= LIMITS.window
    assert wait_before_next_attempt(failures, [], NOW + wait, LIMITS) is None
    assert wait_before_next_attempt(failures, [], NOW + wait - timedelta(microseconds=1), LIMITS)

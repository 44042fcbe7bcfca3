"""How often someone may try to sign in: a pure rule over the failed attempts recorded.

Failures count within a sliding window, per username and per address. Past either limit
every attempt is refused (even with the right password) until the oldest failure in the
window is older than the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SignInLimits:
    failures_per_username: int = 5
    failures_per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def wait_before_next_attempt(
    username_failures: Sequence[datetime],
    address_failures: Sequence[datetime],
    now: datetime,
    limits: SignInLimits,
) -> timedelta | None:
    """How long the next attempt must wait; None when it may be made now."""
    waits = [
        _wait(failures, limit, now, limits.window)
        for failures, limit in (
            (username_failures, limits.failures_per_username),
            (address_failures, limits.failures_per_address),
        )
    ]
    pending = [w for w in waits if w is not None]
    return max(pending) if pending else None


def _wait(
    failures: Sequence[datetime], limit: int, now: datetime, window: timedelta
) -> timedelta | None:
    recent = sorted(f for f in failures if now - window < f <= now)
    if len(recent) < limit:
        return None
    # The attempt becomes possible when enough failures have left the window.
    freeing = recent[len(recent) - limit]
    return freeing + window - now

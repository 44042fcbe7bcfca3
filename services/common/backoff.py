"""Capped exponential backoff: the one retry delay of the runtime (relay, processor, start)."""

from __future__ import annotations


class Backoff:
    """Delays in seconds that double from ``initial_seconds`` up to ``maximum_seconds``
    (attributes ``initial``, ``maximum`` and ``current`` are seconds too)."""

    def __init__(self, initial_seconds: float, maximum_seconds: float) -> None:
        self.initial = initial_seconds
        self.maximum = maximum_seconds
        self.current = initial_seconds

    def next(self) -> float:
        """The delay to wait now; the following one doubles (capped)."""
        delay = self.current
        self.current = min(self.current * 2, self.maximum)
        return delay

    def reset(self) -> None:
        """After progress: start again from the initial delay."""
        self.current = self.initial

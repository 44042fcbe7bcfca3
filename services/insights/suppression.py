"""Small numbers are not shown (domain.md §11): a count below 10, and a rate whose count
or denominator is below 10, read "<10"."""

from __future__ import annotations

MIN_SHOWN = 10
SUPPRESSED = "<10"


def shown_count(count: int) -> str:
    return SUPPRESSED if count < MIN_SHOWN else f"{count:,}"


def rate_suppressed(count: int, denominator: int) -> bool:
    return count < MIN_SHOWN or denominator < MIN_SHOWN


def shown_percent(share: float) -> str:
    return f"{100 * share:.1f}%"

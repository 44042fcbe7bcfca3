"""95 % confidence intervals of a share: the Wilson score interval, from SciPy
(``scipy.stats.binomtest(...).proportion_ci(method="wilson")``), not hand-written."""

from __future__ import annotations

from scipy.stats import binomtest

CONFIDENCE = 0.95


def wilson(count: int, denominator: int) -> tuple[float, float]:
    """(low, high) of the share ``count / denominator`` (denominator > 0)."""
    if not 0 <= count <= denominator or denominator < 1:
        raise ValueError("need 0 <= count <= denominator and denominator >= 1")
    ci = binomtest(count, denominator).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return float(ci.low), float(ci.high)

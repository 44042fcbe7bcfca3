"""Cohort rates (domain.md §11): by start-month cohort and months since start, pooled only
over cohorts old enough; Wilson bands from SciPy; suppression; cohorts ageing with today."""

from __future__ import annotations

import math
from datetime import date

import pytest

from services.insights.cohorts import curve, curves_by
from services.insights.dimensions import Dimension
from services.insights.funnel import Stage
from services.insights.interval import wilson
from services.insights.starters import Starter
from tests.unit.insights_builders import starter

D = date


def population() -> list[Starter]:
    jan = [starter(D(2024, 1, 15), job_start=D(2024, 2, 1)) for _ in range(10)]
    jan += [starter(D(2024, 1, 15), job_start=D(2024, 3, 20)) for _ in range(4)]
    jan += [starter(D(2024, 1, 15)) for _ in range(6)]
    feb = [starter(D(2024, 2, 10), job_start=D(2024, 2, 20)) for _ in range(5)]
    feb += [starter(D(2024, 2, 10)) for _ in range(5)]
    mar = [starter(D(2024, 3, 5), job_start=D(2024, 3, 10)) for _ in range(2)]
    mar += [starter(D(2024, 3, 5)) for _ in range(13)]
    # April is still starting on 30 April: it must not lift month 1
    apr = [starter(D(2024, 4, 2), job_start=D(2024, 4, 10)) for _ in range(30)]
    return jan + feb + mar + apr


def test_month_m_pools_only_cohorts_at_least_m_months_old() -> None:
    c = curve(population(), Stage.IN_WORK, today=D(2024, 4, 30))
    assert [(p.months, p.cohorts, p.starters, p.reached) for p in c.points] == [
        (1, 3, 45, 17),  # January, February, March
        (2, 2, 30, 15),  # January, February
        (3, 1, 20, 14),  # January
    ]
    assert [p.share for p in c.points] == [17 / 45, 0.5, 0.7]


def test_cohorts_age_with_today() -> None:
    c = curve(population(), Stage.IN_WORK, today=D(2024, 5, 31))
    assert [(p.months, p.starters, p.reached) for p in c.points] == [
        (1, 75, 47),  # April now counts at month 1
        (2, 45, 17),  # March has had two months: its starters found no more work
        (3, 30, 19),
        (4, 20, 14),
    ]


def test_a_rate_whose_count_or_denominator_is_below_ten_is_suppressed() -> None:
    people = [starter(D(2024, 1, 15), earnings_outcome=D(2024, 2, 1)) for _ in range(9)]
    people += [starter(D(2024, 1, 15)) for _ in range(30)]
    [p] = curve(people, Stage.EARNINGS_OUTCOME, today=D(2024, 2, 29)).points
    assert (p.reached, p.starters, p.share, p.low, p.high, p.suppressed) == (
        9,
        39,
        None,
        None,
        None,
        True,
    )
    small = [starter(D(2024, 1, 15), earnings_outcome=D(2024, 2, 1)) for _ in range(9)]
    [q] = curve(small, Stage.EARNINGS_OUTCOME, today=D(2024, 2, 29)).points
    assert q.suppressed


def test_the_band_is_the_wilson_interval() -> None:
    z = 1.959963984540054
    k, n = 17, 45
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = wilson(k, n)
    assert low == pytest.approx(centre - half, abs=1e-12)
    assert high == pytest.approx(centre + half, abs=1e-12)
    point = curve(population(), Stage.IN_WORK, today=D(2024, 4, 30)).points[0]
    assert (point.low, point.high) == (low, high)


def test_one_curve_per_start_month_cohort() -> None:
    curves = curves_by(population(), Stage.IN_WORK, D(2024, 4, 30), Dimension.START_MONTH)
    assert [(c.label, len(c.points)) for c in curves] == [
        ("2024-01", 3),
        ("2024-02", 2),
        ("2024-03", 1),
        ("2024-04", 0),
    ]
    assert [p.share for p in curves[0].points] == [0.5, 0.5, 0.7]
    assert curves[2].points[0].suppressed  # 2 of 15
    [everyone] = curves_by(population(), Stage.IN_WORK, D(2024, 4, 30))
    assert everyone.label == "All starters"

"""The funnel on hand-made populations (domain.md §11): each milestone counted on its own,
the two outcomes separately and together, breakdowns, the period, suppression."""

from __future__ import annotations

from datetime import date

import pytest

from services.insights.dimensions import Dimension
from services.insights.export import funnel_csv
from services.insights.funnel import Stage, funnel
from services.insights.starters import Starter
from services.insights.suppression import shown_count
from tests.unit.insights_builders import starter

D = date


def population() -> list[Starter]:
    camden = [starter(borough="Camden") for _ in range(12)]
    camden += [starter(borough="Camden", in_work=True) for _ in range(5)]
    camden += [
        starter(borough="Camden", first_earnings=D(2024, 3, 1), earnings_outcome=D(2024, 9, 1))
        for _ in range(11)
    ]
    hackney = [
        starter(
            borough="Hackney",
            age_band="16-24",
            sustained_13w=D(2024, 5, 5),
            job_start=D(2024, 2, 1),
        )
        for _ in range(3)
    ]
    hackney += [
        starter(
            borough="Hackney", first_earnings=D(2024, 4, 1), self_employment_outcome=D(2024, 8, 1)
        )
        for _ in range(2)
    ]
    return camden + hackney


def test_each_milestone_is_counted_on_its_own_and_the_outcomes_together() -> None:
    f = funnel(population())
    total = f.total.counts
    assert total[Stage.STARTED] == 33
    assert total[Stage.IN_WORK] == 21
    assert total[Stage.FIRST_EARNINGS] == 13
    assert total[Stage.EARNINGS_OUTCOME] == 11
    assert total[Stage.SELF_EMPLOYMENT_OUTCOME] == 2
    assert total[Stage.JOB_OUTCOME] == 13
    # not a ladder: sustained 13 weeks without first earnings or an outcome
    assert total[Stage.SUSTAINED_13W] == 3
    assert total[Stage.SUSTAINED_26W] == 0


def test_breakdown_by_borough_and_crossed_with_age_band() -> None:
    by_borough = funnel(population(), (Dimension.BOROUGH,))
    assert [(r.key, r.counts[Stage.STARTED], r.counts[Stage.IN_WORK]) for r in by_borough.rows] == [
        (("Camden",), 28, 16),
        (("Hackney",), 5, 5),
    ]
    crossed = funnel(population(), (Dimension.BOROUGH, Dimension.AGE_BAND))
    assert [r.key for r in crossed.rows] == [
        ("Camden", "25-49"),
        ("Hackney", "16-24"),
        ("Hackney", "25-49"),
    ]
    assert crossed.total.counts == by_borough.total.counts


def test_only_starters_of_the_period_count() -> None:
    people = [
        starter(D(2024, 1, 31)),
        starter(D(2024, 2, 1)),
        starter(D(2024, 2, 29)),
        starter(D(2024, 3, 1)),
    ]
    f = funnel(
        people, (Dimension.START_MONTH,), started_from=D(2024, 2, 1), started_until=D(2024, 2, 29)
    )
    assert [(r.key, r.counts[Stage.STARTED]) for r in f.rows] == [(("2024-02",), 2)]


def test_counts_below_ten_are_shown_as_less_than_ten() -> None:
    assert [shown_count(n) for n in (0, 9, 10, 12345)] == ["<10", "<10", "10", "12,345"]
    lines = funnel_csv(funnel(population(), (Dimension.BOROUGH,))).splitlines()
    assert lines[0].startswith("Borough,Started,Ever in work,First earnings,Earnings outcome")
    assert lines[1] == "Camden,28,16,11,11,<10,11,<10,<10,<10"
    assert lines[2] == "Hackney,<10,<10,<10,<10,<10,<10,<10,<10,<10"
    assert lines[3] == "All,33,21,13,11,<10,13,<10,<10,<10"


def test_at_most_two_different_dimensions() -> None:
    with pytest.raises(ValueError, match="at most two"):
        funnel([], (Dimension.BOROUGH, Dimension.AGE_BAND, Dimension.PROVIDER))
    with pytest.raises(ValueError, match="at most two"):
        funnel([], (Dimension.BOROUGH, Dimension.BOROUGH))

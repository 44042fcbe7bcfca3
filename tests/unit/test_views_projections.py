"""Projected dates and evidence due (domain.md §11): every boundary, and the laws."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from schemas.common import EmploymentType, MilestoneKind
from services.views.projections import (
    OpenJob,
    Outlook,
    Progress,
    Projection,
    Window,
    evidence_due,
    evidence_due_since,
    next_projection,
    outlook,
    project_earnings_outcome,
    project_self_employment,
    project_sustained,
    projections,
)

START = date(2024, 4, 1)  # a Monday
WINDOW = Window(START)
T = 416 * 1144  # 475,904
EMPLOYED = EmploymentType.EMPLOYED
SELF_EMPLOYED = EmploymentType.SELF_EMPLOYED
EARNINGS = MilestoneKind.EARNINGS_OUTCOME


def job(
    start: date = date(2024, 4, 15),
    wage: int | None = 1400,
    hours: str = "35",
    kind: EmploymentType = EMPLOYED,
    latest: date | None = None,
    placement_id: str = "plc-1",
) -> OpenJob:
    return OpenJob(placement_id, start, kind, wage, Decimal(hours), latest)


def progress(**kwargs: object) -> Progress:
    base: dict[str, object] = {"earnings_threshold_pence": T, "weekly_hours_min": Decimal(16)}
    return Progress(**{**base, **kwargs})  # type: ignore[arg-type]


# -- earnings_outcome --------------------------------------------------------------


def test_the_threshold_met_to_the_penny_is_reached_that_day() -> None:
    # 1400 p x 35 h / 7 = 7,000 a day; 10 days from 1 May bring exactly 70,000.
    counted = T - 70_000
    p = progress(counted_earnings_pence=counted, latest_employed_evidence_end=date(2024, 4, 30))
    assert project_earnings_outcome(p, [job()]) == date(2024, 5, 10)


def test_one_penny_short_takes_one_more_day() -> None:
    counted = T - 70_001
    p = progress(counted_earnings_pence=counted, latest_employed_evidence_end=date(2024, 4, 30))
    assert project_earnings_outcome(p, [job()]) == date(2024, 5, 11)


def test_without_evidence_earnings_count_from_the_job_start() -> None:
    # 475,904 / 7,000 = 67.99 -> 68 days: 15 April + 67 days.
    assert project_earnings_outcome(progress(), [job()]) == date(2024, 4, 15) + timedelta(67)


def test_a_job_earns_only_from_its_own_start() -> None:
    second = job(start=date(2024, 5, 1), placement_id="plc-2")
    p = progress(counted_earnings_pence=T - 7_000 * 16 - 1)
    # 15..30 April: 16 days of 7,000 leave 1 penny; on 1 May both jobs pay.
    p = Progress(**{**p.__dict__, "latest_employed_evidence_end": date(2024, 4, 14)})
    assert project_earnings_outcome(p, [job(), second]) == date(2024, 5, 1)


def test_no_pay_means_no_earnings_date() -> None:
    assert project_earnings_outcome(progress(), [job(kind=SELF_EMPLOYED, wage=None)]) is None


def test_a_date_beyond_any_horizon_is_no_date() -> None:
    assert project_earnings_outcome(progress(), [job(wage=1, hours="0.01")]) is None


# -- sustained ---------------------------------------------------------------------


def test_a_week_exactly_at_the_weekly_minimum_is_in_work() -> None:
    p = progress(in_work_weeks=12, latest_employed_evidence_end=date(2024, 6, 30))  # a Sunday
    assert project_sustained(p, [job(hours="16")], 13) == date(2024, 7, 7)


def test_a_week_one_hundredth_below_the_minimum_never_counts() -> None:
    p = progress(in_work_weeks=12, latest_employed_evidence_end=date(2024, 6, 30))
    assert project_sustained(p, [job(hours="15.99")], 13) is None


def test_weeks_start_on_the_first_monday_after_the_evidence() -> None:
    # Evidence to Wednesday 3 July: the first Monday after it is 8 July.
    p = progress(latest_employed_evidence_end=date(2024, 7, 3))
    assert project_sustained(p, [job()], 1) == date(2024, 7, 14)


def test_a_second_job_can_bring_the_week_to_the_minimum() -> None:
    first = job(hours="10")
    second = job(start=date(2024, 4, 24), hours="6", placement_id="plc-2")  # a Wednesday
    # 15 April (Monday): 10 h, not in work; from Monday 29 April: 16 h.
    assert project_sustained(progress(), [first, second], 2) == date(2024, 5, 12)


# -- self-employment ---------------------------------------------------------------


def test_the_182nd_covered_day() -> None:
    se = job(kind=SELF_EMPLOYED, wage=None)
    p = progress(self_employment_days=181, latest_self_employment_end=date(2024, 10, 1))
    assert project_self_employment(p, [se]) == date(2024, 10, 2)
    p0 = progress()
    assert project_self_employment(p0, [se]) == date(2024, 4, 15) + timedelta(181)


# -- window, leaving, no job, outlook --------------------------------------------------


def test_the_window_last_day_is_on_track_and_the_day_after_is_not() -> None:
    last = START + timedelta(days=637)
    daily = 7_000
    on_last = progress(
        counted_earnings_pence=T - daily, latest_employed_evidence_end=last - timedelta(1)
    )
    after = progress(
        counted_earnings_pence=T - daily - 1, latest_employed_evidence_end=last - timedelta(1)
    )
    found_last = projections(WINDOW, on_last, [job()], (), [EARNINGS])
    found_after = projections(WINDOW, after, [job()], (), [EARNINGS])
    assert found_last == (Projection(EARNINGS, last, True),)
    assert found_after == (Projection(EARNINGS, last + timedelta(1), False),)
    assert outlook(found_after[0], last) is Outlook.NOT_ON_TRACK


def test_no_open_placement_or_a_leaver_has_no_projection() -> None:
    assert projections(WINDOW, progress(), [], (), [EARNINGS]) == ()
    left = Window(START, left_on=date(2024, 9, 1))
    assert projections(left, progress(), [job()], (), [EARNINGS]) == ()


def test_an_outcome_reached_leaves_the_other_unprojected() -> None:
    jobs = [job(), job(kind=SELF_EMPLOYED, wage=None, placement_id="plc-2")]
    found = projections(
        WINDOW,
        progress(),
        jobs,
        (EARNINGS,),
        [EARNINGS, MilestoneKind.SELF_EMPLOYMENT_OUTCOME, MilestoneKind.SUSTAINED_13W],
    )
    assert [p.milestone for p in found] == [MilestoneKind.SUSTAINED_13W]


def test_overdue_is_more_than_35_days_before_today() -> None:
    p = Projection(EARNINGS, date(2024, 5, 1), True)
    assert outlook(p, date(2024, 6, 5)) is Outlook.PROJECTED  # 35 days
    assert outlook(p, date(2024, 6, 6)) is Outlook.OVERDUE  # 36 days


def test_the_next_milestone_is_the_earliest_on_track() -> None:
    late = Projection(EARNINGS, date(2024, 9, 1), True)
    early = Projection(MilestoneKind.SUSTAINED_13W, date(2024, 7, 14), True)
    off = Projection(MilestoneKind.SUSTAINED_26W, None, False)
    assert next_projection([late, off, early]) == early
    assert next_projection([off]) == off
    assert next_projection([]) is None


# -- evidence due ----------------------------------------------------------------------


def test_evidence_is_due_from_the_36th_day_after_the_period_end() -> None:
    since = evidence_due_since([job(latest=date(2024, 5, 12))])
    assert since == date(2024, 6, 16)
    assert not evidence_due(WINDOW, since, date(2024, 6, 16))
    assert evidence_due(WINDOW, since, date(2024, 6, 17))


def test_without_evidence_it_is_due_35_days_after_the_job_start() -> None:
    assert evidence_due_since([job(), job(date(2024, 3, 1), placement_id="p0")]) == date(2024, 4, 5)


def test_no_evidence_is_due_after_leaving_or_outside_the_window() -> None:
    since = date(2024, 6, 16)
    assert not evidence_due(Window(START, date(2024, 6, 1)), since, date(2024, 7, 1))
    assert not evidence_due(WINDOW, since, START + timedelta(days=638))
    assert evidence_due(WINDOW, since, START + timedelta(days=637))
    assert not evidence_due(WINDOW, None, date(2024, 7, 1))


# -- laws ----------------------------------------------------------------------------

jobs_strategy = st.lists(
    st.builds(
        job,
        start=st.dates(date(2024, 4, 1), date(2024, 8, 1)),
        wage=st.integers(500, 3000),
        hours=st.decimals(Decimal("5"), Decimal("60"), places=2).map(str),
        placement_id=st.uuids().map(str),
    ),
    min_size=1,
    max_size=3,
)


def _earned(jobs: list[OpenJob], first: date, last: date) -> Fraction:
    """Day by day: what the jobs pay from ``first`` to ``last`` inclusive."""
    total = Fraction(0)
    day = first
    while day <= last:
        total += sum((j.daily_pence for j in jobs if j.job_start_date <= day), Fraction(0))
        day += timedelta(days=1)
    return total


@given(
    jobs=jobs_strategy,
    counted=st.integers(0, T),
    end=st.one_of(st.none(), st.dates(date(2024, 4, 1), date(2024, 9, 1))),
)
def test_the_earnings_date_is_the_first_day_the_sum_reaches_t(
    jobs: list[OpenJob], counted: int, end: date | None
) -> None:
    p = progress(counted_earnings_pence=counted, latest_employed_evidence_end=end)
    projected = project_earnings_outcome(p, jobs)
    first = end + timedelta(1) if end else min(j.job_start_date for j in jobs)
    assert projected is not None
    if counted >= T:
        return
    assert counted + _earned(jobs, first, projected) >= T
    assert counted + _earned(jobs, first, projected - timedelta(1)) < T


@given(jobs=jobs_strategy, counted=st.integers(0, T - 1), more=st.integers(1, 100_000))
def test_more_counted_earnings_never_delay_the_date(
    jobs: list[OpenJob], counted: int, more: int
) -> None:
    end = date(2024, 5, 31)
    before = project_earnings_outcome(
        progress(counted_earnings_pence=counted, latest_employed_evidence_end=end), jobs
    )
    after = project_earnings_outcome(
        progress(counted_earnings_pence=counted + more, latest_employed_evidence_end=end), jobs
    )
    assert before is not None
    assert after is not None
    assert after <= before


low_hours_jobs = st.lists(
    st.builds(
        job,
        start=st.dates(date(2024, 4, 1), date(2024, 8, 1)),
        hours=st.decimals(Decimal("0.01"), Decimal("20"), places=2).map(str),
        placement_id=st.uuids().map(str),
    ),
    min_size=1,
    max_size=3,
)


@given(
    jobs=low_hours_jobs,
    done=st.integers(0, 12),
    target=st.sampled_from([13, 26, 52]),
)
def test_the_sustained_date_is_the_sunday_of_the_nth_week_in_work(
    jobs: list[OpenJob], done: int, target: int
) -> None:
    p = progress(in_work_weeks=done)
    projected = project_sustained(p, jobs, target)
    monday = min(j.job_start_date for j in jobs)
    monday += timedelta(days=(7 - monday.weekday()) % 7)
    counted, week = done, monday
    expected = None
    for _ in range(300):  # week by week, far past any job start
        hours = sum((j.weekly_hours for j in jobs if j.job_start_date <= week), Decimal(0))
        if hours >= 16:
            counted += 1
            if counted == target:
                expected = week + timedelta(days=6)
                break
        week += timedelta(weeks=1)
    assert projected == expected

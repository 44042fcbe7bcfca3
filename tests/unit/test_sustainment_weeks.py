"""Sustainment domain: sustained_13w/26w/52w from calendar weeks in work.

S = 2024-04-01 is a Monday; weekly_hours_min is 16 hours (1600 hundredths). The 13th
week from S runs 2024-06-24..2024-06-30; day 637 (2025-12-29) is a Monday.
"""

from __future__ import annotations

from datetime import date, timedelta

from schemas.common import MilestoneKind
from services.sustainment.domain import (
    EvidenceFacts,
    MilestoneFacts,
    PlacementFacts,
    compute_milestones,
    counting_evidence,
    in_work_weeks,
)
from services.sustainment.weeks import weekly_hours
from tests.unit.sustainment_builders import (
    START,
    employed,
    payslip,
    self_employed,
    self_employment,
    weekly_payslips,
    window,
)

W13, W26, W52 = (
    MilestoneKind.SUSTAINED_13W,
    MilestoneKind.SUSTAINED_26W,
    MilestoneKind.SUSTAINED_52W,
)


def sustained(
    evidence: list[EvidenceFacts],
    placements: list[PlacementFacts] | None = None,
    leaver: date | None = None,
) -> dict[MilestoneKind, date]:
    milestones = compute_milestones(window(leaver), placements or [employed()], evidence)
    return {kind: facts.reached_on for kind, facts in milestones.items() if kind in (W13, W26, W52)}


def weeks_in_work(evidence: list[EvidenceFacts], leaver: date | None = None) -> list[date]:
    counting = counting_evidence(window(leaver), [employed()], evidence)
    return in_work_weeks(window(leaver), weekly_hours(counting))


def test_13_weeks_of_16_hours_reach_13w_on_the_13th_sunday() -> None:
    assert sustained(weekly_payslips(START, 13)) == {W13: date(2024, 6, 30)}


def test_52_weeks_reach_all_three() -> None:
    assert sustained(weekly_payslips(START, 52)) == {
        W13: date(2024, 6, 30),
        W26: date(2024, 9, 29),
        W52: date(2025, 3, 30),
    }


def test_a_week_below_the_minimum_is_not_in_work() -> None:
    evidence = weekly_payslips(START, 13)
    evidence[4] = payslip("short", date(2024, 4, 29), date(2024, 5, 5), hours=1599)
    assert sustained(evidence) == {}


def test_weeks_need_not_be_consecutive() -> None:
    evidence = weekly_payslips(START, 14)
    evidence[4] = payslip("short", date(2024, 4, 29), date(2024, 5, 5), hours=1000)
    # The 13th in-work week is the 14th calendar week: 2024-07-01..2024-07-07.
    assert sustained(evidence) == {W13: date(2024, 7, 7)}


def test_overlapping_evidence_is_summed() -> None:
    first = weekly_payslips(START, 13, hours=800, prefix="a")
    second = weekly_payslips(START, 13, hours=800, prefix="b")
    assert sustained(first) == {}
    assert sustained(first + second) == {W13: date(2024, 6, 30)}


def test_a_monthly_period_spreads_its_hours_over_every_week_it_touches() -> None:
    # 28 days, 64 hours: 64 x 7 / 28 = 16 hours in each of 4 weeks.
    month = payslip("m", date(2024, 4, 1), date(2024, 4, 28), hours=6400)
    assert weeks_in_work([month]) == [date(2024, 4, d) for d in (1, 8, 15, 22)]


def test_weekly_rate_is_compared_exactly() -> None:
    # 30 days touching 5 weeks; 68.58 h x 7 / 30 = 16.002 h, 68.57 h x 7 / 30 = 15.9997 h.
    enough = payslip("m", date(2024, 4, 1), date(2024, 4, 30), hours=6858)
    short = payslip("m", date(2024, 4, 1), date(2024, 4, 30), hours=6857)
    assert weeks_in_work([enough]) == [date(2024, 4, d) for d in (1, 8, 15, 22, 29)]
    assert weeks_in_work([short]) == []


def test_exactly_the_minimum_is_in_work() -> None:
    # 14 days, 32 hours: exactly 16 hours a week.
    assert weeks_in_work([payslip("f", date(2024, 4, 1), date(2024, 4, 14), hours=3200)]) == [
        date(2024, 4, 1),
        date(2024, 4, 8),
    ]


def test_a_week_whose_sunday_is_before_the_start_does_not_count() -> None:
    spanning = payslip("e", date(2024, 3, 25), date(2024, 4, 7), hours=3200)
    assert weeks_in_work([spanning]) == [date(2024, 4, 1)]


def test_a_week_whose_sunday_is_after_the_leaver_date_does_not_count() -> None:
    evidence = weekly_payslips(START, 12)
    # The 13th week's evidence ends on the leaver date, Saturday 2024-06-29: it counts,
    # but its week's Sunday (2024-06-30) is outside the window.
    evidence.append(payslip("sat", date(2024, 6, 24), date(2024, 6, 29), hours=1372))
    assert sustained(evidence) == {W13: date(2024, 6, 30)}
    assert sustained(evidence, leaver=date(2024, 6, 29)) == {}
    assert sustained(evidence, leaver=date(2024, 6, 30)) == {W13: date(2024, 6, 30)}


def test_the_last_week_of_the_window_ends_on_day_636() -> None:
    # Day 637 (2025-12-29) is a Monday: week 2025-12-22 counts, week 2025-12-29 does not.
    monday = payslip("mon", date(2025, 12, 29), date(2025, 12, 29), hours=1600)
    last_weeks = [*weekly_payslips(date(2025, 12, 15), 2), monday]
    assert weeks_in_work(last_weeks) == [date(2025, 12, 15), date(2025, 12, 22)]


def test_self_employment_hours_do_not_count() -> None:
    placements = [self_employed()]
    evidence = [
        self_employment(f"se{n}", START + timedelta(weeks=n), START + timedelta(weeks=n, days=6))
        for n in range(13)
    ]
    evidence = [EvidenceFacts(**{**ev.__dict__, "hours_hundredths": 4000}) for ev in evidence]
    assert sustained(evidence, placements) == {}


def test_facts_name_the_first_placement_and_the_evidence_of_the_counted_weeks() -> None:
    placements = [employed("p1", llw=True), employed("p2", date(2024, 4, 8))]
    evidence = [
        *weekly_payslips(START, 14, pid="p1"),
        payslip("p2-week", date(2024, 4, 8), date(2024, 4, 14), hours=100, pid="p2"),
    ]
    milestones = compute_milestones(window(), placements, evidence)
    assert milestones[W13] == MilestoneFacts(
        milestone=W13,
        reached_on=date(2024, 6, 30),
        job_pays_llw=True,
        placement_id="p1",
        evidence_ids=("p2-week", *(f"w{n:02d}" for n in range(13))),
    )

"""The minimum-wage feed (domain.md §11): breach for 25-49 and 50+, case to check for
16-24; by borough, sector, provider and month of job start; CSV for enforcement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.common.reference import load_rates
from services.insights.export import minimum_wage_csv
from services.insights.minimum_wage import Finding, feed_lines, summary


@dataclass(frozen=True)
class Row:
    placement_id: str
    borough: str
    age_band: str
    job_start_date: date
    hourly_wage_pence: int
    sic_sector: str | None = "G"
    employer_name: str | None = "Corner Shop Ltd"
    provider_id: str = "prov-whp-central"
    sub_region: str = "central"
    weekly_hours: Decimal = Decimal("20.00")


ROWS = [
    Row("j3", "Hackney", "50+", date(2024, 3, 2), 1000, sic_sector=None),
    Row("j1", "Camden", "25-49", date(2024, 4, 10), 1100),
    Row("j2", "Camden", "16-24", date(2024, 4, 30), 900, employer_name="=HYPERLINK(1)"),
    Row("j4", "Camden", "25-49", date(2024, 5, 1), 1100),
]


def test_age_band_decides_breach_or_case_to_check() -> None:
    lines = feed_lines(ROWS, load_rates().nlw)
    assert [
        (x.placement_id, x.finding, x.nlw_pence, x.shortfall_pence_per_hour) for x in lines
    ] == [
        ("j1", Finding.BREACH, 1144, 44),
        ("j2", Finding.CASE_TO_CHECK, 1144, 244),
        ("j4", Finding.BREACH, 1144, 44),
        ("j3", Finding.BREACH, 1042, 42),  # NLW before 1 April 2024; sector not given
    ]


def test_summary_by_borough_sector_provider_and_month() -> None:
    rows = summary(feed_lines(ROWS, load_rates().nlw))
    assert [(r.borough, r.sector, r.start_month, r.breaches, r.cases_to_check) for r in rows] == [
        ("Camden", "G", "2024-04", 1, 1),
        ("Camden", "G", "2024-05", 1, 0),
        ("Hackney", "not given", "2024-03", 1, 0),
    ]


def test_csv_for_the_enforcement_team_names_jobs_not_people() -> None:
    text = minimum_wage_csv(feed_lines(ROWS[1:3], load_rates().nlw))
    lines = text.splitlines()
    assert lines[0] == (
        "Borough,Sector,Provider,Placement,Employer,Job start,Age band,Finding,"
        "Hourly wage (pence),NLW (pence),Shortfall (pence per hour),Weekly hours"
    )
    assert (
        lines[1]
        == "Camden,G,prov-whp-central,j1,Corner Shop Ltd,2024-04-10,25-49,breach,1100,1144,44,20.00"
    )
    # a formula typed as an employer name is not run by a spreadsheet
    assert lines[2].startswith(
        "Camden,G,prov-whp-central,j2,'=HYPERLINK(1),2024-04-30,16-24,case to check"
    )
    assert "participant" not in text.lower()

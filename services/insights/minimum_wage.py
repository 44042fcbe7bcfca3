"""The minimum-wage feed for local enforcement (domain.md §11, background 004 rec. 6).

Confirmed employed placements flagged ``below_minimum_wage`` (below the adult rate, the
NLW). Youth rates apply under 21, so the age band decides what a line is: for ``25-49``
and ``50+`` a breach, for ``16-24`` a case to check. Lines name the employer where the
provider gave one; they carry no participant id (the enforcement team needs the job,
not the person).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from schemas.common import AgeBand
from services.common.reference import RateTable

from .months import month_label, month_of

NO_SECTOR = "not given"


class Finding(StrEnum):
    BREACH = "breach"
    CASE_TO_CHECK = "case to check"


class BelowMinimumWage(Protocol):
    """The read model's minimum-wage row (``services.views.read_model.MinimumWageRow``)."""

    @property
    def provider_id(self) -> str: ...
    @property
    def placement_id(self) -> str: ...
    @property
    def sub_region(self) -> str: ...
    @property
    def borough(self) -> str: ...
    @property
    def age_band(self) -> str: ...
    @property
    def employer_name(self) -> str | None: ...
    @property
    def sic_sector(self) -> str | None: ...
    @property
    def job_start_date(self) -> date: ...
    @property
    def hourly_wage_pence(self) -> int: ...
    @property
    def weekly_hours(self) -> Decimal: ...


@dataclass(frozen=True)
class FeedLine:
    borough: str
    sub_region: str
    sector: str
    provider_id: str
    placement_id: str
    employer_name: str | None
    job_start_date: date
    age_band: str
    finding: Finding
    hourly_wage_pence: int
    nlw_pence: int | None
    """The NLW in force on the job start date."""
    weekly_hours: Decimal

    @property
    def start_month(self) -> str:
        return month_label(month_of(self.job_start_date))

    @property
    def shortfall_pence_per_hour(self) -> int | None:
        return None if self.nlw_pence is None else self.nlw_pence - self.hourly_wage_pence


def finding_for(age_band: str) -> Finding:
    return Finding.CASE_TO_CHECK if age_band == AgeBand.YOUNG.value else Finding.BREACH


def feed_lines(rows: Iterable[BelowMinimumWage], nlw: RateTable) -> list[FeedLine]:
    """The feed, by borough, sector, provider, job start (then placement id)."""
    lines = [
        FeedLine(
            borough=r.borough,
            sub_region=r.sub_region,
            sector=r.sic_sector or NO_SECTOR,
            provider_id=r.provider_id,
            placement_id=r.placement_id,
            employer_name=r.employer_name,
            job_start_date=r.job_start_date,
            age_band=r.age_band,
            finding=finding_for(r.age_band),
            hourly_wage_pence=r.hourly_wage_pence,
            nlw_pence=nlw.rate_on(r.job_start_date),
            weekly_hours=r.weekly_hours,
        )
        for r in rows
    ]
    return sorted(
        lines,
        key=lambda x: (x.borough, x.sector, x.provider_id, x.job_start_date, x.placement_id),
    )


@dataclass(frozen=True)
class FeedSummaryRow:
    borough: str
    sector: str
    provider_id: str
    start_month: str
    breaches: int
    cases_to_check: int


def summary(lines: Iterable[FeedLine]) -> list[FeedSummaryRow]:
    """Breaches and cases to check by borough, sector, provider and month of job start."""
    counts: Counter[tuple[str, str, str, str, Finding]] = Counter(
        (x.borough, x.sector, x.provider_id, x.start_month, x.finding) for x in lines
    )
    keys = sorted({k[:4] for k in counts})
    return [
        FeedSummaryRow(
            *key,
            breaches=counts[(*key, Finding.BREACH)],
            cases_to_check=counts[(*key, Finding.CASE_TO_CHECK)],
        )
        for key in keys
    ]

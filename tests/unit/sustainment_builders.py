"""Builders for the sustainment domain's unit tests: terse facts with sensible defaults."""

from __future__ import annotations

from datetime import date, timedelta

from schemas.common import EmploymentType, EvidenceKind
from services.sustainment.domain import EvidenceFacts, ParticipantWindow, PlacementFacts

START = date(2024, 4, 1)
"""Programme start S, a Monday; the NLW in force is 1144 pence."""


def window(
    leaver: date | None = None, nlw: int = 1144, min_hours: int = 1600, start: date = START
) -> ParticipantWindow:
    return ParticipantWindow(
        start_date=start,
        leaver_date=leaver,
        nlw_pence_at_start=nlw,
        weekly_hours_min_hundredths=min_hours,
    )


def employed(pid: str = "p1", start: date = START, llw: bool = False) -> PlacementFacts:
    return PlacementFacts(pid, start, EmploymentType.EMPLOYED, llw)


def self_employed(pid: str = "s1", start: date = START) -> PlacementFacts:
    return PlacementFacts(pid, start, EmploymentType.SELF_EMPLOYED, False)


def payslip(
    eid: str,
    start: date,
    end: date,
    pence: int = 0,
    hours: int = 0,
    pid: str = "p1",
    reported: date | None = None,
    kind: EvidenceKind = EvidenceKind.PAYSLIP,
) -> EvidenceFacts:
    return EvidenceFacts(
        evidence_id=eid,
        placement_id=pid,
        kind=kind,
        period_start=start,
        period_end=end,
        gross_earnings_pence=pence,
        hours_hundredths=hours,
        reported_on=reported or end,
    )


def self_employment(
    eid: str, start: date, end: date, pid: str = "s1", reported: date | None = None
) -> EvidenceFacts:
    return payslip(
        eid, start, end, pence=10_000, pid=pid, reported=reported, kind=EvidenceKind.SELF_EMPLOYMENT
    )


def weekly_payslips(
    first_monday: date, weeks: int, hours: int = 1600, pid: str = "p1", prefix: str = "w"
) -> list[EvidenceFacts]:
    """One Monday-to-Sunday payslip per week, ids ``w00``, ``w01``, ..."""
    return [
        payslip(
            f"{prefix}{n:02d}",
            first_monday + timedelta(weeks=n),
            first_monday + timedelta(weeks=n, days=6),
            pence=18_304,
            hours=hours,
            pid=pid,
        )
        for n in range(weeks)
    ]

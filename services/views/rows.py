"""Read-model rows (asyncpg records) as the pure values of projections.py and derive.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from schemas.common import EmploymentType, MilestoneKind
from services.views.derive import JobFacts, MilestoneOccurrence
from services.views.projections import Progress
from services.views.records import DerivedColumns


def job_facts(j: Any) -> JobFacts:
    """A ``placements`` row."""
    return JobFacts(
        placement_id=j["placement_id"],
        job_start_date=j["job_start_date"],
        employment_type=EmploymentType(j["employment_type"]),
        hourly_wage_pence=j["hourly_wage_pence"],
        weekly_hours=Decimal(j["weekly_hours"]),
        ended_on=j["ended_on"],
        withdrawn=j["withdrawn_on"] is not None,
    )


def progress_of(r: Any) -> Progress:
    """A ``progress`` row."""
    return Progress(
        earnings_threshold_pence=r["earnings_threshold_pence"],
        weekly_hours_min=Decimal(r["weekly_hours_min"]),
        counted_earnings_pence=r["counted_earnings_pence"],
        latest_employed_evidence_end=r["latest_employed_evidence_end"],
        in_work_weeks=r["in_work_weeks"],
        self_employment_days=r["self_employment_days"],
        latest_self_employment_end=r["latest_self_employment_end"],
    )


def nothing_counted(p: Any) -> Progress:
    """A ``participants`` row's threshold and weekly minimum, before any evidence."""
    return Progress(
        earnings_threshold_pence=p["earnings_threshold_pence"],
        weekly_hours_min=Decimal(p["weekly_hours_min"]),
    )


def latest_ends(r: Any) -> dict[str, date]:
    """A ``progress`` row's latest counting period end of each placement."""
    return dict(zip(r["evidence_placement_ids"], r["evidence_period_ends"], strict=True))


def occurrence(m: Any) -> MilestoneOccurrence:
    """A ``milestones`` row."""
    return MilestoneOccurrence(
        milestone=MilestoneKind(m["milestone"]),
        occurrence=m["occurrence"],
        reached=m["reached"],
        revoked=m["revoked"],
    )


def stored_derived(p: Any) -> DerivedColumns:
    """A ``participants`` row's derived columns as it holds them."""
    return DerivedColumns(
        key=(p["provider_id"], p["participant_id"]),
        in_work=p["in_work"],
        milestones_reached=tuple(MilestoneKind(m) for m in p["milestones_reached"]),
        counted_milestones=tuple(MilestoneKind(m) for m in p["counted_milestones"]),
        next_milestone=None if p["next_milestone"] is None else MilestoneKind(p["next_milestone"]),
        next_projected_on=p["next_projected_on"],
        next_on_track=p["next_on_track"],
        evidence_due_since=p["evidence_due_since"],
    )

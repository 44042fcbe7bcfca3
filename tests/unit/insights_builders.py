"""Small hand-made populations for the insights tests."""

from __future__ import annotations

from datetime import date

from schemas.common import MilestoneKind as M
from services.insights.starters import Starter


def starter(
    start: date = date(2024, 1, 15),
    *,
    borough: str = "Camden",
    sub_region: str = "central",
    group: str = "disability",
    age_band: str = "25-49",
    provider: str = "prov-whp-central",
    source: str = "jobcentre",
    in_work: bool = False,
    **reached: date,
) -> Starter:
    """A starter; ``reached`` names milestones and the dates they were first reached.

    ``in_work`` defaults to True when a milestone is reached (they all need a placement).
    """
    milestones = tuple((M(kind), day) for kind, day in reached.items())
    return Starter(
        provider_id=provider,
        sub_region=sub_region,
        borough=borough,
        eligibility_group=group,
        age_band=age_band,
        referral_source=source,
        start_date=start,
        ever_in_work=in_work or bool(milestones),
        milestones=tuple(sorted(milestones, key=lambda kv: list(M).index(kv[0]))),
    )

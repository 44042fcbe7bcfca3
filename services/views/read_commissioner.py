"""Read API for commissioners: plain rows for the funnel and the minimum-wage feed
(domain.md §11); the pages aggregate them (counts below 10 shown as "<10")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from schemas.common import MilestoneKind
from services.common.db import Connection
from services.views.read_model import FunnelRow, MinimumWageRow


async def funnel_rows(
    conn: Connection,
    sub_regions: Sequence[str] | None = None,
    started_from: date | None = None,
    started_until: date | None = None,
) -> list[FunnelRow]:
    """Every participant (of the sub-regions given; all when None) who started in the
    period (both ends inclusive), with ever-in-work and standing milestones."""
    records = await conn.fetch(
        """
        SELECT p.participant_id, p.provider_id, p.contract_id, p.sub_region, p.borough,
               p.eligibility_group, p.age_band, p.referral_source, p.start_date, p.in_work,
               coalesce((
                   SELECT array_agg(m.milestone || ' ' || m.reached_on ORDER BY m.milestone)
                   FROM milestones m
                   WHERE m.provider_id = p.provider_id AND m.participant_id = p.participant_id
                     AND m.milestone = ANY(p.milestones_reached)
                     AND m.revoked_at IS NULL AND m.reached_on IS NOT NULL
               ), '{}') AS reached
        FROM participants p
        WHERE ($1::text[] IS NULL OR p.sub_region = ANY($1::text[]))
          AND ($2::date IS NULL OR p.start_date >= $2)
          AND ($3::date IS NULL OR p.start_date <= $3)
        ORDER BY p.start_date, p.provider_id, p.participant_id
        """,
        list(sub_regions) if sub_regions is not None else None,
        started_from,
        started_until,
    )
    return [
        FunnelRow(
            participant_id=r["participant_id"],
            provider_id=r["provider_id"],
            contract_id=r["contract_id"],
            sub_region=r["sub_region"],
            borough=r["borough"],
            eligibility_group=r["eligibility_group"],
            age_band=r["age_band"],
            referral_source=r["referral_source"],
            start_date=r["start_date"],
            ever_in_work=r["in_work"],
            milestones=_first_reached(r["reached"]),
        )
        for r in records
    ]


def _first_reached(pairs: Sequence[str]) -> tuple[tuple[MilestoneKind, date], ...]:
    first: dict[MilestoneKind, date] = {}
    for pair in pairs:
        kind, _, day = pair.partition(" ")
        when = date.fromisoformat(day)
        milestone = MilestoneKind(kind)
        first[milestone] = min(when, first.get(milestone, when))
    return tuple(sorted(first.items(), key=lambda kv: list(MilestoneKind).index(kv[0])))


async def minimum_wage_rows(
    conn: Connection,
    sub_regions: Sequence[str] | None = None,
    started_from: date | None = None,
    started_until: date | None = None,
) -> list[MinimumWageRow]:
    """Confirmed employed placements, not withdrawn, flagged ``below_minimum_wage``, by
    job start date (both ends inclusive)."""
    records = await conn.fetch(
        """
        SELECT j.provider_id, j.placement_id, j.participant_id, p.sub_region, p.borough,
               p.age_band, j.employer_name, j.sic_sector, j.job_start_date,
               j.hourly_wage_pence, j.weekly_hours
        FROM placements j
        JOIN participants p ON p.provider_id = j.provider_id
                           AND p.participant_id = j.participant_id
        WHERE j.below_minimum_wage AND j.employment_type = 'employed'
          AND j.withdrawn_on IS NULL
          AND ($1::text[] IS NULL OR p.sub_region = ANY($1::text[]))
          AND ($2::date IS NULL OR j.job_start_date >= $2)
          AND ($3::date IS NULL OR j.job_start_date <= $3)
        ORDER BY j.job_start_date, j.provider_id, j.placement_id
        """,
        list(sub_regions) if sub_regions is not None else None,
        started_from,
        started_until,
    )
    return [MinimumWageRow(**dict(r)) for r in records]

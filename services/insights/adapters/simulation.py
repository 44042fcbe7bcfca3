"""What the in-memory simulator decided, as the insights read it: accepted histories (for
the what-if tests and the benchmark), starters and their milestones, jobs below the
minimum wage -- the same facts the PostgreSQL read model holds (for the synthetic-feed
figures, ``tools/insights_demo.py``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from schemas.common import MilestoneKind
from schemas.intake import ParticipantStarted
from services.insights.starters import Starter
from services.insights.whatif import AcceptedHistory
from services.simulation import Simulation
from services.sustainment.adapters.memory import SustainmentStore
from services.sustainment.facts import EvidenceFacts, PlacementFacts


def accepted_histories(store: SustainmentStore) -> list[AcceptedHistory]:
    placements: dict[str, list[PlacementFacts]] = defaultdict(list)
    for p in store.placements.values():
        if not p.withdrawn:
            placements[p.participant_id].append(p.facts)
    evidence: dict[str, list[EvidenceFacts]] = defaultdict(list)
    for e in store.evidence.values():
        if not e.retracted:
            evidence[e.participant_id].append(e.facts)
    return [
        AcceptedHistory(
            participant_id=pid,
            provider_id=r.provider_id,
            contract_id=r.contract_id,
            eligibility_group=r.eligibility_group,
            start_date=r.window.start_date,
            leaver_date=r.window.leaver_date,
            placements=tuple(placements[pid]),
            evidence=tuple(evidence[pid]),
        )
        for pid, r in sorted(store.participants.items())
    ]


def started(sim: Simulation) -> dict[str, ParticipantStarted]:
    """participant_id -> the start that stands (a displaced start counts for nothing)."""
    standing = sim.intake.started_by_participant
    return {
        e.participant_id: e
        for e in sim.of_type(ParticipantStarted)
        if standing.get(e.participant_id) == (e.provider_id, e.referral_id)
    }


def starters(sim: Simulation) -> list[Starter]:
    """Every participant whose start stands, with the milestones standing at the end."""
    reached: dict[str, list[tuple[MilestoneKind, date]]] = defaultdict(list)
    for (pid, kind), m in sim.standing().items():
        reached[pid].append((kind, m.reached_on))
    in_work = {
        p.participant_id
        for p in sim.sustainment.placements.values()
        if not p.withdrawn
        and p.participant_id in sim.sustainment.participants
        and sim.sustainment.participants[p.participant_id].window.allows_job_start(
            p.facts.job_start_date
        )
    }
    order = list(MilestoneKind)
    return [
        Starter(
            provider_id=e.provider_id,
            sub_region=e.sub_region.value,
            borough=e.borough,
            eligibility_group=e.eligibility_group.value,
            age_band=e.age_band.value,
            referral_source=e.referral_source.value,
            start_date=e.start_date,
            ever_in_work=pid in in_work,
            milestones=tuple(sorted(reached[pid], key=lambda kv: order.index(kv[0]))),
        )
        for pid, e in sorted(started(sim).items())
    ]


@dataclass(frozen=True)
class BelowMinimumWageJob:
    provider_id: str
    placement_id: str
    sub_region: str
    borough: str
    age_band: str
    employer_name: str | None
    sic_sector: str | None
    job_start_date: date
    hourly_wage_pence: int
    weekly_hours: Decimal


def below_minimum_wage(sim: Simulation) -> list[BelowMinimumWageJob]:
    """Confirmed employed jobs, not withdrawn, flagged below the NLW."""
    people = started(sim)
    return [
        BelowMinimumWageJob(
            provider_id=r.job.provider_id,
            placement_id=r.job.placement_id,
            sub_region=people[r.participant_id].sub_region.value,
            borough=people[r.participant_id].borough,
            age_band=people[r.participant_id].age_band.value,
            employer_name=r.job.employer_name,
            sic_sector=r.job.sic_sector,
            job_start_date=r.job.job_start_date,
            hourly_wage_pence=r.job.hourly_wage_pence or 0,
            weekly_hours=r.job.weekly_hours,
        )
        for r in sim.placement.placements.values()
        if r.below_minimum_wage and not r.withdrawn and r.participant_id in people
    ]

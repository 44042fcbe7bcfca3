"""The funnel and the cohort curves respect what the rule book implies (domain.md §6,
§11) on populations whose milestones the real rules decided (``compute_milestones``):
in work >= first earnings >= earnings outcome; sustained 13 >= 26 >= 52 weeks; every
milestone <= in work. Milestones are not a ladder, so nothing else is assumed."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import EmploymentType, EvidenceKind
from services.insights.cohorts import curve
from services.insights.dimensions import Dimension
from services.insights.funnel import Stage, funnel
from services.insights.starters import Starter
from services.sustainment.facts import EvidenceFacts, PlacementFacts
from services.sustainment.milestones import compute_milestones
from tests.unit.sustainment_builders import window

TODAY = date(2026, 1, 31)
MILESTONE_STAGES = [s for s in Stage if s not in (Stage.STARTED, Stage.IN_WORK)]


@st.composite
def evidence_for(draw: st.DrawFn, placement: PlacementFacts, n: int) -> list[EvidenceFacts]:
    pieces = []
    employed = placement.employment_type is EmploymentType.EMPLOYED
    for i in range(n):
        start = placement.job_start_date + timedelta(days=draw(st.integers(-10, 600)))
        days = draw(st.integers(1, 35))
        pieces.append(
            EvidenceFacts(
                evidence_id=f"{placement.placement_id}-e{i}",
                placement_id=placement.placement_id,
                kind=EvidenceKind.PAYSLIP if employed else EvidenceKind.SELF_EMPLOYMENT,
                period_start=start,
                period_end=start + timedelta(days=days - 1),
                gross_earnings_pence=draw(st.sampled_from([0, 5_000, 60_000, 250_000])),
                hours_hundredths=draw(st.integers(0, 24 * 100 * days)),
                reported_on=start + timedelta(days=days - 1 + draw(st.integers(0, 120))),
            )
        )
    return pieces


@st.composite
def starters(draw: st.DrawFn, n: int) -> Starter:
    start = date(2023, 1, 2) + timedelta(days=draw(st.integers(0, 600)))
    leaver = draw(st.none() | st.integers(0, 500).map(lambda d: start + timedelta(days=d)))
    w = window(leaver=leaver, start=start, min_hours=draw(st.sampled_from([800, 1600])))
    placements = [
        PlacementFacts(
            f"p{n}-{j}",
            start + timedelta(days=draw(st.integers(0, 400))),
            draw(st.sampled_from(EmploymentType)),
            draw(st.booleans()),
        )
        for j in range(draw(st.integers(0, 2)))
    ]
    evidence = [e for p in placements for e in draw(evidence_for(p, draw(st.integers(0, 14))))]
    milestones = compute_milestones(w, placements, evidence)
    return Starter(
        provider_id=draw(st.sampled_from(["prov-a", "prov-b"])),
        sub_region="central",
        borough=draw(st.sampled_from(["Camden", "Hackney"])),
        eligibility_group="disability",
        age_band=draw(st.sampled_from(["16-24", "25-49", "50+"])),
        referral_source="jobcentre",
        start_date=start,
        ever_in_work=any(w.allows_job_start(p.job_start_date) for p in placements),
        milestones=tuple((kind, f.reached_on) for kind, f in milestones.items()),
    )


def populations() -> st.SearchStrategy[list[Starter]]:
    return st.integers(1, 25).flatmap(
        lambda k: st.tuples(*(starters(n) for n in range(k))).map(list)
    )


def implied(c: dict[Stage, int]) -> None:
    assert c[Stage.STARTED] >= c[Stage.IN_WORK]
    assert c[Stage.IN_WORK] >= c[Stage.FIRST_EARNINGS] >= c[Stage.EARNINGS_OUTCOME]
    assert c[Stage.SUSTAINED_13W] >= c[Stage.SUSTAINED_26W] >= c[Stage.SUSTAINED_52W]
    assert all(c[s] <= c[Stage.IN_WORK] for s in MILESTONE_STAGES)
    assert c[Stage.JOB_OUTCOME] <= c[Stage.EARNINGS_OUTCOME] + c[Stage.SELF_EMPLOYMENT_OUTCOME]


@settings(max_examples=60, deadline=None)
@given(
    populations(),
    st.sampled_from([(), (Dimension.BOROUGH,), (Dimension.AGE_BAND, Dimension.PROVIDER)]),
)
def test_funnel_counts_respect_the_rule_book(
    people: list[Starter], dims: tuple[Dimension, ...]
) -> None:
    f = funnel(people, dims)
    for row in (*f.rows, f.total):
        implied(row.counts)
    assert sum(r.counts[Stage.STARTED] for r in f.rows) == len(people)


@settings(max_examples=40, deadline=None)
@given(populations())
def test_cohort_curves_respect_the_rule_book_at_every_month(people: list[Starter]) -> None:
    reached = {s: [p.reached for p in curve(people, s, TODAY).points] for s in Stage}
    for m in range(len(reached[Stage.STARTED])):
        implied({s: reached[s][m] for s in Stage})
    points = curve(people, Stage.STARTED, TODAY).points
    assert all(p.reached == p.starters for p in points)  # everyone started by month 1

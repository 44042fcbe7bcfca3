"""The insights of the synthetic feed, in memory: the feed (``tools.feed``) runs through
the simulator, then the commissioners' funnel, the cohort curves (SVG and CSV), the
minimum-wage feed of the borough with the most lines, and a what-if (a contract's LLW
uplift changed) are printed -- the figures the pages show for the same events.

    python -m tools.insights_demo --participants 3000 --seed 42 --today 2025-06-30 \\
        [--contract whp-central --uplift 40] [--chart insights-synthetic-cohorts.svg]
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from services.common.reference import load_contracts, load_rates
from services.insights.adapters.simulation import accepted_histories, below_minimum_wage, starters
from services.insights.chart import cohort_chart_svg
from services.insights.cohorts import CURVE_STAGES, curves_by
from services.insights.dimensions import Dimension
from services.insights.funnel import Stage, funnel
from services.insights.minimum_wage import Finding, feed_lines
from services.insights.suppression import SUPPRESSED, shown_count, shown_percent
from services.insights.whatif import ContractEdit, what_if
from services.simulation import simulate
from services.views.statements import format_pence
from tools import arguments
from tools.feed.generate import generate_feed

HORIZONS = (3, 6, 12, 18)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.insights_demo", description=__doc__)
    parser.add_argument("--participants", type=arguments.participant_count, default=3000)
    parser.add_argument("--seed", type=arguments.seed, default=42)
    parser.add_argument("--today", type=arguments.iso_date, default=date(2025, 6, 30))
    parser.add_argument("--contract", default="whp-central")
    parser.add_argument("--uplift", type=int, default=40, help="the what-if LLW uplift, percent")
    parser.add_argument("--chart", type=Path, help="write the cohort chart (SVG) to this file")
    args = parser.parse_args(argv)
    sim = simulate(item.event for item in generate_feed(args.participants, args.seed))
    people = starters(sim)

    result = funnel(people, (Dimension.SUB_REGION,))
    print(f"Funnel of {len(people)} starters by sub-region (counts < 10 shown as {SUPPRESSED})")
    print("  " + " | ".join(["sub-region", *(s.label for s in Stage)]))
    for row in (*result.rows, result.total):
        print(
            "  "
            + " | ".join([*(row.key or ("All",)), *(shown_count(row.counts[s]) for s in Stage)])
        )

    print(f"\nCohort rates, all starters pooled over cohorts old enough on {args.today}:")
    curves = {s: curves_by(people, s, args.today)[0] for s in CURVE_STAGES}
    for stage, c in curves.items():
        cells = []
        for p in c.points:
            if p.months in HORIZONS:
                shown = SUPPRESSED if p.share is None else shown_percent(p.share)
                band = (
                    ""
                    if p.low is None or p.high is None
                    else f" [{shown_percent(p.low)}-{shown_percent(p.high)}]"
                )
                cells.append(f"{p.months}m {shown}{band} of {p.starters} ({p.cohorts} cohorts)")
        print(f"  {stage.label}: " + "; ".join(cells))

    lines = feed_lines(below_minimum_wage(sim), load_rates().nlw)
    borough, count = Counter(x.borough for x in lines).most_common(1)[0] if lines else ("-", 0)
    mine = [x for x in lines if x.borough == borough]
    findings = Counter(x.finding for x in mine)
    print(
        f"\nMinimum-wage feed: {len(lines)} jobs below the NLW; {borough}: {count}"
        f" ({findings[Finding.BREACH]} breaches, {findings[Finding.CASE_TO_CHECK]} cases to check)"
    )
    for x in mine[:5]:
        print(
            f"  {x.finding.value:<13} {x.employer_name or 'employer not given'} ({x.sector})"
            f" {x.job_start_date} {x.age_band} {x.hourly_wage_pence}p < {x.nlw_pence}p"
        )

    contract = load_contracts().contracts[args.contract]
    change = what_if(
        accepted_histories(sim.sustainment),
        contract,
        ContractEdit(llw_uplift_percent=args.uplift),
        load_rates(),
    )
    gained = Counter(c.provider_id for c in change.changes if c.difference_pence > 0)
    print(
        f"\nWhat if {args.contract}'s LLW uplift were {args.uplift}% (now"
        f" {contract.llw_uplift_percent}%): {change.participants} participants replayed;"
        f" {format_pence(change.total_as_is_pence)} -> {format_pence(change.total_what_if_pence)}"
        f" ({format_pence(change.difference_pence)}); {len(change.changes)} participants gain,"
        f" by provider {dict(gained)}"
    )
    for name, totals in (("milestone", change.by_milestone), ("group", change.by_group)):
        changes = {k: format_pence(totals.difference(k)) for k in totals.names()}
        print(f"  change by {name}: {changes}")

    if args.chart is not None:
        args.chart.write_text(
            cohort_chart_svg(
                [replace(c, label=stage.label) for stage, c in curves.items()],
                "Synthetic feed: share of starters by months since start",
                "Ever in work, earnings outcome and sustained 13 weeks, pooled over cohorts"
                " old enough; shaded: 95% confidence interval.",
                "synthetic",
            )
        )


if __name__ == "__main__":
    main()

"""CSV downloads of the commissioners' and enforcement views: the figures as the page
shows them (suppressed counts stay "<10"). Text a provider typed (an employer name) that
a spreadsheet would run as a formula is prefixed with an apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from .cohorts import Curve
from .funnel import Funnel, Stage
from .minimum_wage import FeedLine
from .suppression import SUPPRESSED, shown_count

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def funnel_csv(f: Funnel) -> str:
    header = [d.label for d in f.dimensions] + [s.label for s in Stage]
    rows = [[*r.key, *(shown_count(r.counts[s]) for s in Stage)] for r in f.rows]
    total_key = ["All"] * len(f.dimensions)
    rows.append([*total_key, *(shown_count(f.total.counts[s]) for s in Stage)])
    return _csv(header, rows)


def curves_csv(curves: Iterable[Curve]) -> str:
    header = ["Breakdown", "Stage", "Months since start", "Cohorts pooled", "Starters",
              "Reached", "Share", "95% low", "95% high"]  # fmt: skip
    rows = []
    for c in curves:
        for p in c.points:
            shown = not p.suppressed
            rows.append(
                [
                    c.label,
                    c.stage.label,
                    p.months,
                    p.cohorts,
                    shown_count(p.starters),
                    shown_count(p.reached) if shown else SUPPRESSED,
                    f"{p.share:.4f}" if p.share is not None else SUPPRESSED,
                    f"{p.low:.4f}" if p.low is not None else "",
                    f"{p.high:.4f}" if p.high is not None else "",
                ]
            )
    return _csv(header, rows)


def minimum_wage_csv(lines: Iterable[FeedLine]) -> str:
    header = ["Borough", "Sector", "Provider", "Placement", "Employer", "Job start",
              "Age band", "Finding", "Hourly wage (pence)", "NLW (pence)",
              "Shortfall (pence per hour)", "Weekly hours"]  # fmt: skip
    rows = [
        [
            x.borough,
            x.sector,
            x.provider_id,
            x.placement_id,
            x.employer_name or "",
            x.job_start_date.isoformat(),
            x.age_band,
            x.finding.value,
            x.hourly_wage_pence,
            x.nlw_pence if x.nlw_pence is not None else "",
            x.shortfall_pence_per_hour if x.shortfall_pence_per_hour is not None else "",
            x.weekly_hours,
        ]
        for x in lines
    ]
    return _csv(header, rows)

"""What Grafana would show, for people without Grafana (the ops page): every panel of
the dashboard (``deploy/grafana/dashboards/outcomes.json``) as its current values, and
rejections by reason over the last hour. Pure: Prometheus' JSON answers in, lines out."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.common.dashboard import PanelQuery

REJECTIONS_OVER_TIME = "sum by (reason) (increase(outcomes_events_rejected_total[5m]))"
MAX_SERIES = 50
"""A panel shows at most this many series (the rest are counted, not listed)."""


@dataclass(frozen=True)
class PanelLine:
    legend: str
    value: str


@dataclass(frozen=True)
class Panel:
    title: str
    lines: tuple[PanelLine, ...]
    error: str | None = None
    left_out: int = 0


def legend_of(template: str, labels: Mapping[str, str]) -> str:
    """``{{service}} {{topic}}`` with the series' labels filled in."""
    out = template
    for name, value in labels.items():
        out = out.replace("{{" + name + "}}", value).replace("{{ " + name + " }}", value)
    while "{{" in out and "}}" in out:
        start, end = out.index("{{"), out.index("}}") + 2
        out = out[:start] + out[end:]
    return " ".join(out.split()) or ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def shown_value(raw: str) -> str:
    number = float(raw)
    if math.isnan(number):
        return "no data"
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.3g}"


def panels(queries: Sequence[PanelQuery], answers: Sequence[Mapping[str, Any]]) -> list[Panel]:
    """One panel per dashboard title, its targets' series in order, from the answers to
    ``GET /api/v1/query`` (one per query, same order)."""
    by_title: dict[str, list[PanelLine]] = {}
    errors: dict[str, str] = {}
    for q, answer in zip(queries, answers, strict=True):
        lines = by_title.setdefault(q.panel, [])
        if answer.get("status") != "success":
            errors[q.panel] = str(answer.get("error", "Prometheus did not answer"))
            continue
        for series in answer["data"]["result"]:
            lines.append(
                PanelLine(legend_of(q.legend, series["metric"]), shown_value(series["value"][1]))
            )
    return [
        Panel(
            title,
            tuple(sorted(lines, key=lambda x: x.legend)[:MAX_SERIES]),
            errors.get(title),
            max(0, len(lines) - MAX_SERIES),
        )
        for title, lines in by_title.items()
    ]


@dataclass(frozen=True)
class OverTime:
    """Rejections per reason in each 5-minute step of the last hour."""

    times: tuple[datetime, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]


def over_time(answer: Mapping[str, Any]) -> OverTime:
    """From a ``GET /api/v1/query_range`` answer of ``REJECTIONS_OVER_TIME``."""
    if answer.get("status") != "success":
        return OverTime((), ())
    stamps = sorted({float(t) for s in answer["data"]["result"] for t, _ in s["values"]})
    series = []
    for s in answer["data"]["result"][:MAX_SERIES]:
        values = {float(t): v for t, v in s["values"]}
        counts = tuple(
            round(float(values[t])) if t in values and not math.isnan(float(values[t])) else 0
            for t in stamps
        )
        series.append((s["metric"].get("reason", "?"), counts))
    times = tuple(datetime.fromtimestamp(t, UTC) for t in stamps)
    return OverTime(times, tuple(sorted(series)))

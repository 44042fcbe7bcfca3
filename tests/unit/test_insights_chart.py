"""The cohort chart is well-formed SVG with a title and description, one line and band
per shown run of months, and gaps where a month is suppressed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.insights.chart import MAX_CURVES, cohort_chart_svg
from services.insights.cohorts import Curve, CurvePoint
from services.insights.funnel import Stage

NS = {"svg": "http://www.w3.org/2000/svg"}


def point(m: int, share: float | None) -> CurvePoint:
    if share is None:
        return CurvePoint(m, 1, 40, 3, None, None, None)
    return CurvePoint(m, 1, 40, int(share * 40), share, share - 0.1, share + 0.1)


def test_lines_bands_and_gaps() -> None:
    curves = [
        Curve(
            "2024-01 <Camden & co>",
            Stage.IN_WORK,
            (point(1, 0.2), point(2, None), point(3, 0.4), point(4, 0.5)),
        ),
        Curve("2024-02", Stage.IN_WORK, (point(1, 0.3), point(2, 0.35))),
    ]
    svg = ET.fromstring(
        cohort_chart_svg(curves, "Job start by months since start", "Share of starters", "c1")
    )
    assert svg.get("role") == "img"
    assert svg.find("svg:title", NS).text == "Job start by months since start"  # type: ignore[union-attr]
    assert svg.find("svg:desc", NS).text == "Share of starters"  # type: ignore[union-attr]
    lines = svg.findall("svg:polyline", NS)
    bands = svg.findall("svg:polygon", NS)
    # curve 1: from the origin to month 1, then months 3-4 (the suppressed month 2 breaks
    # it); curve 2: the origin and months 1-2. A dot on every month shown.
    assert [len(p.get("points", "").split()) for p in lines] == [2, 2, 3]
    assert [len(p.get("points", "").split()) for p in bands] == [4, 4, 6]
    assert len(svg.findall("svg:circle", NS)) == 5
    labels = [t.text for t in svg.findall("svg:text", NS)]
    assert "2024-01 <Camden & co>"[:22] in labels
    assert lines[0].get("stroke") != lines[2].get("stroke")
    assert lines[0].get("stroke-dasharray") != lines[2].get("stroke-dasharray")


def test_at_most_max_curves_are_drawn() -> None:
    curves = [Curve(f"c{i}", Stage.IN_WORK, (point(1, 0.5), point(2, 0.6))) for i in range(12)]
    svg = ET.fromstring(cohort_chart_svg(curves, "t", "d", "c2"))
    assert len(svg.findall("svg:polyline", NS)) == MAX_CURVES

"""Cohort curves as server-rendered SVG: pure functions from curves to SVG text.

Each curve is a line of the share reached by months since start with its 95 % band
(Wilson); suppressed months leave a gap. Lines differ by colour and dash pattern (never
colour alone). The SVG is an image with a title and description; the page puts the same
figures in a table beneath it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .cohorts import Curve, CurvePoint

WIDTH, HEIGHT = 720, 400
LEFT, RIGHT, TOP, BOTTOM = 56, 200, 24, 48
PALETTE = ("#1d70b8", "#00703c", "#d4351c", "#4c2c92", "#f47738", "#28a197", "#d53880", "#505a5f")
DASHES = ("", "8 4", "2 3", "12 4 2 4", "4 4", "16 4", "1 2", "6 2 2 2")
MAX_CURVES = len(PALETTE)


def _x(months: int, last: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * months / max(last, 1)


def _y(share: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - share)


ORIGIN = CurvePoint(0, 0, 0, 0, 0.0, 0.0, 0.0)
"""Month 0: nobody has reached anything yet (every curve starts at 0 %)."""


def _runs(points: Sequence[CurvePoint]) -> list[list[CurvePoint]]:
    """Consecutive months that are shown (a suppressed month breaks the line); the first
    run starts at the origin when month 1 is shown."""
    runs: list[list[CurvePoint]] = [[ORIGIN]]
    for p in points:
        if p.suppressed:
            runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r and r != [ORIGIN]]


def _axes(last: int) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{_y(0):.1f}" x2="{_x(last, last):.1f}" y2="{_y(0):.1f}" '
        'stroke="#0b0c0c"/>',
        f'<line x1="{LEFT}" y1="{_y(0):.1f}" x2="{LEFT}" y2="{_y(1):.1f}" stroke="#0b0c0c"/>',
    ]
    for tenth in range(0, 11, 2):
        y = _y(tenth / 10)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{_x(last, last):.1f}" y2="{y:.1f}" '
            'stroke="#b1b4b6" stroke-width="0.5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tenth * 10}%</text>'
        )
    step = 3 if last > 12 else 1
    for m in range(0, last + 1, step):
        parts.append(
            f'<text x="{_x(m, last):.1f}" y="{_y(0) + 18:.1f}" text-anchor="middle">{m}</text>'
        )
    parts.append(
        f'<text x="{(LEFT + _x(last, last)) / 2:.1f}" y="{HEIGHT - 8}" '
        'text-anchor="middle">Months since start</text>'
    )
    return parts


def _series(curve: Curve, index: int, last: int) -> list[str]:
    colour, dash = PALETTE[index], DASHES[index]
    parts = []
    for run in _runs(curve.points):
        upper = [f"{_x(p.months, last):.1f},{_y(p.high or 0):.1f}" for p in run]
        lower = [f"{_x(p.months, last):.1f},{_y(p.low or 0):.1f}" for p in reversed(run)]
        parts.append(
            f'<polygon points="{" ".join(upper + lower)}" fill="{colour}" fill-opacity="0.15"/>'
        )
        line = " ".join(f"{_x(p.months, last):.1f},{_y(p.share or 0):.1f}" for p in run)
        dashing = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"{dashing}/>'
        )
        parts.extend(
            f'<circle cx="{_x(p.months, last):.1f}" cy="{_y(p.share or 0):.1f}" r="3" '
            f'fill="{colour}"/>'
            for p in run
            if p is not ORIGIN
        )
    y = TOP + 20 * index + 8
    x = WIDTH - RIGHT + 16
    dashing = f' stroke-dasharray="{dash}"' if dash else ""
    parts.append(
        f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="{colour}" stroke-width="2"'
        f"{dashing}/>"
        f'<text x="{x + 34}" y="{y + 4}">{escape(curve.label[:22])}</text>'
    )
    return parts


def cohort_chart_svg(curves: Sequence[Curve], title: str, description: str, ident: str) -> str:
    """The chart of at most ``MAX_CURVES`` curves (more are left out: pick a breakdown)."""
    shown = list(curves[:MAX_CURVES])
    last = max((p.months for c in shown for p in c.points), default=1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="app-chart__svg" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
        'font-family="Arial, sans-serif" font-size="13" fill="#0b0c0c">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        *_axes(last),
    ]
    for index, c in enumerate(shown):
        parts.extend(_series(c, index, last))
    parts.append("</svg>")
    return "\n".join(parts)

"""The ops page's reading of Prometheus answers: panels as the dashboard names them,
legends filled from labels, errors kept, rejections over time aligned on steps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deploy.prometheus.expressions import PanelQuery
from services.insights.ops import PanelLine, legend_of, over_time, panels, shown_value


def vector(*series: tuple[dict[str, str], str]) -> dict[str, Any]:
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": m, "value": [0, v]} for m, v in series],
        },
    }


def test_panels_group_targets_by_title_with_their_legends() -> None:
    queries = [
        PanelQuery("Services up", "{{service}}", "up"),
        PanelQuery("Relay failures and dead letters", "failures {{service}}", "a"),
        PanelQuery("Relay failures and dead letters", "dead letters {{service}}", "b"),
        PanelQuery("Consumer lag (records)", "{{service}} {{topic}}", "c"),
    ]
    answers: list[dict[str, Any]] = [
        vector(({"service": "intake"}, "1"), ({"service": "payments"}, "0")),
        vector(({"service": "relay"}, "2")),
        vector(),
        {"status": "error", "error": "parse error"},
    ]
    shown = panels(queries, answers)
    assert [(p.title, p.lines, p.error) for p in shown] == [
        ("Services up", (PanelLine("intake", "1"), PanelLine("payments", "0")), None),
        ("Relay failures and dead letters", (PanelLine("failures relay", "2"),), None),
        ("Consumer lag (records)", (), "parse error"),
    ]


def test_legends_and_values() -> None:
    assert legend_of("{{service}} {{topic}}", {"service": "intake"}) == "intake"
    assert legend_of("", {"b": "2", "a": "1"}) == "a=1, b=2"
    assert [shown_value(v) for v in ("3", "1234567", "0.01234", "NaN")] == [
        "3", "1,234,567", "0.0123", "no data",
    ]  # fmt: skip


def test_rejections_over_time_fill_missing_steps_with_zero() -> None:
    answer = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {"metric": {"reason": "invalid_nino"}, "values": [[600, "2"], [900, "3.0000001"]]},
                {"metric": {"reason": "already_started"}, "values": [[900, "1"]]},
            ],
        },
    }
    result = over_time(answer)
    assert result.times == (datetime.fromtimestamp(600, UTC), datetime.fromtimestamp(900, UTC))
    assert result.series == (("already_started", (0, 1)), ("invalid_nino", (2, 3)))
    assert over_time({"status": "error"}).series == ()

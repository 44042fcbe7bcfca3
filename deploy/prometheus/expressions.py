"""``python -m deploy.prometheus.expressions``: every dashboard panel's expression, now
(the implementation is ``services/common/dashboard.py``, which the ops page also reads)."""

from __future__ import annotations

from services.common.dashboard import (
    ALERTS,
    DASHBOARD,
    PanelQuery,
    alert_names,
    dashboard_queries,
    describe,
    get,
    main,
    metric_names,
    query,
)

__all__ = [
    "ALERTS",
    "DASHBOARD",
    "PanelQuery",
    "alert_names",
    "dashboard_queries",
    "describe",
    "get",
    "main",
    "metric_names",
    "query",
]

if __name__ == "__main__":
    main()

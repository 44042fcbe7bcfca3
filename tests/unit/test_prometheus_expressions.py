"""Metric names are read out of PromQL correctly (the dashboard/alert check relies on it)."""

from __future__ import annotations

from deploy.prometheus.expressions import alert_names, dashboard_queries, metric_names


def test_functions_keywords_labels_and_durations_are_not_metric_names() -> None:
    expr = (
        'sum by (service, le) (rate(a_seconds_bucket{kind="x", job=~"y|z"}[5m] offset 1h))'
        " / on (service) group_left (topic) b_total > bool 0.1e3"
        ' unless histogram_quantile(0.9, c{a="sum(d)"}) and vector(1) or up'
    )

    assert metric_names(expr) == {"a_seconds_bucket", "b_total", "c", "up"}


def test_recording_rule_style_names_with_colons_are_metric_names() -> None:
    assert metric_names("job:requests:rate5m * 2") == {"job:requests:rate5m"}


def test_every_dashboard_panel_has_a_query_over_outcomes_metrics() -> None:
    queries = dashboard_queries()

    assert len({q.panel for q in queries}) >= 15
    for q in queries:
        names = metric_names(q.expr)
        assert names, q
        assert all(n.startswith("outcomes_") or n == "up" for n in names), q


def test_the_issue_s_alerts_are_all_defined() -> None:
    assert set(alert_names()) == {
        "OutcomesServiceDown",
        "OutcomesConsumerLagGrowing",
        "OutcomesHeldEventsGrowing",
        "OutcomesOutboxStuck",
        "OutcomesOutboxDeadLetters",
        "OutcomesRejectionRateSpike",
        "OutcomesNoPaymentsForContract",
    }

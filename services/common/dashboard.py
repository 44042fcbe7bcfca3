"""The PromQL of the dashboard and the alert rules, and the metric names it refers to.

``python -m deploy.prometheus.expressions [--url http://127.0.0.1:19090]`` evaluates
every dashboard panel against a running Prometheus and prints what each shows now.
"""

from __future__ import annotations

import argparse
import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "outcomes.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"

# Words of PromQL that look like metric names but are not.
_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"offset", "bool", "inf", "nan", "atan2"}
)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?")


@dataclass(frozen=True)
class PanelQuery:
    panel: str
    legend: str
    expr: str


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels excluded)."""
    text = _STRINGS.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = _GROUPING.sub(" ", text)
    return {
        name
        for name, call in _IDENTIFIER.findall(text)
        if not call and name.lower() not in _KEYWORDS
    }


def dashboard_queries(path: Path = DASHBOARD) -> list[PanelQuery]:
    document = json.loads(path.read_text())
    return [
        PanelQuery(panel["title"], target.get("legendFormat", ""), target["expr"])
        for panel in document["panels"]
        for target in panel.get("targets", [])
    ]


def alert_names(path: Path = ALERTS) -> list[str]:
    return re.findall(r"^\s*- alert:\s*(\S+)\s*$", path.read_text(), flags=re.MULTILINE)


def query(url: str, expr: str, timeout: float = 10.0) -> dict[str, Any]:
    """``GET /api/v1/query``; the decoded answer, also for a 400 (a bad expression)."""
    address = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:
            answer: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as error:
        answer = json.load(error)
    return answer


def get(url: str, path: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(f"{url}{path}", timeout=timeout) as response:
        return json.load(response)["data"]


def describe(result: list[dict[str, Any]], legend: str) -> list[str]:
    """One ``legend = value`` line per series of an instant-query result."""
    return sorted(
        f"{_legend(legend, series['metric'])} = {float(series['value'][1]):.6g}"
        for series in result
    )


def _legend(legend: str, labels: dict[str, str]) -> str:
    name = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), legend)
    return name or str(labels)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:19090")
    args = parser.parse_args(argv)
    for item in dashboard_queries():
        answer = query(args.url, item.expr)
        print(f"## {item.panel} [{item.legend}]\n   {item.expr}")
        if answer["status"] != "success":
            print(f"   ERROR {answer.get('error')}")
            continue
        for line in describe(answer["data"]["result"], item.legend) or ["(no series)"]:
            print(f"   {line}")


if __name__ == "__main__":
    main()

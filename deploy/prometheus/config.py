"""Generate the Prometheus configuration that scrapes the four services.

``python -m deploy.prometheus.config --out FILE [--target service=host:port ...]``
writes a scrape config (JSON, which is YAML) with one target per service, labelled
``service``, and the alert rules of ``deploy/prometheus/alerts.yml``. Without
``--target`` the services' default metrics ports (``make up``) are used.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services.common.settings import DEFAULT_METRICS_PORTS

RULES_FILE = Path(__file__).resolve().parent / "alerts.yml"
JOB = "outcomes"


def default_targets(host: str = "127.0.0.1") -> dict[str, str]:
    return {service: f"{host}:{port}" for service, port in DEFAULT_METRICS_PORTS.items()}


def render(
    targets: Mapping[str, str],
    *,
    scrape_interval: str = "5s",
    evaluation_interval: str = "5s",
    rule_files: tuple[Path, ...] = (RULES_FILE,),
) -> dict[str, Any]:
    """The configuration as a document. ``honor_labels`` keeps the services' own
    ``service`` label (the target label of the same name only matters for ``up``)."""
    return {
        "global": {
            "scrape_interval": scrape_interval,
            "evaluation_interval": evaluation_interval,
            "external_labels": {"platform": "outcomes"},
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": JOB,
                "honor_labels": True,
                "metrics_path": "/metrics",
                "static_configs": [
                    {"targets": [address], "labels": {"service": service}}
                    for service, address in sorted(targets.items())
                ],
            }
        ],
    }


def write(path: Path, targets: Mapping[str, str], **options: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(render(targets, **options), indent=2) + "\n")
    return path


def _target(text: str) -> tuple[str, str]:
    service, sep, address = text.partition("=")
    if not sep or service not in DEFAULT_METRICS_PORTS or ":" not in address:
        raise argparse.ArgumentTypeError(f"expected service=host:port, got {text!r}")
    return service, address


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="file to write")
    parser.add_argument(
        "--target",
        type=_target,
        action="append",
        default=[],
        help="service=host:port (repeatable; default: the make up ports)",
    )
    parser.add_argument("--scrape-interval", default="5s")
    args = parser.parse_args(argv)
    targets = {**default_targets(), **dict(args.target)}
    write(args.out, targets, scrape_interval=args.scrape_interval)
    print(args.out)


if __name__ == "__main__":
    main()

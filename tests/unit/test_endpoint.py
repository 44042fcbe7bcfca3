"""The service's HTTP endpoint: /ready follows the readiness reason, /metrics is Prometheus."""

from __future__ import annotations

from typing import Any
from wsgiref.util import setup_testing_defaults

from services.common.endpoint import service_app


def get(reason: str | None, path: str) -> tuple[str, str]:
    environ: dict[str, Any] = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    answered: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered.append(status)

    body = b"".join(service_app(lambda: reason)(environ, start_response))
    return answered[0], body.decode()


def test_ready_answers_503_with_the_reason_until_nothing_is_missing() -> None:
    status, body = get("no partitions assigned by the consumer group yet", "/ready")
    assert status.startswith("503")
    assert body == "not ready: no partitions assigned by the consumer group yet\n"


def test_ready_answers_200_once_ready() -> None:
    assert get(None, "/ready") == ("200 OK", "ready\n")


def test_other_paths_are_the_prometheus_metrics_whatever_the_readiness() -> None:
    status, body = get("starting", "/metrics")
    assert status.startswith("200")
    assert "# TYPE" in body

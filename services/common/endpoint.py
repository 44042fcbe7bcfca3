"""The service's HTTP endpoint: ``/metrics`` (Prometheus) and ``/ready`` (readiness).

``/ready`` answers ``200 ready`` once the service can do its work and ``503 <reason>``
until then (``services/common/readiness.py``: database pool and relay up, every input
topic on the broker, partitions assigned by the consumer group): what an orchestrator's
readiness probe or a deploy script waits for. Every other path is ``/metrics``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

NotReadyBecause = Callable[[], str | None]
"""Why the service is not ready, or None when it is."""
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line per request on stderr (the scrape comes every few seconds)."""


def service_app(not_ready_because: NotReadyBecause) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/ready":
            body: Iterable[bytes] = metrics(environ, start_response)
            return body
        reason = not_ready_because()
        status = "200 OK" if reason is None else "503 Service Unavailable"
        text = ("ready" if reason is None else f"not ready: {reason}")[:1000] + "\n"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [text.encode()]

    return app


def serve(port: int, host: str, not_ready_because: NotReadyBecause) -> None:
    """Serve ``/metrics`` and ``/ready`` on ``host:port`` from a daemon thread."""
    server = make_server(
        host,
        port,
        service_app(not_ready_because),
        ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True, name="http").start()

"""``ServiceProcesses.wait_ready`` with several instances: a standby (no partitions
assigned) does not hold the start up, but a service with no ready instance does."""

from __future__ import annotations

import socket

import pytest

from services.common.endpoint import serve
from tools.services import INSTANCE_PORT_STRIDE, ServiceProcesses


def _free_pair() -> int:
    """A port p with p and p + INSTANCE_PORT_STRIDE both free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + INSTANCE_PORT_STRIDE))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports")


def _two_instances(first: str | None, second: str | None) -> ServiceProcesses:
    port = _free_pair()
    serve(port, "127.0.0.1", lambda: first)
    serve(port + INSTANCE_PORT_STRIDE, "127.0.0.1", lambda: second)
    return ServiceProcesses(env={}, ports={"intake": port}, services=("intake",), instances=2)


def test_a_standby_instance_does_not_hold_the_start_up() -> None:
    standby = "no partitions assigned by the consumer group yet"
    _two_instances(None, standby).wait_ready(timeout=10)


def test_standbys_alone_are_not_a_ready_service() -> None:
    standby = "no partitions assigned by the consumer group yet"
    with pytest.raises(TimeoutError, match="none ready: \\['intake'\\]"):
        _two_instances(standby, standby).wait_ready(timeout=2)


def test_an_instance_missing_its_topics_holds_the_start_up() -> None:
    missing = "2 of 6 input topics missing on the broker: a, b"
    with pytest.raises(TimeoutError, match="intake-2"):
        _two_instances(None, missing).wait_ready(timeout=2)

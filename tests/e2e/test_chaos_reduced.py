"""A reduced ``make chaos``: services SIGKILLed during a feed (and, where the deploy
scripts can run a private Kafka and PostgreSQL, the broker killed and PostgreSQL stopped
in immediate mode); the ledger and the de-duplicated payment topic equal the expectation.
"""

from __future__ import annotations

import shutil
import socket
import uuid

import pytest

from schemas.topics import SERVICES
from tests.e2e.conftest import free_port
from tools.chaos.__main__ import chaos
from tools.infra import NODE_PORT_STRIDE, ROOT, SHARED_PORTS, PrivateInfra

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

KILLS = 2


def private_ports(count: int) -> list[int]:
    """Distinct free ports for the private servers (never the shared servers' ports)."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and port not in SHARED_PORTS:
            ports.append(port)
    return ports


def test_payments_are_exact_after_kills(
    kafka_bootstrap: str, database_url: str, request: pytest.FixtureRequest
) -> None:
    infra = None
    if PrivateInfra.supported():
        # Inside the checkout: the postgres OS user must reach the data directory.
        state = ROOT / ".state" / f"chaos-test-{uuid.uuid4().hex[:8]}"
        # Free ports, not fixed ones: two checkouts on one machine cannot clash.
        kafka, controller, postgres = private_ports(3)
        infra = PrivateInfra(
            kafka_port=kafka,
            kafka_controller_port=controller,
            postgres_port=postgres,
            state_dir=state,
        )
        request.addfinalizer(lambda: shutil.rmtree(state, ignore_errors=True))
    result = chaos(
        participants=300,
        seed=3,
        kills=KILLS,
        window=30.0,
        infra=infra,
        ports={s: free_port() for s in SERVICES},
        quiet_timeout=300.0,
        bootstrap=kafka_bootstrap,
        admin_database_url=database_url,
    )
    print("\n".join(result.lines()))
    assert all(result.kills[s] == KILLS for s in SERVICES)
    if infra is not None:
        assert (result.kills["kafka"], result.kills["postgres"]) == (1, 1)
    assert result.problems() == [], result.lines()
    assert result.payments.expected, "the feed should lead to payments"


def cluster_ports() -> tuple[int, int]:
    """(Kafka, PostgreSQL) ports for a private three-node cluster: node i listens on
    Kafka + 10·(i-1), its controller one above; all of them free."""
    while True:
        kafka, postgres = private_ports(2)
        wanted = [kafka + NODE_PORT_STRIDE * i + c for i in range(3) for c in (0, 1)]
        if (
            all(port_is_free(p) and p not in SHARED_PORTS for p in wanted)
            and postgres not in wanted
        ):
            return kafka, postgres


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_payments_are_exact_after_kills_with_instances_and_brokers(
    request: pytest.FixtureRequest,
) -> None:
    """Two instances of every service on a three-node cluster: an instance of each
    service SIGKILLed mid-batch, the leader of the busiest partitions SIGKILLed,
    PostgreSQL stopped in immediate mode. (The rolling restart of every node, about a
    minute and a half more, is in the full ``make chaos --brokers 3``.)"""
    if not PrivateInfra.supported():
        pytest.skip("the deploy scripts cannot run a private cluster here")
    state = ROOT / ".state" / f"chaos-scale-{uuid.uuid4().hex[:8]}"
    kafka, postgres = cluster_ports()
    infra = PrivateInfra(
        kafka_port=kafka,
        kafka_controller_port=kafka + 1,
        postgres_port=postgres,
        state_dir=state,
        brokers=3,
    )
    request.addfinalizer(lambda: shutil.rmtree(state, ignore_errors=True))
    result = chaos(
        participants=200,
        seed=5,
        kills=1,
        window=30.0,
        infra=infra,
        ports={s: free_port() for s in SERVICES},
        quiet_timeout=300.0,
        instances=2,
        rolling=False,
    )
    print("\n".join(result.lines()))
    assert all(result.kills[s] == 1 for s in SERVICES)
    assert result.kills["kafka-leader"] == 1
    assert result.kills["postgres"] == 1
    assert result.problems() == [], result.lines()
    assert result.payments.expected, "the feed should lead to payments"

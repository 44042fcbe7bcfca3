"""Where a development machine's Kafka and PostgreSQL listen: the settings' defaults.

``KAFKA_PORT`` [19092] and ``POSTGRES_PORT`` [15432], as ``deploy/env.sh`` sets them
(``deploy/local.py`` takes these from here: the product does not import ``deploy/``).
"""

from __future__ import annotations

import os

from schemas.topics import SERVICES

KAFKA_PORT = int(os.environ.get("KAFKA_PORT") or 19092)
KAFKA_BROKERS = int(os.environ.get("KAFKA_BROKERS") or 1)
KAFKA_PORT_STRIDE = int(os.environ.get("KAFKA_PORT_STRIDE") or 10)
POSTGRES_PORT = int(os.environ.get("POSTGRES_PORT") or 15432)


def broker_ports(first: int, brokers: int, stride: int = 10) -> list[int]:
    """The client ports of a local cluster's nodes (deploy/env.sh: ``broker_port``)."""
    return [first + node * stride for node in range(brokers)]


LOCAL_KAFKA_BOOTSTRAP = ",".join(
    f"127.0.0.1:{port}" for port in broker_ports(KAFKA_PORT, KAFKA_BROKERS, KAFKA_PORT_STRIDE)
)
LOCAL_DATABASE_URL = f"postgresql://outcomes:outcomes@127.0.0.1:{POSTGRES_PORT}/outcomes"


def metrics_ports(base: int) -> dict[str, int]:
    """One metrics port per service of the registry, ``base`` + 1, + 2, ... in its order:
    the one port map (``make up`` from 9100, ``make run`` 9110, fuzz 20710, chaos 20720),
    so a service added to the registry gets its port everywhere."""
    return {service: base + n for n, service in enumerate(SERVICES, start=1)}

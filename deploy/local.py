"""Addresses of the local Kafka and PostgreSQL that ``deploy/*.sh`` start.

The same environment variables as ``deploy/env.sh`` (defaults in brackets):
``KAFKA_PORT`` [19092], ``KAFKA_CONTROLLER_PORT`` [19093], ``POSTGRES_PORT`` [15432];
``KAFKA_BROKERS`` [1] and ``KAFKA_PORT_STRIDE`` [10] for a local cluster (node i on
``KAFKA_PORT + (i-1) * KAFKA_PORT_STRIDE``).
A second, private pair of servers (another checkout, a chaos run) only needs other ports
and other state directories (``KAFKA_STATE_DIR``, ``POSTGRES_STATE_DIR``).
"""

from __future__ import annotations

import os
from typing import Any

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


def client_security() -> dict[str, Any]:
    """aiokafka's security options from the environment, as the services read them
    (``services.common.settings.KafkaSettings``): for the deploy scripts' own clients."""
    protocol = os.environ.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT"
    if protocol == "PLAINTEXT":
        return {}
    return {
        "security_protocol": protocol,
        "sasl_mechanism": os.environ.get("KAFKA_SASL_MECHANISM") or "SCRAM-SHA-512",
        "sasl_plain_username": os.environ.get("KAFKA_SASL_USERNAME"),
        "sasl_plain_password": os.environ.get("KAFKA_SASL_PASSWORD"),
    }

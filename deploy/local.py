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

from services.common.local_defaults import (
    KAFKA_BROKERS,
    KAFKA_PORT,
    KAFKA_PORT_STRIDE,
    LOCAL_DATABASE_URL,
    LOCAL_KAFKA_BOOTSTRAP,
    POSTGRES_PORT,
    broker_ports,
)

__all__ = [
    "KAFKA_BROKERS",
    "KAFKA_PORT",
    "KAFKA_PORT_STRIDE",
    "LOCAL_DATABASE_URL",
    "LOCAL_KAFKA_BOOTSTRAP",
    "POSTGRES_PORT",
    "broker_ports",
    "client_security",
]


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

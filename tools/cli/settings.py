"""Connection settings of the CLI, from the same environment variables as the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.reference import REFERENCE_DIR


class CliSettings(BaseSettings):
    """``KAFKA_*``, ``DATABASE_URL`` and ``TOPIC_NAMESPACE``, as the services read them."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    database_url: str = "postgresql://outcomes:outcomes@127.0.0.1:15432/outcomes"
    topic_namespace: str = ""
    reference_dir: Path = REFERENCE_DIR  # contracts and rates, as the services read them

    def kafka_options(self) -> dict[str, Any]:
        """Keyword arguments for every aiokafka client: servers and credentials."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.kafka_bootstrap_servers,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol.startswith("SASL"):
            options |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": self.kafka_sasl_password,
            }
        return options

    def consumer_group(self, service: str) -> str:
        """The consumer group of a service (as ``ServiceSettings.consumer_group``)."""
        return f"{self.topic_namespace}outcomes-{service}"

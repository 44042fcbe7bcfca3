"""Configuration of a service, from environment variables (see README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.local_defaults import (
    LOCAL_DATABASE_URL,
    LOCAL_KAFKA_BOOTSTRAP,
    metrics_ports,
)
from services.common.reference import REFERENCE_DIR

DEFAULT_METRICS_PORTS = metrics_ports(9100)

DEVELOPMENT_PARTICIPANT_KEY = "local-development-key-change-me"
"""Only with ``OUTCOMES_DEV_MODE=1``: anyone can read it here, so its ids protect nobody."""

MIN_PARTICIPANT_KEY_BYTES = 32
"""A shorter ``PARTICIPANT_ID_KEY`` is refused outside development mode (HMAC-SHA-256 key)."""

_GENERATE_KEY = (
    "Generate one (python -c 'import secrets; print(secrets.token_urlsafe(32))'), keep it"
    " in your secret store and pass it to intake"
)


class ConfigurationError(RuntimeError):
    """A setting a service cannot start without."""


class KafkaSettings(BaseSettings):
    """How to reach Kafka, and as whom: shared by the services, the tools and the tests.

    ``KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT`` with ``KAFKA_SASL_USERNAME`` and
    ``KAFKA_SASL_PASSWORD`` (mechanism ``KAFKA_SASL_MECHANISM``, SCRAM-SHA-512) for the
    secured broker; PLAINTEXT (no credentials) for the quick local one.
    """

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    kafka_bootstrap_servers: str = LOCAL_KAFKA_BOOTSTRAP
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    @model_validator(mode="after")
    def _credentials_with_sasl(self) -> KafkaSettings:
        if self.kafka_security_protocol == "SASL_PLAINTEXT" and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT needs KAFKA_SASL_USERNAME and"
                " KAFKA_SASL_PASSWORD"
            )
        return self

    @property
    def secured(self) -> bool:
        return self.kafka_security_protocol != "PLAINTEXT"

    def kafka_options(self) -> dict[str, Any]:
        """Keyword arguments for every aiokafka client: servers and credentials."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.kafka_bootstrap_servers,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.secured:
            assert self.kafka_sasl_password is not None
            options |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": self.kafka_sasl_password.get_secret_value(),
            }
        return options

    def as_principal(self, username: str, password: str) -> KafkaSettings:
        """The same broker, as another principal (tools and tests that act for several)."""
        return self.model_copy(
            update={
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_username": username,
                "kafka_sasl_password": SecretStr(password),
            }
        )


class ServiceSettings(KafkaSettings):
    """Settings shared by the four services. Every field reads the env var of its name."""

    database_url: str = LOCAL_DATABASE_URL
    topic_namespace: str = ""
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    participant_id_key: SecretStr | None = Field(
        default=None,
        description="HMAC key for pseudonymous participant ids (intake only); no default",
    )
    outcomes_dev_mode: bool = Field(
        default=False,
        description="1: development run; allows the development participant id key",
    )
    hold_seconds: float = 7 * 24 * 3600
    hold_sweep_seconds: float = 30.0
    batch_max_events: int = 1000
    batch_within_seconds: float = 0.1
    """How long a batch waits to fill (each of the four hops to a payment): 0.2 s kept
    batches full in a backlog but cost latency; 0.05 s halved a backlog's throughput
    (small batches; docs/performance.md)."""
    reference_dir: Path = REFERENCE_DIR

    def metrics_port_for(self, service: str) -> int:
        return (
            self.metrics_port if self.metrics_port is not None else DEFAULT_METRICS_PORTS[service]
        )

    def consumer_group(self, service: str) -> str:
        return f"{self.topic_namespace}outcomes-{service}"

    def participant_key(self) -> bytes:
        """The pseudonymisation key; without ``PARTICIPANT_ID_KEY`` only in development mode.

        Raises :class:`ConfigurationError` outside development mode when the key is
        missing, is the development key (anyone can read it in the repository) or is
        shorter than ``MIN_PARTICIPANT_KEY_BYTES``: a service must not run with a key
        that protects nobody.
        """
        given = self.participant_id_key.get_secret_value() if self.participant_id_key else ""
        if not given:
            if self.outcomes_dev_mode:
                return DEVELOPMENT_PARTICIPANT_KEY.encode()
            raise ConfigurationError(
                "PARTICIPANT_ID_KEY is not set. " + _GENERATE_KEY + "; or set"
                " OUTCOMES_DEV_MODE=1 for a development run with the development key."
            )
        key = given.encode()
        if not self.outcomes_dev_mode:
            if given == DEVELOPMENT_PARTICIPANT_KEY:
                raise ConfigurationError(
                    "PARTICIPANT_ID_KEY is the development key, which anyone can read in"
                    " the repository: " + _GENERATE_KEY + " (or set OUTCOMES_DEV_MODE=1)."
                )
            if len(key) < MIN_PARTICIPANT_KEY_BYTES:
                raise ConfigurationError(
                    f"PARTICIPANT_ID_KEY is {len(key)} bytes, under the minimum of"
                    f" {MIN_PARTICIPANT_KEY_BYTES}: "
                    + _GENERATE_KEY
                    + " (or set OUTCOMES_DEV_MODE=1)."
                )
        return key

    @property
    def uses_development_key(self) -> bool:
        given = self.participant_id_key.get_secret_value() if self.participant_id_key else ""
        return self.outcomes_dev_mode and given in ("", DEVELOPMENT_PARTICIPANT_KEY)


def client_options(bootstrap: str) -> dict[str, Any]:
    """aiokafka options for a tool's client of ``bootstrap``: the credentials, if any, from
    the environment (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)."""
    return KafkaSettings(kafka_bootstrap_servers=bootstrap).kafka_options()

"""Configuration of a service, from environment variables (see README)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from deploy.local import LOCAL_DATABASE_URL, LOCAL_KAFKA_BOOTSTRAP
from services.common.reference import REFERENCE_DIR

DEFAULT_METRICS_PORTS = {"intake": 9101, "placement": 9102, "sustainment": 9103, "payments": 9104}


class ServiceSettings(BaseSettings):
    """Settings shared by the four services. Every field reads the env var of its name."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    kafka_bootstrap_servers: str = LOCAL_KAFKA_BOOTSTRAP
    database_url: str = LOCAL_DATABASE_URL
    topic_namespace: str = ""
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    participant_id_key: str = Field(
        default="local-development-key-change-me",
        description="HMAC key for pseudonymous participant ids (intake only)",
    )
    hold_seconds: float = 7 * 24 * 3600
    hold_sweep_seconds: float = 30.0
    batch_max_events: int = 1000
    batch_within_seconds: float = 0.2
    reference_dir: Path = REFERENCE_DIR

    def metrics_port_for(self, service: str) -> int:
        return (
            self.metrics_port if self.metrics_port is not None else DEFAULT_METRICS_PORTS[service]
        )

    def consumer_group(self, service: str) -> str:
        return f"{self.topic_namespace}outcomes-{service}"

"""Connection settings of the CLI, from the same environment variables as the services."""

from __future__ import annotations

from pathlib import Path

from services.common.local_defaults import LOCAL_DATABASE_URL
from services.common.reference import REFERENCE_DIR
from services.common.settings import KafkaSettings


class CliSettings(KafkaSettings):
    """``KAFKA_*`` (broker and credentials, shared with the services), ``DATABASE_URL``,
    ``TOPIC_NAMESPACE`` and ``REFERENCE_DIR``, as the services read them."""

    database_url: str = LOCAL_DATABASE_URL
    topic_namespace: str = ""
    reference_dir: Path = REFERENCE_DIR  # contracts and rates, as the services read them

    def consumer_group(self, service: str) -> str:
        """The consumer group of a service (as ``ServiceSettings.consumer_group``)."""
        return f"{self.topic_namespace}outcomes-{service}"

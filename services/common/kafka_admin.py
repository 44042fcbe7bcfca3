"""The one place that sends Kafka admin requests aiokafka's public API does not offer.

aiokafka 0.14's ``AIOKafkaAdminClient`` has no public call for SCRAM credentials or ACLs,
and its ``describe_topics`` asks the broker to auto-create what it names (metadata v4+
``allow_auto_topic_creation`` defaults to true). :func:`admin_request` sends such a
request through the client (its ``_send_request``, used nowhere else);
:func:`existing_partitions` is the metadata read that never creates a topic, for the
CLI, the summary and the secured set-up alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.api import Request, Response
from aiokafka.protocol.metadata import MetadataRequest

REQUEST_TIMEOUT_MS = 30_000


async def admin_request(options: Mapping[str, Any], request: Request[Any]) -> Response:
    """Send ``request`` with an admin client built from ``options`` (then closed)."""
    admin = AIOKafkaAdminClient(**options, request_timeout_ms=REQUEST_TIMEOUT_MS)
    await admin.start()
    try:
        return await admin._send_request(request)
    finally:
        await admin.close()


async def existing_partitions(
    options: Mapping[str, Any], names: Iterable[str]
) -> dict[str, list[int]]:
    """Partition ids of each of ``names`` that exists.

    One metadata request for exactly these topics (a shared broker may hold thousands),
    which never auto-creates one.
    """
    wanted = set(names)
    if not wanted:
        return {}  # an empty request would ask about every topic
    request = MetadataRequest(sorted(wanted), allow_auto_topic_creation=False)
    response = await admin_request(options, request)
    described: list[dict[str, Any]] = response.to_object()["topics"]
    return {
        entry["topic"]: sorted(p["partition"] for p in entry["partitions"])
        for entry in described
        if entry["topic"] in wanted and entry["error_code"] == 0 and entry["partitions"]
    }

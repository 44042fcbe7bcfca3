"""Create every topic of the registry (``schemas.topics.all_topics()``: internal topics, and
the per-provider topics of every provider in contracts.json) on the broker.

Idempotent: topics that already exist keep their partitions; a provider topic whose
size settings differ from :func:`topic_configs` gets them (AlterConfigs).

Provider topics carry ``max.message.bytes`` (2 x MAX_MESSAGE_BYTES: the broker refuses a
larger batch at once) and ``compression.type=producer``. The broker checks its limit
against a batch as sent, compressed; a broker setting that recompresses
(``compression.type=uncompressed``) would check the inflated size, but the broker then
holds each inflated record on its heap: measured on Kafka 4.4 with a 2 GiB heap, a 734 MB
gzip record costs 6.7 s and 1.5 GB of heap before it is refused, and a 1 GB one ends in
``OutOfMemoryError: Java heap space`` in the request handler. With ``producer`` the broker
validates the batch as a stream (3.3 s for the same bomb, no heap growth) and the services
bound what they inflate (services/common/inflate.py). See docs/bounded-input.md.

    .venv/bin/python -m deploy.create_topics [--namespace PREFIX] [--bootstrap HOST:PORT]
    .venv/bin/python -m deploy.create_topics --wait-only --timeout 5   # readiness probe
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from deploy.local import LOCAL_KAFKA_BOOTSTRAP as LOCAL_BOOTSTRAP
from deploy.local import client_security
from schemas.bounds import MAX_MESSAGE_BYTES
from schemas.topics import TopicSpec, all_topics

REPLICATION_FACTOR = 1
TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code
NO_ERROR = 0
VISIBLE_WITHIN_SECONDS = 30.0
PROVIDER_TOPIC_MAX_MESSAGE_BYTES = 2 * MAX_MESSAGE_BYTES
"""Largest batch (as sent: compressed or not) a provider topic accepts."""


def topic_configs(spec: TopicSpec) -> dict[str, str]:
    """Broker settings of a topic of ``spec``: provider topics are size-bounded."""
    if spec.owner != "providers":
        return {}
    return {
        "max.message.bytes": str(PROVIDER_TOPIC_MAX_MESSAGE_BYTES),
        "compression.type": "producer",
    }


Security = Mapping[str, Any] | None
"""aiokafka's SASL options; None: from the environment (KAFKA_SECURITY_PROTOCOL, ...)."""


def _admin(bootstrap: str, security: Security, timeout_ms: int) -> AIOKafkaAdminClient:
    options = client_security() if security is None else dict(security)
    return AIOKafkaAdminClient(
        **options, bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms
    )


async def list_topics(bootstrap: str, security: Security = None) -> set[str]:
    """One metadata request: the broker's topic names."""
    admin = _admin(bootstrap, security, 10_000)
    await admin.start()
    try:
        topics: list[str] = await admin.list_topics()
        return set(topics)
    finally:
        await admin.close()


async def wait_for_broker(bootstrap: str, security: Security = None) -> set[str]:
    """Repeat a metadata request until the broker answers; bound it with asyncio.timeout."""
    while True:
        try:
            return await list_topics(bootstrap, security)
        except KafkaError:
            await asyncio.sleep(0.5)


async def _create(bootstrap: str, new_topics: list[NewTopic], security: Security) -> set[str]:
    """Create ``new_topics``; return the names that existed already (created meanwhile)."""
    admin = _admin(bootstrap, security, 30_000)
    await admin.start()
    try:
        response = await admin.create_topics(new_topics)
    finally:
        await admin.close()
    # Each entry is (topic, error_code[, error_message]) depending on the protocol version.
    failures = [
        " ".join(str(field) for field in entry)
        for entry in response.topic_errors
        if entry[1] not in (NO_ERROR, TOPIC_ALREADY_EXISTS)
    ]
    if failures:
        raise RuntimeError("could not create topics: " + "; ".join(failures))
    return {str(entry[0]) for entry in response.topic_errors if entry[1] == TOPIC_ALREADY_EXISTS}


async def ensure_topics(
    bootstrap: str, namespace: str = "", *, security: Security = None
) -> list[str]:
    """Create the registry's missing topics under ``namespace``; return all their names.

    Returns once every topic shows in the broker's metadata.
    """
    wanted = all_topics(namespace)
    existing = await list_topics(bootstrap, security)
    missing = [
        NewTopic(
            name=name,
            num_partitions=spec.partitions,
            replication_factor=REPLICATION_FACTOR,
            topic_configs=topic_configs(spec),
        )
        for name, spec in wanted.items()
        if name not in existing
    ]
    if missing:
        existing |= await _create(bootstrap, missing, security)
    await _align_configs(
        bootstrap,
        {n: topic_configs(s) for n, s in wanted.items() if n in existing and topic_configs(s)},
        security,
    )
    async with asyncio.timeout(VISIBLE_WITHIN_SECONDS):
        while True:
            if set(wanted) <= await list_topics(bootstrap, security):
                return list(wanted)
            await asyncio.sleep(0.2)


async def current_configs(
    bootstrap: str, names: list[str], keys: list[str], security: Security = None
) -> dict[str, dict[str, str]]:
    """The values of ``keys`` of each topic of ``names`` (one DescribeConfigs request)."""
    if not names:
        return {}
    admin = _admin(bootstrap, security, 30_000)
    await admin.start()
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n, dict.fromkeys(keys)) for n in names]
        )
    finally:
        await admin.close()
    found: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.resources:
            name, entries = resource[3], resource[4]
            found[name] = {entry[0]: entry[1] for entry in entries}
    return found


async def _align_configs(
    bootstrap: str, wanted: dict[str, dict[str, str]], security: Security
) -> None:
    """Give existing topics the settings they lack (topics of an older deployment)."""
    keys = sorted({k for configs in wanted.values() for k in configs})
    current = await current_configs(bootstrap, list(wanted), keys, security)
    stale = [
        ConfigResource(ConfigResourceType.TOPIC, name, configs)
        for name, configs in wanted.items()
        if {k: current.get(name, {}).get(k) for k in configs} != configs
    ]
    if not stale:
        return
    admin = _admin(bootstrap, security, 30_000)
    await admin.start()
    try:
        responses = await admin.alter_configs(stale)
    finally:
        await admin.close()
    failures = [
        f"{resource[3]}: {resource[0]} {resource[1]}"
        for response in responses
        for resource in response.resources
        if resource[0] != NO_ERROR
    ]
    if failures:
        raise RuntimeError("could not set topic configs: " + "; ".join(failures))
    async with asyncio.timeout(VISIBLE_WITHIN_SECONDS):  # applied through the metadata log
        while True:
            if await current_configs(bootstrap, list(wanted), keys, security) == wanted:
                return
            await asyncio.sleep(0.2)


async def delete_topics_where(
    bootstrap: str, doomed: Callable[[str], bool], *, security: Security = None
) -> int:
    """Delete every topic on the broker whose name ``doomed`` accepts; return how many."""
    admin = _admin(bootstrap, security, 60_000)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if doomed(t)]
        if names:
            await admin.delete_topics(names, timeout_ms=60_000)
    finally:
        await admin.close()
    return len(names)


async def delete_namespace_topics(
    bootstrap: str, namespace: str, *, security: Security = None
) -> int:
    """Delete a namespace's topics (a test's or a run's): the broker may be shared."""
    return await delete_topics_where(
        bootstrap, lambda t: t.startswith(namespace), security=security
    )


async def _main(bootstrap: str, namespace: str, wait_seconds: float, wait_only: bool) -> str:
    try:
        async with asyncio.timeout(wait_seconds):
            await wait_for_broker(bootstrap)
    except TimeoutError:
        raise TimeoutError(f"no Kafka broker answered at {bootstrap} in {wait_seconds}s") from None
    if wait_only:
        return f"Kafka answers at {bootstrap}"
    names = await ensure_topics(bootstrap, namespace)
    return f"{len(names)} topics present at {bootstrap}: {', '.join(names)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.create_topics", description=__doc__)
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_BOOTSTRAP)
    )
    parser.add_argument("--namespace", default="", help="prefix for every topic name")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for Kafka")
    parser.add_argument(
        "--wait-only", action="store_true", help="only check that the broker answers"
    )
    args = parser.parse_args(argv)
    try:
        print(asyncio.run(_main(args.bootstrap, args.namespace, args.timeout, args.wait_only)))
    except (TimeoutError, RuntimeError, KafkaError) as exc:
        print(f"create_topics: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

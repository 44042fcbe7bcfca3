"""Create every topic of the registry (``schemas.topics.all_topics()``: internal topics, and
the per-provider topics of every provider in contracts.json) on the broker.

Idempotent: topics that already exist are left as they are. On a cluster of three or more
brokers every topic has replication factor 3 and ``min.insync.replicas=2`` (with the
producers' ``acks=all``, a write survives the loss of any one broker); on one broker, 1.

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
from aiokafka.errors import KafkaError

from deploy.local import LOCAL_KAFKA_BOOTSTRAP as LOCAL_BOOTSTRAP
from deploy.local import client_security
from schemas.topics import all_topics

MAX_REPLICATION_FACTOR = 3
TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code
NO_ERROR = 0
VISIBLE_WITHIN_SECONDS = 30.0


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


def replication(brokers: int) -> tuple[int, dict[str, str]]:
    """Replication factor and topic configs for a cluster of ``brokers`` brokers."""
    factor = max(1, min(MAX_REPLICATION_FACTOR, brokers))
    return factor, {"min.insync.replicas": str(max(1, factor - 1))}


async def count_brokers(bootstrap: str, security: Security = None) -> int:
    admin = _admin(bootstrap, security, 10_000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    return len(cluster["brokers"])


async def _create(bootstrap: str, new_topics: list[NewTopic], security: Security) -> None:
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


async def ensure_topics(
    bootstrap: str, namespace: str = "", *, security: Security = None
) -> list[str]:
    """Create the registry's missing topics under ``namespace``; return all their names.

    Returns once every topic shows in the broker's metadata.
    """
    wanted = all_topics(namespace)
    existing = await list_topics(bootstrap, security)
    factor, configs = replication(await count_brokers(bootstrap, security))
    missing = [
        NewTopic(
            name=name,
            num_partitions=spec.partitions,
            replication_factor=factor,
            topic_configs=configs,
        )
        for name, spec in wanted.items()
        if name not in existing
    ]
    if missing:
        await _create(bootstrap, missing, security)
    async with asyncio.timeout(VISIBLE_WITHIN_SECONDS):
        while True:
            if set(wanted) <= await list_topics(bootstrap, security):
                return list(wanted)
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

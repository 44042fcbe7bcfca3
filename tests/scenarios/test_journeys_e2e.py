"""Every journey at once through the real services (processes, Kafka, PostgreSQL).

All journeys (their ids and NINOs are disjoint) are published in file order, each event on
its provider's own topic, to one pipeline started with the suite's contracts. Once quiet,
payments minus reversals per (contract, participant, milestone), read from the payment
topic, must equal the union of the journeys' hand-written ``payments`` -- nothing missing,
nothing extra. Arrival across topics is whatever Kafka and the services make of it, which
the rule book says cannot change the money (§10).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.create_topics import delete_namespace_topics, ensure_topics
from deploy.databases import create_database, drop_databases
from schemas.rejections import EventRejected
from schemas.topics import (
    PAYMENTS,
    PROVIDER_REJECTIONS,
    SERVICES,
    configured_providers,
    provider_rejections_topic,
    provider_topic,
)
from services.intake.domain import normalise_nino, participant_id_for
from tests.e2e.conftest import free_port
from tests.scenarios.journeys import REFERENCE_DIR, Journey, all_journeys
from tests.scenarios.test_journeys_domain import KNOWN_DIFFERENCES
from tools.quiet import wait_until_quiet
from tools.services import ServiceProcesses
from tools.summary import read_summary, topic_partitions

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

KEY = "e2e-scenario-key"
JOURNEYS = all_journeys()
Net = dict[tuple[str, str, str], int]
HELD_REASONS = {"unknown_participant", "unknown_placement", "unknown_evidence"}
"""Rejected only after the hold time (7 days): not within this test."""
DECIDED_BY_ARRIVAL = {
    "10-already-started": (
        "a second start for the same person is decided by arrival (§10 exception), and the"
        " two starts travel on two providers' topics, so either may come first"
    ),
}


@dataclass
class Outcome:
    net: Net
    rejections: list[EventRejected]


def participants(journeys: list[Journey]) -> dict[str, str]:
    """referral_id -> participant_id (HMAC of the NINO of its last valid referral)."""
    out: dict[str, str] = {}
    for journey in journeys:
        for arrival in journey.arrivals:
            body = json.loads(arrival.value)
            nino = normalise_nino(str(body.get("nino", "")))
            if body.get("type") == "referral" and nino is not None:
                out[str(body["referral_id"])] = participant_id_for(nino, KEY.encode())
    return out


def expected_net(journeys: list[Journey]) -> Net:
    pid = participants(journeys)
    net: Net = {}
    for journey in journeys:
        for p in journey.expect["payments"]:
            net[(p["contract_id"], pid[p["participant"]], p["milestone"])] = p["net_pence"]
    return net


@pytest.fixture(scope="module")
def outcome(kafka_bootstrap: str, database_url: str, tmp_path_factory: Any) -> Iterator[Outcome]:
    tag = uuid.uuid4().hex[:8]
    namespace, database = f"e2e-scenarios-{tag}.", f"e2e_scenarios_{tag}"
    url = urlsplit(database_url)._replace(path=f"/{database}").geturl()
    processes = ServiceProcesses(
        env={
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "DATABASE_URL": url,
            "TOPIC_NAMESPACE": namespace,
            "PARTICIPANT_ID_KEY": KEY,
            "OUTCOMES_DEV_MODE": "1",
            "REFERENCE_DIR": str(REFERENCE_DIR),
            "BATCH_WITHIN_SECONDS": "0.05",
        },
        state_dir=Path(tmp_path_factory.mktemp("scenario-services")),
        ports={service: free_port() for service in SERVICES},
    )
    asyncio.run(create_database(database_url, database))
    try:
        asyncio.run(ensure_topics(kafka_bootstrap, namespace))
        processes.start()
        processes.wait_ready(timeout=120)
        yield asyncio.run(_publish_and_read(kafka_bootstrap, url, namespace))
    finally:
        processes.stop()
        asyncio.run(drop_databases(database_url, database))
        asyncio.run(delete_namespace_topics(kafka_bootstrap, namespace))


async def _publish_and_read(bootstrap: str, database_url: str, namespace: str) -> Outcome:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for journey in JOURNEYS:
            for a in journey.arrivals:
                topic = provider_topic(a.spec, a.provider_id, namespace)
                await producer.send(topic, value=a.value, key=a.key.encode())
        await producer.flush()
    finally:
        await producer.stop()
    await wait_until_quiet(bootstrap, database_url, namespace, give_up_after=300, interval=0.5)
    summary = await read_summary(bootstrap, namespace, (PAYMENTS,))
    net: dict[tuple[str, str, str], int] = defaultdict(int)
    for p in summary.payment_events:
        net[(p.contract_id, p.participant_id, str(p.milestone))] += p.amount_pence
    topics = [provider_rejections_topic(p, namespace) for p in configured_providers()]
    rejections = await read_to_end(bootstrap, topics)
    paid = {key: pence for key, pence in net.items() if pence}
    return Outcome(paid, [PROVIDER_REJECTIONS.adapter.validate_json(v) for v in rejections])


async def read_to_end(bootstrap: str, topics: list[str]) -> list[bytes]:
    """Every value of ``topics`` up to their end offsets as of now."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        existing = await topic_partitions(bootstrap, topics)
        partitions = [TopicPartition(t, p) for t in sorted(existing) for p in existing[t]]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        values: list[bytes] = []
        pending = {tp for tp in partitions if ends[tp] > 0}
        async with asyncio.timeout(60):
            while pending:
                batches = await consumer.getmany(*pending, timeout_ms=500)
                for tp, records in batches.items():
                    values += [r.value for r in records if r.offset < ends[tp] and r.value]
                pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return values
    finally:
        await consumer.stop()


def source_event_id(rejected: EventRejected) -> str | None:
    """The rejected event's id; for undecodable input, read from the original bytes."""
    if rejected.source_event_id is not None:
        return rejected.source_event_id
    try:
        body = json.loads(base64.b64decode(rejected.original_prefix_b64))
    except ValueError:
        return None
    return body.get("event_id") if isinstance(body, dict) else None


def test_every_journey_rejects_what_its_file_says(outcome: Outcome) -> None:
    """Each rejection a journey expects (but those that wait for the hold time) arrives on
    the provider's rejection topic with that reason; no other event of a journey is rejected."""
    skip = KNOWN_DIFFERENCES.keys() | DECIDED_BY_ARRIVAL.keys()
    journeys = [j for j in JOURNEYS if j.name not in skip]
    expected: dict[str, str] = {}
    ours: set[str] = set()
    for journey in journeys:
        ids = {a.label: a.event_id for a in journey.arrivals}
        ours |= set(ids.values())
        for r in journey.expect["rejections"]:
            if r["reason"] not in HELD_REASONS:
                expected[ids[r["label"]]] = r["reason"]
    found = {
        eid: str(r.reason)
        for r in outcome.rejections
        if (eid := source_event_id(r)) is not None and eid in ours
    }
    assert found == expected


def test_every_journey_pays_what_its_file_says(outcome: Outcome) -> None:
    paid = outcome.net
    expected = expected_net(JOURNEYS)
    assert expected  # the suite pays something
    missing = {k: v for k, v in expected.items() if paid.get(k) != v}
    extra = {k: v for k, v in paid.items() if k not in expected}
    assert (missing, extra) == ({}, {})

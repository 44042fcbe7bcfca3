"""Personal data stays in intake: after a feed with rejected referrals, no NINO and no
date of birth sent is on any topic but the inbound ones, in any table outside intake's
schema, or in any service log - in any spelling (spaces, lower case).

A careless provider (issue 11, item 2) is in the feed too: a NINO as a referral,
placement or evidence id, a date of birth in an employer name, a NINO as a sector, a date
of birth in free text of an unknown field, a referral JSON-encoded inside a JSON string, a
CSV line. Each is refused ``invalid_schema`` and none of it is found outside intake.

The figures (records, rows and log lines scanned; occurrences) are printed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from schemas.provider import ReferralMade
from schemas.topics import (
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_KINDS,
    PROVIDER_PLACEMENTS,
    all_topics,
    provider_topic,
)
from tests.builders import evidence, job_start, programme_start, referral
from tests.e2e.conftest import Pipeline
from tests.integration.conftest import read_topics
from tools.feed import generate_feed
from tools.feed.publish import publish_feed
from tools.quiet import wait_until_quiet

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PARTICIPANTS = 300
SEED = 6

NINO_LIKE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]\s*[A-Za-z](?:\s*\d){6}(?:\s*[A-Za-z])?(?![A-Za-z0-9])"
)
DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}")


def compact(nino: str) -> str:
    return "".join(nino.split()).upper()


@dataclass
class Scan:
    """Occurrences of the sent NINOs and dates of birth in scanned text."""

    ninos: frozenset[str]
    births: frozenset[str]
    literals: frozenset[str] = frozenset()
    """Exact spellings to find anywhere, even inside a word (the careless provider's)."""
    found: Counter[str] = field(default_factory=Counter)
    where: list[str] = field(default_factory=list)

    def text(self, place: str, text: str) -> None:
        hits = [c for c in map(compact, NINO_LIKE.findall(text)) if c in self.ninos]
        squeezed = "".join(text.split()).upper()
        hits += [n for n in self.ninos if not NINO_LIKE.fullmatch(n) and n in squeezed]
        hits += [d for d in DATE_LIKE.findall(text) if d in self.births]
        hits += [s for s in self.literals if s in text or "".join(s.split()).upper() in squeezed]
        if hits:
            self.found[place] += len(hits)
            self.where.append(f"{place}: {hits[:3]}")

    def value(self, place: str, value: Any) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            self.text(place, bytes(value).decode("utf-8", "replace"))
        elif value is not None:
            self.text(place, str(value))


def hostile_referrals(run: str) -> list[tuple[str, str, bytes]]:
    """Rejected referrals whose personal data is written in odd ways, as sent."""
    provider = "prov-whp-central"
    intake_topic = provider_topic(PROVIDER_INTAKE, provider)

    def sent(event: ReferralMade) -> bytes:
        return event.model_dump_json().encode()

    too_young = referral(
        f"ref-{run}-young", nino="ce 12 34 56 a", date_of_birth=date(2015, 3, 9)
    )  # not_working_age
    elsewhere = referral(
        f"ref-{run}-far", nino="JM 65 43 21 B", borough="Barnet"
    )  # borough_outside_contract
    truncated = sent(referral(f"ref-{run}-cut", nino="JT135790C"))[:-40]  # invalid_schema
    wrong_topic = sent(referral(f"ref-{run}-wrong", nino="KA246802D"))  # on placements
    return [
        (intake_topic, too_young.referral_id, sent(too_young)),
        (intake_topic, elsewhere.referral_id, sent(elsewhere)),
        (intake_topic, f"ref-{run}-cut", truncated),
        (provider_topic(PROVIDER_PLACEMENTS, provider), f"ref-{run}-wrong", wrong_topic),
    ]


CARELESS_NINO = "JR 11 22 33 A"
CARELESS_BIRTH = date(1987, 11, 23)


def _changed(event: BaseModel, **fields: object) -> bytes:
    """``event`` as JSON with ``fields`` replaced and a new event id (the models refuse
    these values, so they are written as a careless provider's software would)."""
    body = json.loads(event.model_dump_json())
    body.update(fields, event_id=str(uuid.uuid4()))
    return json.dumps(body).encode()


def careless_provider(run: str) -> tuple[list[tuple[str, str, bytes]], frozenset[str]]:
    """Personal data where it does not belong (all refused invalid_schema), and the
    spellings of it that must not be found outside intake."""
    provider = "prov-whp-central"
    intake, placements, evidence_topic = (
        provider_topic(kind, provider)
        for kind in (PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE)
    )
    nino = "".join(CARELESS_NINO.split())
    uk_birth = CARELESS_BIRTH.strftime("%d/%m/%Y")
    person = referral(f"ref-{run}-care", nino=CARELESS_NINO, date_of_birth=CARELESS_BIRTH)
    job = job_start(f"plc-{run}-care", referral_id=person.referral_id)
    payslip = evidence("ev-1", date(2024, 4, 15), date(2024, 5, 14), 100_000)
    nested = json.dumps(person.model_dump_json()).encode()  # JSON inside a JSON string
    csv = f"{person.referral_id},{provider},whp-central,{uk_birth},Camden,disability"
    messages = [
        (intake, person.referral_id, person.model_dump_json().encode()),  # accepted
        (intake, nino, _changed(person, referral_id=nino)),
        (intake, nino, _changed(programme_start(person.referral_id), referral_id=nino)),
        (placements, nino, _changed(job, placement_id=nino)),
        (placements, job.placement_id, _changed(job, employer_name=f"Born {uk_birth} Ltd")),
        (placements, job.placement_id, _changed(job, sic_sector=f"NI {CARELESS_NINO}")),
        (evidence_topic, nino, _changed(payslip, evidence_id=f"ev-{nino}")),
        (intake, person.referral_id, _changed(person, notes=f"born {CARELESS_BIRTH}")),
        (intake, person.referral_id, nested),
        (intake, person.referral_id, csv.encode()),
    ]
    spellings = frozenset({CARELESS_NINO, nino, CARELESS_BIRTH.isoformat(), uk_birth})
    return messages, spellings


async def test_no_nino_or_birth_date_outside_intake(pipeline: Pipeline) -> None:
    run = uuid.uuid4().hex[:6]
    items = generate_feed(PARTICIPANTS, SEED)
    careless, spellings = careless_provider(run)
    hostile = hostile_referrals(run) + careless
    referrals = [i.event for i in items if isinstance(i.event, ReferralMade)]
    ninos = {compact(r.nino) for r in referrals} | {
        "CE123456A", "JM654321B", "JT135790C", "KA246802D"
    }  # fmt: skip
    births = {r.date_of_birth.isoformat() for r in referrals} | {"2015-03-09", "1990-05-17"}
    scan = Scan(frozenset(ninos), frozenset(births), spellings)

    await publish_feed(pipeline.bootstrap, items, pipeline.namespace)
    await pipeline.publish(hostile)
    await wait_until_quiet(pipeline.bootstrap, pipeline.database_url, pipeline.namespace)

    # every topic but the inbound ones the providers write
    inbound = set(all_topics(pipeline.namespace, specs=PROVIDER_KINDS))
    scanned = {n: s for n, s in all_topics(pipeline.namespace).items() if n not in inbound}
    specs = list({id(s): s for s in scanned.values()}.values())
    read = await read_topics(pipeline.bootstrap, specs, pipeline.namespace)
    records = rejected = 0
    careless_digests = {hashlib.sha256(v).hexdigest() for _, _, v in careless[1:]}
    refused: set[str] = set()
    for topic, messages in read.items():
        for key, value in messages:
            records += 1
            if b'"invalid_schema"' in value:
                refused.add(json.loads(value)["original_sha256"])
            scan.text(f"topic {topic}", key)
            scan.value(f"topic {topic}", value)
            if b"original_prefix_b64" in value:  # the masked original, decoded
                rejected += 1
                prefix = json.loads(value)["original_prefix_b64"]
                scan.value(f"topic {topic} (original)", base64.b64decode(prefix))

    # every table outside intake's schema
    rows = 0
    conn = await asyncpg.connect(pipeline.database_url)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('intake', 'pg_catalog', 'information_schema')"
        )
        for table in tables:
            name = f'"{table["table_schema"]}"."{table["table_name"]}"'
            for row in await conn.fetch(f"SELECT * FROM {name}"):
                rows += 1
                for column, value in row.items():
                    scan.value(f"table {name}.{column}", value)
        # control: the scanner does find them where they are allowed (intake's quarantine)
        control = Scan(frozenset(ninos), frozenset(births), spellings)
        for row in await conn.fetch("SELECT * FROM intake.quarantine"):
            for column, value in row.items():
                control.value(f"intake.quarantine.{column}", value)
    finally:
        await conn.close()

    # every service log
    lines = 0
    for service in pipeline.processes.services:
        log = (pipeline.processes.state_dir / f"{service}.log").read_text(errors="replace")
        for line in log.splitlines():
            lines += 1
            scan.text(f"log {service}", line)

    occurrences = sum(scan.found.values())
    print(
        f"\npersonal-data scan: {len(ninos)} NINOs and {len(births)} dates of birth sent;"
        f" scanned {records} records ({rejected} rejections) on {len(scanned)} topics,"
        f" {rows} rows in {len(tables)} tables outside intake, {lines} log lines of"
        f" {len(pipeline.processes.services)} services; occurrences found: {occurrences}"
        f" (control: {sum(control.found.values())} in intake's own quarantine)"
    )
    print(
        f"careless provider: {len(careless) - 1} messages with personal data where it does"
        f" not belong, {len(careless_digests & refused)} refused invalid_schema"
    )
    assert control.found, "the scanner finds nothing even where the data is"
    assert careless_digests <= refused
    assert scan.where == [], f"{occurrences} occurrences; rejections seen: {rejected}\n" + (
        "\n".join(scan.where[:20])
    )

"""Personal data stays in intake: after a feed with rejected referrals, no NINO and no
date of birth sent is on any topic but the inbound ones, in any table outside intake's
schema, or in any service log - in any spelling (spaces, lower case).

The figures (records, rows and log lines scanned; occurrences) are printed.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import pytest

from schemas.provider import ReferralMade
from schemas.topics import (
    PROVIDER_INTAKE,
    PROVIDER_KINDS,
    PROVIDER_PLACEMENTS,
    all_topics,
    provider_topic,
)
from tests.e2e.conftest import Pipeline
from tests.integration.conftest import read_topics, referral
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
    found: Counter[str] = field(default_factory=Counter)
    where: list[str] = field(default_factory=list)

    def text(self, place: str, text: str) -> None:
        hits = [c for c in map(compact, NINO_LIKE.findall(text)) if c in self.ninos]
        squeezed = "".join(text.split()).upper()
        hits += [n for n in self.ninos if not NINO_LIKE.fullmatch(n) and n in squeezed]
        hits += [d for d in DATE_LIKE.findall(text) if d in self.births]
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


async def test_no_nino_or_birth_date_outside_intake(pipeline: Pipeline) -> None:
    run = uuid.uuid4().hex[:6]
    items = generate_feed(PARTICIPANTS, SEED)
    hostile = hostile_referrals(run)
    referrals = [i.event for i in items if isinstance(i.event, ReferralMade)]
    ninos = {compact(r.nino) for r in referrals} | {
        "CE123456A", "JM654321B", "JT135790C", "KA246802D"
    }  # fmt: skip
    births = {r.date_of_birth.isoformat() for r in referrals} | {"2015-03-09", "1990-05-17"}
    scan = Scan(frozenset(ninos), frozenset(births))

    await publish_feed(pipeline.bootstrap, items, pipeline.namespace)
    await pipeline.publish(hostile)
    await wait_until_quiet(pipeline.bootstrap, pipeline.database_url, pipeline.namespace)

    # every topic but the inbound ones the providers write
    inbound = set(all_topics(pipeline.namespace, specs=PROVIDER_KINDS))
    scanned = {n: s for n, s in all_topics(pipeline.namespace).items() if n not in inbound}
    specs = list({id(s): s for s in scanned.values()}.values())
    read = await read_topics(pipeline.bootstrap, specs, pipeline.namespace)
    records = rejected = 0
    for topic, messages in read.items():
        for key, value in messages:
            records += 1
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
        control = Scan(frozenset(ninos), frozenset(births))
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
    assert control.found, "the scanner finds nothing even where the data is"
    assert scan.where == [], f"{occurrences} occurrences; rejections seen: {rejected}"

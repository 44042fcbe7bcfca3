"""The provider events the browser tests publish to Kafka, and waiting for the read model.

Contract whp-central, programme start Monday 1 April 2024 (threshold 475,904p):
- REF-A: a job from 15 April 2024 at £14.00 an hour for 37.5 hours (7,500p a day);
  without evidence the earnings outcome is projected on its 64th day, 17 June 2024.
- REF-B: started, no job.
- REF-C: a job, one payslip over the threshold (paid £5,000.00: £4,000 + 25 % LLW uplift),
  then retracted (the payment reversed).
- REF-W: another provider's (prov-whp-west) participant.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Final

import asyncpg

from schemas.base import Event
from schemas.topics import ALL_TOPICS, event_topic
from services.intake.domain import participant_id_for
from tests.builders import evidence, job_start, programme_start, referral, retraction
from tests.e2e.conftest import PARTICIPANT_KEY, Pipeline

NINOS: Final = {
    "REF-A": "AB123456C",
    "REF-B": "AB654321C",
    "REF-C": "CE123456A",
    "REF-W": "CE112233A",
}


def participant_id(referral_id: str) -> str:
    return participant_id_for(NINOS[referral_id], PARTICIPANT_KEY.encode())


def message(event: Event) -> tuple[str, str, bytes]:
    spec = next(s for s in ALL_TOPICS if type(event) in s.models)
    key = str(getattr(event, spec.key_field))
    return (event_topic(spec, event), key, event.model_dump_json().encode())


def opening_events() -> list[Event]:
    west = "prov-whp-west"
    return [
        referral("REF-A", nino=NINOS["REF-A"]),
        programme_start("REF-A"),
        referral("REF-B", nino=NINOS["REF-B"]),
        programme_start("REF-B"),
        referral("REF-C", nino=NINOS["REF-C"]),
        programme_start("REF-C"),
        referral(
            "REF-W", nino=NINOS["REF-W"], contract_id="whp-west", borough="Brent", provider_id=west
        ),
        programme_start("REF-W", provider_id=west),
        job_start("PLC-A", referral_id="REF-A"),
        job_start("PLC-C", referral_id="REF-C"),
        evidence("EV-C", date(2024, 4, 15), date(2024, 5, 19), 480_000, placement_id="PLC-C"),
    ]


def payslip_for_a() -> Event:
    """100,000p counted to 30 April: 375,904p more at 7,500p a day is 51 days from
    1 May, so the projected date moves to 20 June 2024."""
    return evidence("EV-A1", date(2024, 4, 15), date(2024, 4, 30), 100_000, placement_id="PLC-A")


def publish(pipeline: Pipeline, *events: Event) -> None:
    asyncio.run(pipeline.publish([message(e) for e in events]))


def wait_for(pipeline: Pipeline, sql: str, expected: object, timeout: float = 90.0) -> None:
    """Poll the read model until ``sql`` (one value) returns ``expected``."""

    async def value() -> object:
        conn = await asyncpg.connect(pipeline.database_url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = asyncio.run(value())
        if got == expected:
            return
        time.sleep(0.3)
    raise AssertionError(f"read model: {sql!r} gave {got!r}, not {expected!r}, in {timeout}s")


def settle_opening(pipeline: Pipeline) -> None:
    publish(pipeline, *opening_events())
    wait_for(pipeline, "SELECT count(*) FROM views.participants", 4)
    wait_for(pipeline, "SELECT count(*) FROM views.payments", 1)
    publish(pipeline, retraction("EV-C"))
    wait_for(pipeline, "SELECT count(*) FROM views.payments WHERE reverses IS NOT NULL", 1)

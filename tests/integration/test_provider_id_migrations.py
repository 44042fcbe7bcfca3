"""The v3 migrations on a database written before them (domain.md v3 §9: ids per provider).

Each service's schema is migrated up to v2 and given rows as v2 wrote them; then the v3
migrations run over them: held rows wait for the provider-scoped key their release now
uses, re-sends name their placement's provider, and another provider may then use the
same ids without touching the rows already there.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from services.common import db

pytestmark = pytest.mark.integration

SERVICES = Path(__file__).resolve().parents[2] / "services"
V3 = {
    "intake": ["common/005_provider_scoped_ids.sql", "service/002_provider_referral_ids.sql"],
    "placement": ["common/005_provider_scoped_ids.sql", "service/004_provider_ids.sql"],
    "sustainment": ["common/005_provider_scoped_ids.sql", "service/003_provider_ids.sql"],
}
A, B = "prov-whp-central", "prov-whp-west"


async def migrated_to_v2(url: str, service: str) -> asyncpg.Connection:
    """``service``'s schema with every migration but the v3 ones applied."""
    conn = await asyncpg.connect(url)
    await conn.execute(f'CREATE SCHEMA "{service}"')
    await conn.execute(f'SET search_path TO "{service}"')
    await conn.execute(
        "CREATE TABLE schema_migrations (name text PRIMARY KEY,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    await conn.executemany(
        "INSERT INTO schema_migrations (name) VALUES ($1)", [(n,) for n in V3[service]]
    )
    await db.migrate(url, service, SERVICES / service)
    return conn


async def to_v3(conn: asyncpg.Connection, url: str, service: str) -> list[str]:
    await conn.execute("DELETE FROM schema_migrations WHERE name = ANY($1::text[])", V3[service])
    return await db.migrate(url, service, SERVICES / service)


async def hold_as_v2(conn: asyncpg.Connection, waiting_for: str, provider_id: str) -> None:
    value = json.dumps({"type": "job_end", "provider_id": provider_id}).encode()
    await conn.execute(
        'INSERT INTO held (message_id, waiting_for, spec_name, topic, partition, "offset",'
        " value, held_at) VALUES ($1, $2, 'provider.placements.v1', 't', 0, 0, $3, now())",
        waiting_for,
        waiting_for,
        value,
    )


async def test_placement_rows_and_holds_move_to_provider_scoped_ids(fresh_database: str) -> None:
    conn = await migrated_to_v2(fresh_database, "placement")
    try:
        await conn.execute(
            "INSERT INTO participants VALUES ('p-1', 'ref-1', $1, 'whp-central', $2, NULL)",
            A,
            date(2024, 4, 1),
        )
        await conn.execute(
            "INSERT INTO placements (placement_id, participant_id, provider_id, job_start_date,"
            " pays_llw, below_minimum_wage, content) VALUES ('plc-1', 'p-1', $1, $2, true,"
            " false, '{}')",
            A,
            date(2024, 4, 15),
        )
        await conn.execute(
            "INSERT INTO placement_resends VALUES ('e-9', 'plc-1', 'provider.placements.v1',"
            " 't', 0, 3, NULL, '{}')"
        )
        await hold_as_v2(conn, "placement:plc-7", A)
        await hold_as_v2(conn, "participant:p-2", A)

        assert await to_v3(conn, fresh_database, "placement") == V3["placement"]

        held = {r["message_id"]: r["waiting_for"] for r in await conn.fetch("SELECT * FROM held")}
        assert held == {
            "placement:plc-7": f"placement:{A}:plc-7",
            "participant:p-2": "participant:p-2",
        }
        assert await conn.fetchval("SELECT provider_id FROM placement_resends") == A
        # B may now use the same referral and placement ids (and re-send event id)
        await conn.execute(
            "INSERT INTO participants VALUES ('p-2', 'ref-1', $1, 'whp-west', $2, NULL)",
            B,
            date(2024, 4, 1),
        )
        await conn.execute(
            "INSERT INTO placements (placement_id, participant_id, provider_id, job_start_date,"
            " pays_llw, below_minimum_wage, content) VALUES ('plc-1', 'p-2', $1, $2, true,"
            " false, '{}')",
            B,
            date(2024, 4, 15),
        )
        await conn.execute(
            "INSERT INTO placement_resends (event_id, provider_id, placement_id, spec_name,"
            " topic, partition, \"offset\", value) VALUES ('e-9', $1, 'plc-1', 's', 't', 0, 4,"
            " '{}')",
            B,
        )
        assert await conn.fetchval("SELECT count(*) FROM placements") == 2
    finally:
        await conn.close()


async def test_sustainment_and_intake_take_another_providers_same_ids(
    fresh_database: str,
) -> None:
    conn = await migrated_to_v2(fresh_database, "sustainment")
    try:
        await hold_as_v2(conn, "evidence:ev-1", A)
        assert await to_v3(conn, fresh_database, "sustainment") == V3["sustainment"]
        assert await conn.fetchval("SELECT waiting_for FROM held") == f"evidence:{A}:ev-1"
        for provider, participant in ((A, "p-1"), (B, "p-2")):
            await conn.execute(
                "INSERT INTO participants VALUES ($1, $2, 'c', 'disability', $3, NULL, 1, 1)",
                participant,
                provider,
                date(2024, 4, 1),
            )
            await conn.execute(
                "INSERT INTO placements VALUES ('plc-1', $1, $2, $3, 'employed', true)",
                participant,
                provider,
                date(2024, 4, 1),
            )
            await conn.execute(
                "INSERT INTO evidence VALUES ('ev-1', 'plc-1', $1, $2, 1, false, 'payslip',"
                " $3, $3, 1, 1, $3)",
                participant,
                provider,
                date(2024, 4, 30),
            )
        assert await conn.fetchval("SELECT count(*) FROM evidence") == 2
    finally:
        await conn.close()

    conn = await migrated_to_v2(fresh_database, "intake")
    try:
        await to_v3(conn, fresh_database, "intake")
        for provider, nino in ((A, "AB123456C"), (B, "CE654321A")):
            await conn.execute(
                "INSERT INTO referrals (referral_id, provider_id, contract_id, participant_id,"
                " nino, date_of_birth, referral_date, content) VALUES ('ref-1', $1, 'c', $2,"
                " $2, $3, $3, '{}')",
                provider,
                nino,
                date(1990, 5, 17),
            )
        assert await conn.fetchval("SELECT count(*) FROM referrals") == 2
    finally:
        await conn.close()

"""The hold table written in one statement per batch: every row as given, the first of
two with one message id kept, released oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas.topics import PROVIDER_EVIDENCE
from services.common import db
from services.common.messages import RawRecord

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def record(offset: int, value: bytes, key: bytes | None = b"evd-1") -> RawRecord:
    return RawRecord(PROVIDER_EVIDENCE, "provider.p1.evidence.v1", 1, offset, key, value)


async def test_a_batch_of_held_records_is_kept_whole_and_released_in_arrival_order(
    fresh_database: str,
) -> None:
    await db.migrate(fresh_database, "sustainment", ROOT / "services" / "sustainment")
    pool = await db.create_pool(fresh_database, "sustainment")
    try:
        async with pool.acquire() as conn:
            await db.hold(
                conn,
                [
                    ("p1:e2", "placement:p1:plc-1", record(7, b'{"b": 2}'), "evidence:p1:evd-1"),
                    ("p1:e1", "placement:p1:plc-1", record(3, b'{"a": 1}', None), None),
                    ("p1:e2", "placement:p1:plc-9", record(8, b'{"c": 3}'), None),  # same id
                ],
                AT,
            )
            await db.hold(conn, [("p1:e0", "placement:p1:plc-1", record(1, b"{}"), None)], AT)
            rows = await conn.fetch(
                'SELECT message_id, waiting_for, spec_name, topic, partition, "offset", key,'
                " value, held_at, subject FROM held ORDER BY message_id"
            )
            assert [tuple(r.values()) for r in rows] == [
                ("p1:e0", "placement:p1:plc-1", PROVIDER_EVIDENCE.name,
                 "provider.p1.evidence.v1", 1, 1, b"evd-1", b"{}", AT, None),
                ("p1:e1", "placement:p1:plc-1", PROVIDER_EVIDENCE.name,
                 "provider.p1.evidence.v1", 1, 3, None, b'{"a": 1}', AT, None),
                ("p1:e2", "placement:p1:plc-1", PROVIDER_EVIDENCE.name,
                 "provider.p1.evidence.v1", 1, 7, b"evd-1", b'{"b": 2}', AT,
                 "evidence:p1:evd-1"),
            ]  # fmt: skip
            released = await db.release(conn, ["placement:p1:plc-1"])
            assert [r.offset for r in released] == [1, 3, 7]
            assert await db.release(conn, ["placement:p1:plc-9"]) == []
            assert await db.expire(conn, AT + timedelta(days=1)) == []
    finally:
        await pool.close()

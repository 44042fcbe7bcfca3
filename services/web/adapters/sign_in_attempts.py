"""Sign-in attempts (all SQL about them): what the rate limit counts."""

from __future__ import annotations

from datetime import datetime

from services.common.db import Connection


async def recent_failures(
    conn: Connection, username: str, address: str, since: datetime
) -> tuple[list[datetime], list[datetime]]:
    """Failed attempts since ``since``: for the username, and from the address."""
    rows = await conn.fetch(
        "SELECT username = $1 AS same_user, address = $2 AS same_address, attempted_at"
        " FROM sign_in_attempts"
        " WHERE NOT succeeded AND attempted_at > $3 AND (username = $1 OR address = $2)",
        username,
        address,
        since,
    )
    return (
        [r["attempted_at"] for r in rows if r["same_user"]],
        [r["attempted_at"] for r in rows if r["same_address"]],
    )


async def record_attempt(
    conn: Connection, username: str, address: str, now: datetime, *, succeeded: bool
) -> None:
    await conn.execute(
        "INSERT INTO sign_in_attempts (username, address, attempted_at, succeeded)"
        " VALUES ($1, $2, $3, $4)",
        username,
        address,
        now,
        succeeded,
    )


async def forget_before(conn: Connection, before: datetime) -> int:
    """Drop attempts older than any window that counts them (the table stays small)."""
    status = await conn.execute("DELETE FROM sign_in_attempts WHERE attempted_at < $1", before)
    return int(status.split()[-1])

"""The audit of participant pages (all SQL about it): who saw whose page, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.db import Connection
from services.web.adapters.users import User


@dataclass(frozen=True)
class PageView:
    username: str
    role: str
    participant_id: str
    viewed_at: datetime


async def record_participant_view(
    conn: Connection, user: User, participant_id: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO participant_page_views (username, role, participant_id, viewed_at)"
        " VALUES ($1, $2, $3, $4)",
        user.username,
        str(user.role),
        participant_id,
        now,
    )


async def participant_views(conn: Connection, participant_id: str) -> list[PageView]:
    rows = await conn.fetch(
        "SELECT username, role, participant_id, viewed_at FROM participant_page_views"
        " WHERE participant_id = $1 ORDER BY view_id",
        participant_id,
    )
    return [PageView(**dict(r)) for r in rows]

"""The web app's own schema (``web``): its numbered migrations, and nothing shared."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from services.common import db

SCHEMA: Final = "web"
WEB_DIR: Final = Path(__file__).parent


async def migrate(database_url: str) -> list[str]:
    return await db.migrate(database_url, SCHEMA, WEB_DIR, common=False)

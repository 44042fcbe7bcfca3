"""The read model (domain.md §11): a fifth service that follows every output topic into
tables designed for the pages, and the typed read API over them (``read.py``)."""

from __future__ import annotations

from services.common import db

SCHEMA = "views"


async def create_read_pool(database_url: str, *, max_size: int = 4) -> db.Pool:
    """A pool whose connections read the ``views`` schema (for the web app)."""
    return await db.create_pool(database_url, SCHEMA, max_size=max_size)

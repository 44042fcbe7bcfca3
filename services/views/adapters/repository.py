"""The views repository on PostgreSQL: the port of ``records.py`` on one connection in a
transaction. Rows are read and written here (SQL in ``postgres.py``); the handler is
given and gives typed records only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from schemas.common import EligibilityGroup
from services.common.db import Connection
from services.views import notify
from services.views.adapters.postgres import ViewsStore
from services.views.ingest import Batch
from services.views.notify import Change
from services.views.projections import Window
from services.views.records import (
    DerivedColumns,
    Key,
    LatestEnd,
    ParticipantFacts,
    StartedRow,
    ViewsStorage,
)
from services.views.rows import (
    job_facts,
    latest_ends,
    nothing_counted,
    occurrence,
    progress_of,
    stored_derived,
)

T = TypeVar("T")


class ViewsRepository(ViewsStorage):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.store = ViewsStore(conn)

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return {}  # views holds nothing

    async def flush(self) -> None:
        """Every write goes straight to its table."""

    async def write(self, batch: Batch, started: Sequence[StartedRow]) -> None:
        """Kind by kind, creations before updates (ingest.py); empty kinds cost nothing.
        A displaced start goes right after the starts (its row is removed by its own
        referral id, so a start that took its place under the same key stays, and a
        rebuild that reads both in one batch ends as the services did)."""
        store, b = self.store, batch
        await _each(
            store.participants_started,
            [
                (
                    s.event,
                    s.last_day,
                    s.earnings_threshold_pence,
                    s.weekly_hours_min,
                    ",".join(m.value for m in s.counted_milestones),
                )
                for s in started
            ],
        )
        await _each(store.participants_displaced, b.displaced)
        await _each(store.participants_left, b.left)
        await _each(store.placements_confirmed, b.confirmed)
        await _each(store.placements_ended, b.ended)
        await _each(store.placements_withdrawn, b.withdrawn)
        await _each(store.evidence_recorded, b.recorded)
        await _each(store.evidence_removed, b.removed)
        await _each(store.progress, list(b.progress.values()))
        await _each(store.milestones_reached, b.reached)
        await _each(store.milestones_revoked, b.revoked)
        await _each(store.milestones_not_paid, b.not_paid)
        await _each(store.payments, b.payments)
        await _each(store.rejections, b.rejections)

    async def facts_of(self, keys: Sequence[Key]) -> list[ParticipantFacts]:
        facts = await self.store.facts_of(keys)
        by_key = {table: _grouped(rows) for table, rows in facts.items()}
        return [_participant(p, by_key) for p in facts["participants"]]

    async def write_derived(self, rows: Sequence[DerivedColumns]) -> None:
        await self.store.write_derived(
            [
                (
                    *d.key,
                    d.in_work,
                    ",".join(m.value for m in d.milestones_reached),
                    ",".join(m.value for m in d.counted_milestones),
                    None if d.next_milestone is None else d.next_milestone.value,
                    d.next_projected_on,
                    d.next_on_track,
                    d.evidence_due_since,
                )
                for d in rows
            ]
        )

    async def write_latest_ends(self, rows: Sequence[LatestEnd]) -> None:
        await self.store.write_latest_ends(
            [(r.provider_id, r.placement_id, r.latest_evidence_end) for r in rows]
        )

    async def notify(self, changes: Iterable[Change]) -> None:
        await notify.send(self.conn, changes)


async def _each(write: Callable[[Sequence[T]], Awaitable[None]], rows: Sequence[T]) -> None:
    if rows:
        await write(rows)


def _participant(p: Any, by_key: dict[str, dict[Key, list[Any]]]) -> ParticipantFacts:
    """A ``participants`` row with its placements, progress and milestones."""
    key = (p["provider_id"], p["participant_id"])
    progress_rows = by_key["progress"].get(key, [])
    jobs = by_key["placements"].get(key, [])
    return ParticipantFacts(
        key=key,
        contract_id=p["contract_id"],
        eligibility_group=EligibilityGroup(p["eligibility_group"]),
        window=Window(p["start_date"], p["left_on"]),
        progress=progress_of(progress_rows[0]) if progress_rows else nothing_counted(p),
        latest_ends=latest_ends(progress_rows[0]) if progress_rows else {},
        jobs=tuple(job_facts(j) for j in jobs),
        occurrences=tuple(occurrence(m) for m in by_key["milestones"].get(key, [])),
        stored=stored_derived(p),
        stored_latest_ends={j["placement_id"]: j["latest_evidence_end"] for j in jobs},
    )


def _grouped(rows: Sequence[Any]) -> dict[Key, list[Any]]:
    grouped: dict[Key, list[Any]] = defaultdict(list)
    for r in rows:
        grouped[(r["provider_id"], r["participant_id"])].append(r)
    return grouped

"""Views use cases: output events in -> read model rows -> ``views_changed``.

``handle`` writes the batch's events (sorted by kind, ingest.py); ``finish`` recomputes
the derived columns of every participant the transaction touched, from the facts as
they stand (derive.py), and queues the notifications, delivered at commit. Nothing is
held: the read model stores each fact as it comes, whatever order the topics deliver in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from schemas.base import Event
from schemas.common import EligibilityGroup, RejectionReason
from schemas.intake import ParticipantStarted
from schemas.topics import CONSUMERS, Owner, TopicSpec
from services.common.db import Connection
from services.common.messages import Received
from services.common.outcome import BatchOutcome, Masker, PerTransaction, identity
from services.common.reference import ContractBook, Rates, Reference
from services.common.settings import ServiceSettings
from services.views import notify
from services.views.adapters.postgres import Key, ViewsStore
from services.views.derive import counted_milestones, derive
from services.views.ingest import Batch, batch_of
from services.views.projections import OUTCOME_WINDOW_DAYS, Window
from services.views.rows import job_facts, latest_ends, nothing_counted, occurrence, progress_of

THRESHOLD_HOURS = 416
DEFAULT_WEEKLY_HOURS_MIN = Decimal(16)
"""For a contract this deployment does not know (its participants still show)."""


class ViewsRepository:
    """The read model's storage on one connection in a transaction (the runtime core's
    repository port): it holds nothing, so nothing waits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.store = ViewsStore(conn)

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return {}

    async def flush(self) -> None:
        """Every write goes straight to its table."""


CHANGES: PerTransaction[set[notify.Change]] = PerTransaction("changes", set)
"""What a transaction changed, gathered over its rounds: refreshed and notified in ``finish``."""


class ViewsHandler:
    service: Owner = "views"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["views"]
    mask_original: Masker = staticmethod(identity)
    keeps_personal_data = False

    def __init__(self, contracts: ContractBook, rates: Rates) -> None:
        self.contracts = contracts
        self.rates = rates

    async def handle(
        self, repo: ViewsRepository, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        batch = batch_of(item.event for item in items)
        await self._write(repo.store, batch)
        outcome.gathered(CHANGES).update(batch.changes)

    async def finish(self, repo: ViewsRepository, outcome: BatchOutcome) -> None:
        changes = outcome.gathered(CHANGES)
        keys = sorted({(c.provider_id, c.participant_id) for c in changes if c.participant_id})
        if keys:
            await self._refresh(repo.store, keys)
        await notify.send(repo.conn, changes)

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return RejectionReason.PROCESSING_FAILED, "the views service holds nothing"

    # --------------------------------------------------------------------------- writes

    async def _write(self, store: ViewsStore, b: Batch) -> None:
        """Kind by kind, creations before updates (ingest.py); empty kinds cost nothing.
        A displaced start goes right after the starts (its row is removed by its own
        referral id, so a start that took its place under the same key stays, and a
        rebuild that reads both in one batch ends as the services did)."""
        writes: list[tuple[Callable[[Any], Awaitable[None]], Sequence[Any]]] = [
            (store.participants_started, [self._started(e) for e in b.started]),
            (store.participants_displaced, b.displaced),
            (store.participants_left, b.left),
            (store.placements_confirmed, b.confirmed),
            (store.placements_ended, b.ended),
            (store.placements_withdrawn, b.withdrawn),
            (store.evidence_recorded, b.recorded),
            (store.evidence_removed, b.removed),
            (store.progress, list(b.progress.values())),
            (store.milestones_reached, b.reached),
            (store.milestones_revoked, b.revoked),
            (store.milestones_not_paid, b.not_paid),
            (store.payments, b.payments),
            (store.rejections, b.rejections),
        ]
        for write, rows in writes:
            if rows:
                await write(rows)

    def _started(self, e: ParticipantStarted) -> tuple[ParticipantStarted, date, int, str]:
        last_day = e.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        nlw = self.rates.nlw.rate_on(e.start_date) or 0
        return e, last_day, THRESHOLD_HOURS * nlw, str(self._hours_min(e.contract_id))

    def _hours_min(self, contract_id: str) -> Decimal:
        contract = self.contracts.get(contract_id)
        if contract is None:
            return DEFAULT_WEEKLY_HOURS_MIN
        return Decimal(contract.weekly_hours_min_hundredths) / 100

    # -------------------------------------------------------------------------- derived

    async def _refresh(self, store: ViewsStore, keys: Sequence[Key]) -> None:
        facts = await store.facts_of(keys)
        by_key: dict[str, dict[Key, list[Any]]] = {
            table: _grouped(rows) for table, rows in facts.items()
        }
        derived: list[tuple[Any, ...]] = []
        latest: list[tuple[str, str, date | None]] = []
        for participant in facts["participants"]:
            key = (participant["provider_id"], participant["participant_id"])
            row, ends = self._derived(participant, by_key, key)
            derived.append(row)
            latest += ends
        await store.write_derived(derived)
        await store.write_latest_ends(latest)

    def _derived(
        self, p: Any, by_key: dict[str, dict[Key, list[Any]]], key: Key
    ) -> tuple[tuple[Any, ...], list[tuple[str, str, date | None]]]:
        progress_rows = by_key["progress"].get(key, [])
        progress = progress_of(progress_rows[0]) if progress_rows else nothing_counted(p)
        ends = latest_ends(progress_rows[0]) if progress_rows else {}
        jobs = [job_facts(j) for j in by_key["placements"].get(key, [])]
        occurrences = [occurrence(m) for m in by_key["milestones"].get(key, [])]
        counted = counted_milestones(
            self.contracts.get(p["contract_id"]), EligibilityGroup(p["eligibility_group"])
        )
        d = derive(
            Window(p["start_date"], p["left_on"]), jobs, progress, ends, occurrences, counted
        )
        row = (
            *key,
            d.in_work,
            [m.value for m in d.milestones_reached],
            [m.value for m in counted],
            d.next.milestone.value if d.next else None,
            d.next.projected_on if d.next else None,
            d.next.on_track if d.next else None,
            d.evidence_due_since,
        )
        return row, [(key[0], j.placement_id, ends.get(j.placement_id)) for j in jobs]


def _grouped(rows: Sequence[Any]) -> dict[Key, list[Any]]:
    grouped: dict[Key, list[Any]] = defaultdict(list)
    for r in rows:
        grouped[(r["provider_id"], r["participant_id"])].append(r)
    return grouped


def make_handler(settings: ServiceSettings, reference: Reference) -> ViewsHandler:
    return ViewsHandler(reference.contracts, reference.rates)

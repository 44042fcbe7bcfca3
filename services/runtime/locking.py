"""What one processing transaction serialises on: per-key advisory locks, not the service.

Two transactions of a service may run at once (several instances, each on its own
partitions) unless they could decide from the same state. Every decision of a service
reads state of the ids its inputs name and of the participant those ids belong to, so a
transaction takes, before it reads anything (docs/architecture.md "Scaling out"):

1. the **named keys** of its inputs: ``participant:<id>`` for a ``participant_id``, and
   ``referral|placement|evidence:<provider_id>:<id>`` for a provider's own ids (the
   subjects and wait-for keys of services/common/holds.py are of this form);
2. the **participant** each named id belongs to, read from the service's own table of
   that id (:class:`Locking` ``parents``) once the id's key is held (the row that links
   an id to its participant is written only under the id's key, and never changes), or
   computed from the input (intake: the participant id of a referral's NINO);
3. in a release, the key of every released wait-for before its held inputs are taken,
   then the keys of what was taken, again until nothing more is released
   (:meth:`TransactionLocks.release`).

Locks are ``pg_advisory_xact_lock`` on a 64-bit hash of ``<service>|<key>``, taken in
sorted order per step; a deadlock between two steps (40P01) is transient and the batch
is retried. A hash collision only serialises two unrelated keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from schemas.base import Event
from services.common import db
from services.common.codec import decode
from services.common.holds import Entity
from services.common.messages import RawRecord, Received

PROVIDER_IDS: tuple[Entity, ...] = (Entity.REFERRAL, Entity.PLACEMENT, Entity.EVIDENCE)
"""The entities a provider names by its own ids (``<entity>_id`` fields of an event)."""

Release = Callable[[Sequence[str]], Awaitable[list[RawRecord]]]


def lock_id(service: str, key: str) -> int:
    """The advisory lock of ``key`` in ``service``: a signed 64-bit hash."""
    digest = hashlib.sha256(f"{service}|{key}".encode()).digest()[:8]
    return int.from_bytes(digest, "big", signed=True)


def key_of(wait_for: str) -> str:
    """The lock key of a wait-for or subject (holds.py): a programme start is its
    referral's (``started:p:r`` -> ``referral:p:r``)."""
    kind, sep, rest = wait_for.partition(":")
    return f"{Entity.REFERRAL}:{rest}" if sep and kind == Entity.STARTED else wait_for


ALL_ENTITIES: frozenset[Entity] = frozenset({Entity.PARTICIPANT, *PROVIDER_IDS})


def named_keys(event: Event, entities: frozenset[Entity] = ALL_ENTITIES) -> set[str]:
    """The keys of the ids ``event`` names (its participant, its provider's ids), of the
    kinds in ``entities``."""
    keys: set[str] = set()
    participant, provider, ids = _naming_fields(type(event))
    if participant and Entity.PARTICIPANT in entities:
        value = getattr(event, "participant_id")  # noqa: B009 - a field of the model
        if isinstance(value, str):
            keys.add(f"{Entity.PARTICIPANT}:{value}")
    if not provider:
        return keys
    provider_id = getattr(event, "provider_id")  # noqa: B009 - a field of the model
    if not isinstance(provider_id, str):
        return keys
    for entity, field_name in ids:
        if entity in entities:
            value = getattr(event, field_name)
            if isinstance(value, str):
                keys.add(f"{entity}:{provider_id}:{value}")
    return keys


@cache
def _naming_fields(model: type[Event]) -> tuple[bool, bool, tuple[tuple[Entity, str], ...]]:
    """Which of the naming fields ``model`` has (participant_id, provider_id, and each
    provider id's ``<entity>_id``): read from its fields once per model, so no
    ``getattr`` of a missing attribute (which raises and catches inside pydantic)."""
    fields = model.model_fields
    return (
        "participant_id" in fields,
        "provider_id" in fields,
        tuple((e, f"{e}_id") for e in PROVIDER_IDS if f"{e}_id" in fields),
    )


@dataclass(frozen=True)
class Locking:
    """How a service's transactions are keyed.

    ``parents``: entity -> (table, id column) of the service's table that links a
    provider's id to its ``participant_id`` (columns ``provider_id``, the id column,
    ``participant_id``). ``person``: the participant of an input that names none but
    implies one (intake: the participant id of a referral's NINO). ``entities``: the
    kinds of named ids whose state the service keeps (payments and views keep state per
    participant only; the placement an event names is no key of theirs).
    """

    service: str
    parents: Mapping[Entity, tuple[str, str]] = field(default_factory=dict)
    person: Callable[[Event], str | None] | None = None
    entities: frozenset[Entity] = ALL_ENTITIES

    def keys(self, items: Iterable[Received[Event]]) -> set[str]:
        keys: set[str] = set()
        for item in items:
            keys |= named_keys(item.event, self.entities)
            if self.person is not None and (person := self.person(item.event)) is not None:
                keys.add(f"{Entity.PARTICIPANT}:{person}")
        return keys

    async def participants(self, conn: db.Connection, keys: Iterable[str]) -> set[str]:
        """The participant keys of the provider ids among ``keys`` (stored links only)."""
        wanted: dict[Entity, list[tuple[str, str]]] = {}
        for key in keys:
            kind, _, rest = key.partition(":")
            provider, _, value = rest.partition(":")
            if kind in self.parents and value:
                wanted.setdefault(Entity(kind), []).append((provider, value))
        found: set[str] = set()
        for entity, pairs in sorted(wanted.items()):
            table, column = self.parents[entity]
            rows = await conn.fetch(
                f"SELECT DISTINCT participant_id FROM {table} WHERE (provider_id, {column}) IN"
                " (SELECT * FROM unnest($1::text[], $2::text[]))",
                [p for p, _ in pairs],
                [v for _, v in pairs],
            )
            found |= {f"{Entity.PARTICIPANT}:{r['participant_id']}" for r in rows}
        return found


class TransactionLocks:
    """The keys one transaction holds (on ``conn``, until it ends)."""

    def __init__(self, conn: db.Connection, locking: Locking) -> None:
        self.conn = conn
        self.locking = locking
        self.held: set[str] = set()

    async def take(self, keys: Iterable[str]) -> None:
        """Lock the keys not held yet, in sorted order of their lock ids."""
        new = {key_of(k) for k in keys} - self.held
        if not new:
            return
        ids = sorted({lock_id(self.locking.service, k) for k in new})
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", ids
        )
        self.held |= new

    async def take_for(self, records: Sequence[RawRecord]) -> None:
        """Lock what ``records`` name, then the participants those ids belong to."""
        items = [d for d in map(decode, records) if isinstance(d, Received)]
        named = self.locking.keys(items)
        await self.take(named)
        await self.take(await self.locking.participants(self.conn, named))

    async def release(self, wait_for: Sequence[str], release: Release) -> list[RawRecord]:
        """Take out of the hold what waits for ``wait_for``, holding every key it names.

        The released keys are locked first: a transaction that holds an input waiting
        for one of them holds its key too, so its input is committed (and taken here)
        or it sees the entity this transaction makes known. Inputs taken name keys of
        their own (their subject, their participant); those are locked and the hold is
        read again, so an input held behind them meanwhile (same subject, same
        wait-for) is taken too rather than left waiting for a release already done.
        """
        await self.take(wait_for)
        taken: list[RawRecord] = []
        while batch := await release(wait_for):
            taken += batch
            before = set(self.held)
            await self.take_for(batch)
            if self.held == before:
                break
        return taken


def service_lock_id(service: str) -> int:
    """The one lock of a service that has no :class:`Locking` (one transaction at a time)."""
    key = hashlib.sha256(f"outcomes-processor:{service}".encode()).digest()[:8]
    return int.from_bytes(key, "big", signed=True)

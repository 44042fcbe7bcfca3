"""Owner epochs: an instance that lost a partition in a rebalance cannot commit its work.

Kafka's group assigns each partition to one instance, but an instance does not learn at
once that it lost one: a batch it took before the rebalance may still be in its
transaction when the new owner starts on the same records. A lock does not tell the two
apart; the database does (table ``partition_owners``, migration 007):

* :meth:`PartitionOwnership.take` — on assignment, the instance writes itself as owner
  of its partitions; a partition another instance owned gets a new epoch. The update
  waits for the row locks of transactions still running on those partitions, so a stale
  transaction either commits before the new owner starts or is fenced.
* :meth:`PartitionOwnership.check` — at the start of each processing transaction, the
  rows of its partitions are locked (``FOR UPDATE``) and their epochs compared with the
  ones this instance took: any other epoch raises :class:`Fenced` and the transaction
  rolls back (nothing committed, its records not acknowledged).
* :meth:`PartitionOwnership.advance` — in the same transaction, the position (next
  offset) of each partition moves past its records, with inbox, state and outbox: what
  the database has processed, whatever Kafka's committed offsets say. (Records below
  it are not skipped: the inbox already makes them no-ops, and a topic re-created under
  the same name would start again at offset 0.)

An instance that is assigned a partition it already owns (eager rebalancing revokes and
re-assigns everything) keeps its epoch: only another owner makes its work stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence

from services.common import db
from services.common.messages import RawRecord

TopicPartition = tuple[str, int]


class Fenced(Exception):
    """Another instance owns these partitions now: the transaction must not commit."""

    def __init__(self, partitions: Iterable[TopicPartition]) -> None:
        self.partitions = frozenset(partitions)
        names = ", ".join(f"{t}[{p}]" for t, p in sorted(self.partitions))
        super().__init__(f"partitions owned by another instance now: {names}")


def partitions_of(records: Iterable[RawRecord]) -> dict[TopicPartition, int]:
    """Each partition of ``records`` -> the offset after its last record."""
    ends: dict[TopicPartition, int] = {}
    for r in records:
        tp = (r.topic, r.partition)
        ends[tp] = max(ends.get(tp, 0), r.offset + 1)
    return ends


class PartitionOwnership:
    """The partitions this instance owns, with the epoch it took each with."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.epochs: dict[TopicPartition, int] = {}
        self.settled = asyncio.Event()
        """Set while the assignment is known (cleared from a revocation to the next
        assignment): batches wait for it."""

    def owns(self, topic: str, partition: int) -> bool:
        return (topic, partition) in self.epochs

    def revoking(self) -> None:
        self.settled.clear()

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self.epochs.pop(tp, None)

    async def take(self, conn: db.Connection, assigned: Iterable[TopicPartition]) -> None:
        """Own ``assigned`` (and nothing else): a new epoch where another owned it."""
        wanted = sorted(set(assigned))
        rows = await conn.fetch(
            "INSERT INTO partition_owners AS o (topic, partition, epoch, owner)"
            " SELECT t, p, 1, $3 FROM unnest($1::text[], $2::int[]) AS a(t, p) ORDER BY t, p"
            " ON CONFLICT (topic, partition) DO UPDATE SET"
            " epoch = CASE WHEN o.owner = EXCLUDED.owner THEN o.epoch ELSE o.epoch + 1 END,"
            " owner = EXCLUDED.owner,"
            " taken_at = CASE WHEN o.owner = EXCLUDED.owner THEN o.taken_at ELSE now() END"
            " RETURNING topic, partition, epoch",
            [t for t, _ in wanted],
            [p for _, p in wanted],
            self.owner,
        )
        self.epochs = {(r["topic"], r["partition"]): r["epoch"] for r in rows}
        self.settled.set()

    async def check(
        self, conn: db.Connection, records: Sequence[RawRecord]
    ) -> Mapping[TopicPartition, int]:
        """Lock the rows of the partitions of ``records``; raise :class:`Fenced` unless
        this instance still owns them with its epoch. Returns their positions."""
        tps = sorted(partitions_of(records))
        stale = {tp for tp in tps if tp not in self.epochs}
        if stale:
            raise Fenced(stale)
        rows = await conn.fetch(
            "SELECT o.topic, o.partition, o.epoch, o.position FROM partition_owners o"
            " JOIN unnest($1::text[], $2::int[]) AS a(t, p) ON o.topic = a.t AND o.partition = a.p"
            " ORDER BY o.topic, o.partition FOR UPDATE OF o",
            [t for t, _ in tps],
            [p for _, p in tps],
        )
        found = {(r["topic"], r["partition"]): r for r in rows}
        stale = {tp for tp in tps if tp not in found or found[tp]["epoch"] != self.epochs[tp]}
        if stale:
            raise Fenced(stale)
        return {tp: row["position"] for tp, row in found.items()}

    async def advance(self, conn: db.Connection, records: Sequence[RawRecord]) -> None:
        """Move each partition's position past ``records`` (rows locked by check)."""
        ends = sorted(partitions_of(records).items())
        if not ends:
            return
        await conn.execute(
            "UPDATE partition_owners o SET position = GREATEST(o.position, a.n)"
            " FROM unnest($1::text[], $2::int[], $3::bigint[]) AS a(t, p, n)"
            " WHERE o.topic = a.t AND o.partition = a.p",
            [t for (t, _), _ in ends],
            [p for (_, p), _ in ends],
            [n for _, n in ends],
        )

"""Decoded events of held records, kept in memory so their release does not decode them again.

A record held (services/common/holds.py) is stored raw in the hold table and comes back,
on its release, as a new :class:`RawRecord`; decoding it again costs as much as the
first time (about 40% of sustainment's decoding). :class:`Recall` keeps, for records
this process held, what they decoded to, and gives it back when the same record is
released here:

- the entry is found by the record's position (spec, topic, partition, offset) and the
  size limit it was decoded under, and served only if the released record has **the
  same key and value bytes** (compared in full): a different payload at the same
  position is decoded afresh, never served from here;
- an entry is taken once (a record leaves the hold once); a miss - released by another
  instance, evicted, a retried transaction - decodes as before;
- it is bounded in entries and in bytes (values and keys, plus an allowance per entry
  for the decoded model), the oldest evicted first; a value over ``max_value_bytes`` is
  never kept.

Events are frozen pydantic models, so the event served is the one the first decode
built: equal to a fresh decode, and immutable (tests/unit/test_recall.py).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from schemas.base import Event
from services.common.messages import RawRecord, Received

ENTRY_ALLOWANCE_BYTES = 2048
"""Counted per entry next to its key and value: the decoded model and the entry itself
(an event of a provider is a few hundred bytes of JSON and about 1-2 KiB of objects)."""

Position = tuple[str, str, int, int, int]


@dataclass(frozen=True)
class _Entry:
    key: bytes | None
    value: bytes
    event: Event
    size: int


def position(record: RawRecord, limit: int) -> Position:
    return (record.spec.name, record.topic, record.partition, record.offset, limit)


class Recall:
    """What held records decoded to, by position, checked against their bytes."""

    def __init__(
        self,
        max_entries: int = 16_384,
        max_bytes: int = 32 * 1024 * 1024,
        max_value_bytes: int = 16 * 1024,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_value_bytes = max_value_bytes
        self._entries: OrderedDict[Position, _Entry] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def keep(self, received: Received[Event], limit: int) -> None:
        """Remember what ``received``'s record decoded to (under ``limit``)."""
        record = received.record
        if record.cut is not None or len(record.value) > self.max_value_bytes:
            return
        size = len(record.value) + len(record.key or b"") + ENTRY_ALLOWANCE_BYTES
        if size > self.max_bytes or self.max_entries < 1:
            return
        where = position(record, limit)
        self._drop(where)
        self._entries[where] = _Entry(record.key, record.value, received.event, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def take(self, record: RawRecord, limit: int) -> Received[Event] | None:
        """The decoded event of ``record`` if this process kept it for these exact bytes
        (the entry is taken out either way)."""
        entry = self._drop(position(record, limit))
        if entry is None or record.cut is not None:
            return None
        if entry.value != record.value or entry.key != record.key:
            return None
        return Received(record, entry.event)

    def _drop(self, where: Position) -> _Entry | None:
        entry = self._entries.pop(where, None)
        if entry is not None:
            self.bytes -= entry.size
        return entry

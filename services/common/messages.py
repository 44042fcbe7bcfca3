"""Messages as the runtime sees them: raw input records and events bound for a topic."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from schemas.base import Event
from schemas.topics import TopicSpec, provider_of, topic_name


def bounded_digest(prefix: bytes, length: int) -> bytes:
    """SHA-256 of a value kept only in part: its full length (8 bytes, big-endian), then
    its kept prefix. The rest of it is never hashed (nor held)."""
    return hashlib.sha256(length.to_bytes(8, "big") + prefix).digest()


def cut_to(value: bytes, prefix_bytes: int, why: str) -> tuple[bytes, Cut]:
    """``value``'s first ``prefix_bytes`` and the Cut describing the whole."""
    prefix = value[:prefix_bytes]
    return prefix, Cut(len(value), bounded_digest(prefix, len(value)), why)


@dataclass(frozen=True)
class Cut:
    """An input kept only in part: its value was over the size limit (or never read).

    ``length``: the full value's length as it arrived; ``sha256``: of that length and
    the kept prefix (:func:`bounded_digest`: the rest is never hashed);
    ``why``: in words, for the rejection.
    """

    length: int
    sha256: bytes
    why: str


@dataclass(frozen=True)
class RawRecord:
    """One Kafka record as received (or as kept in the hold table).

    ``cut``: set when ``value`` is only a bounded prefix of what arrived (see Cut).
    """

    spec: TopicSpec
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    cut: Cut | None = None

    @property
    def length(self) -> int:
        """The length of the value as it arrived."""
        return self.cut.length if self.cut is not None else len(self.value)

    def sha256(self) -> bytes:
        """SHA-256 of the value as it arrived, or of a cut value's length and prefix."""
        if self.cut is not None:
            return self.cut.sha256
        return hashlib.sha256(self.value).digest()

    @property
    def provider_id(self) -> str | None:
        """The provider whose topic this record came from (None: an internal topic).

        Derived from the topic name, so a record kept in the hold table keeps it too.
        """
        return provider_of(self.spec, self.topic)


E_co = TypeVar("E_co", bound=Event, covariant=True)


@dataclass(frozen=True)
class Received(Generic[E_co]):
    """A record whose value decoded into its topic's event model (``E_co``: which one,
    once a service's rules table has dispatched on it; ``Event`` before)."""

    record: RawRecord
    event: E_co

    @cached_property
    def event_id(self) -> str:
        return str(self.event.event_id)

    @cached_property
    def message_id(self) -> str:
        """Its identity for "processed once" (the inbox, the hold): the ``event_id``, and
        for a record of a provider's topic the provider too (``<provider_id>:<event_id>``,
        domain.md v3 §9), so a copy of A's event on B's topic never suppresses A's."""
        provider = self.record.provider_id
        return self.event_id if provider is None else f"{provider}:{self.event_id}"


@dataclass(frozen=True)
class Outgoing:
    """An event to publish; written to the outbox in the transaction that decided it."""

    spec: TopicSpec
    key: str
    event: Event
    provider_id: str | None = None
    """For a per-provider topic (a provider's rejections): whose topic."""

    def topic(self, namespace: str = "") -> str:
        return topic_name(self.spec, namespace, self.provider_id)


def ids_named(items: Iterable[Received[Event]], field: str) -> set[str]:
    """The values of ``field`` over the items whose events have it (e.g. "placement_id")."""
    return {getattr(i.event, field) for i in items if _has_field(i.event, field)}


def keys_named(items: Iterable[Received[Event]], field: str) -> set[tuple[str, str]]:
    """(provider_id, value of ``field``) over the items whose events have both: a
    referral, placement or evidence id is its provider's own (domain.md v3 §9)."""
    return {
        (i.event.provider_id, getattr(i.event, field))
        for i in items
        if _has_field(i.event, field) and hasattr(i.event, "provider_id")
    }


def _has_field(event: Event, field: str) -> bool:
    """Whether ``event``'s model has the field (looked up in the class's fields: a
    ``hasattr`` on a model without it raises and catches an error inside pydantic;
    ``provider_id``, which nearly every event has, keeps its ``hasattr``)."""
    return field in type(event).model_fields

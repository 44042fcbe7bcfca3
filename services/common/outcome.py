"""What handling a batch decided: events to publish, rejections, holds, releases.

A rejection is built bounded (schemas/rejections.py): a masked prefix of the original,
its length and SHA-256, every copied text clipped; the full original goes to the
service's ``quarantine`` table in the same transaction (:class:`Quarantined`).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Generic, Protocol, TypeVar, cast

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.rejections import (
    MAX_REJECTION_BYTES,
    MESSAGE_MAX,
    ORIGINAL_PREFIX_BYTES,
    TEXT_MAX,
    EventRejected,
)
from schemas.topics import (
    ALL_TOPICS,
    PROVIDER_KINDS,
    PROVIDER_REJECTIONS,
    REJECTIONS,
    Owner,
    TopicSpec,
)
from services.common.decisions import Accept, HeldSubjects, Hold, Ignore
from services.common.emits import Decided, Stamp, derived_event_id, stamp
from services.common.holds import Subject, WaitFor
from services.common.messages import Outgoing, RawRecord, Received
from services.common.rejection import Rejection

log = logging.getLogger(__name__)

QUARANTINE_MESSAGE_MAX = 10_000

Held = tuple[str, str, RawRecord, str | None]
"""An input to hold: (message id, what it waits for, its record, its subject)."""

Masker = Callable[[bytes], bytes]
"""Hides personal data in an original before any of it goes on a topic (intake's masks
the NINO and date of birth). Must not raise; if it does, no prefix is published."""


def identity(value: bytes) -> bytes:
    return value


def clip(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, saying how long it was when clipped.

    Lone surrogates (which cannot be encoded) become ``?``.
    """
    text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) <= limit:
        return text
    marker = f"...[{len(text):,} chars]"
    return text[: max(0, limit - len(marker))] + marker[:limit]


def _masked_or_nothing(value: bytes, mask: Masker) -> bytes:
    try:
        return mask(value)
    except Exception:
        log.exception("masking an original failed: no masked copy of it is published or kept")
        return b""


@dataclass(frozen=True)
class Quarantined:
    """The full original of a rejected input, kept in the service's own database."""

    message_id: str
    record: RawRecord
    reason: RejectionReason
    message: str
    sha256: str


def record_id(record: RawRecord) -> str:
    """The inbox id of a record that has no readable event_id: its position."""
    return f"record:{record.topic}:{record.partition}:{record.offset}"


T = TypeVar("T")


class AboutParticipant(Protocol):
    """What :meth:`BatchOutcome.announce` needs of an event: its participant."""

    @property
    def participant_id(self) -> str: ...


@cache
def written_by(service: Owner, kind: type[Event]) -> TopicSpec:
    """The topic ``service`` writes events of type ``kind`` to (one writer per topic)."""
    for spec in ALL_TOPICS:
        if spec.owner == service and kind in spec.models:
            return spec
    raise TypeError(f"{service} writes no topic of {kind.__name__}")


@dataclass(frozen=True, eq=False)
class PerTransaction(Generic[T]):
    """A value a handler gathers across the rounds of one transaction and uses in its
    ``finish`` (sustainment's displaced starts, the views' changes).

    It lives on the transaction's :class:`BatchOutcome` (``outcome.gathered(SLOT)``),
    never on the handler: a transaction that fails takes its value with it."""

    name: str
    start: Callable[[], T]


@dataclass
class BatchOutcome:
    """Collects the decisions of one batch; the runtime writes them in one transaction."""

    service: Owner
    now: datetime
    mask_original: Masker = identity
    rejection_salt: str = ""
    """Named in the derivation of rejection ids (a replay's rejection is a new event)."""
    keep_personal_data: bool = False
    """True only for intake: its quarantine keeps originals unmasked (its schema is where
    the NINO and date of birth live); any other service quarantines the masked original
    (its key and value)."""
    outgoing: list[Outgoing] = field(default_factory=list)
    rejections: list[EventRejected] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    holds: list[Held] = field(default_factory=list)
    released: set[str] = field(default_factory=set)
    touched: dict[str, datetime | None] = field(default_factory=dict)
    touched_by: dict[str, list[str]] = field(default_factory=dict)
    """The inputs that changed each touched entity (each processed once, so together they
    name what this transaction derived from them uniquely)."""
    """Entities whose facts changed in this transaction (every round), each with the
    latest ``produced_at`` of the provider events behind the change; decided on once,
    in ``finish`` (sustainment: the participants whose milestones to recompute)."""
    _gathered: dict[object, object] = field(default_factory=dict)

    def gathered(self, slot: PerTransaction[T]) -> T:
        """This transaction's value of ``slot`` (started on first use)."""
        if slot not in self._gathered:
            self._gathered[slot] = slot.start()
        return cast(T, self._gathered[slot])

    def stamp(self, *parts: object) -> Stamp:
        """The id derived from ``parts`` (the same on reprocessing) and this batch's time."""
        return stamp(self.now, *parts)

    def emit(self, spec: TopicSpec, key: str, event: Event) -> None:
        self.outgoing.append(Outgoing(spec, key, event))

    def announce(self, spec: TopicSpec, event: AboutParticipant) -> None:
        """Publish ``event`` keyed by its participant: every event the services derive is
        about one participant, and its key keeps a participant's events in order."""
        if not isinstance(event, Event):
            raise TypeError(f"not an event: {type(event).__name__}")
        self.emit(spec, event.participant_id, event)

    def publish(self, *events: Event) -> None:
        """Publish the events a rule returned, in order, each on the topic this service
        writes its type to, keyed by the topic's key field (``schemas/topics.py``)."""
        for event in events:
            spec = written_by(self.service, type(event))
            self.emit(spec, str(getattr(event, spec.key_field)), event)

    def follow(
        self,
        decided: Decided[object],
        item: Received[Event],
        held: HeldSubjects | None = None,
        subject: Subject | None = None,
    ) -> bool:
        """Carry out what a rule returned about ``item``: its rejection or hold
        (:meth:`carry_out`), or else the events and releases that follow from it.
        True when it is to be applied (neither rejected, held nor ignored)."""
        decision = decided.decision
        if isinstance(decision, Rejection | Hold):
            self.carry_out(decision, item, held, subject)
            return False
        self.publish(*decided.events)
        for key in decided.releases:
            self.release(key)
        return not isinstance(decision, Ignore)

    def reject(self, item: Received[Event], reason: RejectionReason, message: str) -> None:
        provider = item.record.provider_id or getattr(item.event, "provider_id", None)
        self.reject_record(item.record, reason, message, item.event_id, provider)

    def reject_record(
        self,
        record: RawRecord,
        reason: RejectionReason,
        message: str,
        source_event_id: str | None = None,
        provider_id: str | None = None,
    ) -> None:
        if record.provider_id is not None:
            provider_id = record.provider_id  # the topic says who sent it, not the JSON
        digest = record.sha256().hex()
        # Masked once: the rejection's prefix and the quarantined copy are both cut from
        # it (masking a value near MAX_MESSAGE_BYTES costs a noticeable fraction of a
        # second; twice per rejection doubled the time a batch of them held the loop).
        masked = _masked_or_nothing(record.value, self.mask_original)
        rejected = EventRejected(
            event_id=derived_event_id(
                "rejected", self.service, record_id(record), *filter(None, [self.rejection_salt])
            ),
            produced_at=self.now,
            service=self.service,
            reason=reason,
            message=clip(message.replace("\x00", "\\x00"), MESSAGE_MAX),  # text columns refuse NUL
            source_topic=clip(record.topic, TEXT_MAX),
            source_partition=record.partition,
            source_offset=record.offset,
            source_event_id=None if source_event_id is None else clip(source_event_id, TEXT_MAX),
            provider_id=None if provider_id is None else clip(provider_id, TEXT_MAX),
            original_prefix_b64=base64.b64encode(masked[:ORIGINAL_PREFIX_BYTES]).decode(),
            original_length=record.length,
            original_sha256=digest,
        )
        size = len(rejected.model_dump_json().encode())
        assert size <= MAX_REJECTION_BYTES, f"rejection of {size} bytes"
        self.rejections.append(rejected)
        kept = record
        if not self.keep_personal_data and self.mask_original is not identity:
            kept = replace(
                record,
                key=None
                if record.key is None
                else _masked_or_nothing(record.key, self.mask_original),
                value=masked,
            )
        self.quarantined.append(
            Quarantined(
                message_id=source_event_id or record_id(record),
                record=kept,
                reason=reason,
                message=clip(message, QUARANTINE_MESSAGE_MAX).replace("\x00", "\\x00"),
                sha256=digest,
            )
        )

    def hold(
        self, item: Received[Event], waiting_for: WaitFor, subject: Subject | None = None
    ) -> None:
        """Hold ``item`` until ``waiting_for`` is released. ``subject`` (``holds.subject``)
        names what its arrival order matters for: the handler holds
        later inputs of a subject with held rows behind them (db.held_waiting)."""
        self.holds.append((item.message_id, waiting_for, item.record, subject))

    def or_hold(self, found: T | None, item: Received[Event], waiting_for: WaitFor) -> T | None:
        """``found``; or, when it is None, None with ``item`` held until ``waiting_for``."""
        if found is None:
            self.hold(item, waiting_for)
        return found

    def carry_out(
        self,
        decision: Rejection | Hold | Ignore | Accept,
        item: Received[Event],
        held: HeldSubjects | None = None,
        subject: Subject | None = None,
    ) -> bool:
        """Carry out a rule's rejection or hold of ``item``; True only when it is to be
        applied (accepted). A hold under ``subject`` is noted in ``held``, so that later
        inputs of the subject in this transaction wait behind it."""
        if isinstance(decision, Rejection):
            self.reject(item, decision.reason, decision.message)
        elif isinstance(decision, Hold):
            self.hold(item, decision.waiting_for, subject)
            if held is not None and subject is not None:
                held.add(subject, decision.waiting_for)
        return isinstance(decision, Accept)

    def hold_record(
        self,
        message_id: str,
        record: RawRecord,
        waiting_for: WaitFor,
        subject: Subject | None = None,
    ) -> None:
        """Hold an input accepted earlier again, as if it had just arrived and been held
        (e.g. a job start whose programme start was displaced, domain.md §4 v3)."""
        self.holds.append((message_id, waiting_for, record, subject))

    def release(self, key: WaitFor) -> None:
        self.released.add(key)

    def touch(self, entity_id: str, source: datetime | None, cause: str = "") -> None:
        """Mark ``entity_id`` changed, by the input ``cause`` (its message id), produced
        by its provider at ``source``."""
        before = self.touched.get(entity_id)
        if before is None or (source is not None and source > before):
            self.touched[entity_id] = source
        self.touched_by.setdefault(entity_id, []).append(cause)

    def take_holds(self) -> list[Held]:
        taken, self.holds = self.holds, []
        return taken

    def take_released(self) -> list[str]:
        taken, self.released = sorted(self.released), set()
        return taken

    def mark(self) -> tuple[int, int, int, frozenset[str]]:
        """A point to :meth:`rewind` to when handling after it is rolled back."""
        return (len(self.outgoing), len(self.rejections), len(self.holds), frozenset(self.released))

    def rewind(self, mark: tuple[int, int, int, frozenset[str]]) -> None:
        """Forget the decisions recorded since ``mark``."""
        outgoing, rejections, holds, released = mark
        del self.outgoing[outgoing:], self.rejections[rejections:], self.holds[holds:]
        del self.quarantined[rejections:]
        self.released = set(released)

    def all_outgoing(self) -> list[Outgoing]:
        """Decided events, then the rejections: a record read from a provider's topic is
        rejected onto that provider's rejection topic, an internal one onto the service's."""
        return self.outgoing + [self._rejection_outgoing(r) for r in self.rejections]

    def _rejection_outgoing(self, rejected: EventRejected) -> Outgoing:
        key = rejected.source_event_id or record_key(rejected)
        if rejected.provider_id is not None and _from_provider_topic(rejected):
            return Outgoing(PROVIDER_REJECTIONS, key, rejected, rejected.provider_id)
        return Outgoing(REJECTIONS[self.service], key, rejected)


def _from_provider_topic(rejected: EventRejected) -> bool:
    """Was the rejected record read from its provider's own topic?"""
    suffix = f".{rejected.provider_id}."
    return any(
        rejected.source_topic.endswith(suffix + kind.name.removeprefix("provider."))
        for kind in PROVIDER_KINDS
    )


def record_key(rejected: EventRejected) -> str:
    return f"{rejected.source_topic}:{rejected.source_partition}:{rejected.source_offset}"

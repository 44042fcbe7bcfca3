"""What handling a batch decided: events to publish, rejections, holds, releases."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.rejections import EventRejected
from schemas.topics import PROVIDER_KINDS, PROVIDER_REJECTIONS, REJECTIONS, Owner, TopicSpec
from services.common.messages import Outgoing, RawRecord, Received

EVENT_ID_NAMESPACE = uuid.UUID("5b0c6a52-7d7e-4d38-9a3e-1f0de4c0a001")


def derived_event_id(*parts: object) -> uuid.UUID:
    """A deterministic event id: reprocessing the same input yields the same id."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, "|".join(str(p) for p in parts))


def record_id(record: RawRecord) -> str:
    """The inbox id of a record that has no readable event_id: its position."""
    return f"record:{record.topic}:{record.partition}:{record.offset}"


@dataclass
class BatchOutcome:
    """Collects the decisions of one batch; the runtime writes them in one transaction."""

    service: Owner
    now: datetime
    outgoing: list[Outgoing] = field(default_factory=list)
    rejections: list[EventRejected] = field(default_factory=list)
    holds: list[tuple[str, str, RawRecord]] = field(default_factory=list)
    released: set[str] = field(default_factory=set)

    def emit(self, spec: TopicSpec, key: str, event: Event) -> None:
        self.outgoing.append(Outgoing(spec, key, event))

    def reject(self, item: Received, reason: RejectionReason, message: str) -> None:
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
        self.rejections.append(
            EventRejected(
                event_id=derived_event_id("rejected", self.service, record_id(record)),
                produced_at=self.now,
                service=self.service,
                reason=reason,
                message=message,
                source_topic=record.topic,
                source_partition=record.partition,
                source_offset=record.offset,
                source_event_id=source_event_id,
                provider_id=provider_id,
                original_b64=base64.b64encode(record.value).decode(),
            )
        )

    def hold(self, item: Received, waiting_for: str) -> None:
        self.holds.append((item.event_id, waiting_for, item.record))

    def release(self, key: str) -> None:
        self.released.add(key)

    def take_holds(self) -> list[tuple[str, str, RawRecord]]:
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

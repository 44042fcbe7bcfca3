"""Publishing prepared lines to the provider's topics, and the receipt that says where
each event landed (``status`` reads it)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from outcomes_cli.envelope import Prepared
from outcomes_cli.kafka_io import existing_partitions, producer
from outcomes_cli.settings import CliSettings
from outcomes_cli.topology import provider_topic

CHUNK = 2000  # sends in flight before waiting for their acknowledgements


@dataclass(frozen=True)
class Sent:
    """Where one event landed."""

    line: int
    event_id: str
    type: str
    key: str
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    namespace: str
    sent: tuple[Sent, ...]

    def counts(self) -> list[tuple[str, str, int]]:
        """(topic, type, events) in topic then type order."""
        counts = Counter((s.topic, s.type) for s in self.sent)
        return sorted((topic, kind, n) for (topic, kind), n in counts.items())

    def to_json(self) -> str:
        return json.dumps(
            {
                "provider_id": self.provider_id,
                "namespace": self.namespace,
                "sent": [asdict(s) for s in self.sent],
            },
            indent=None,
        )

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        data = json.loads(text)
        sent = tuple(Sent(**item) for item in data["sent"])
        return cls(data["provider_id"], data["namespace"], sent)


def receipt_path(file: Path) -> Path:
    """Where publish writes the receipt of ``file``: beside it, ``<file>.receipt.json``."""
    return file.with_name(file.name + ".receipt.json")


class NoSuchTopics(Exception):
    """The provider's topics do not exist (an unknown provider id, or another namespace)."""


async def check_topics(settings: CliSettings, provider_id: str, events: Sequence[Prepared]) -> None:
    names = {provider_topic(e.spec, provider_id, settings.topic_namespace) for e in events}
    found = {tp.topic for tp in await existing_partitions(settings, names)}
    missing = sorted(names - found)
    if missing:
        raise NoSuchTopics(
            f"no topic {', '.join(missing)}: is {provider_id!r} a configured provider "
            "(deploy/reference/contracts.json), and the namespace right?"
        )


async def publish(
    settings: CliSettings,
    provider_id: str,
    events: Sequence[Prepared],
    on_sent: Callable[[int], None] | None = None,
) -> Receipt:
    """Send ``events`` in file order (idempotent producer, ``acks=all``), keyed by entity id."""
    await check_topics(settings, provider_id, events)
    client = producer(settings)
    await client.start()
    sent: list[Sent] = []
    try:
        for begin in range(0, len(events), CHUNK):
            chunk = events[begin : begin + CHUNK]
            futures = []
            for event in chunk:
                topic = provider_topic(event.spec, provider_id, settings.topic_namespace)
                futures.append(await client.send(topic, value=event.value, key=event.key.encode()))
            for event, future in zip(chunk, futures, strict=True):
                meta = await future
                sent.append(
                    Sent(
                        event.number,
                        event.event_id,
                        event.type,
                        event.key,
                        meta.topic,
                        meta.partition,
                        meta.offset,
                    )
                )
            if on_sent is not None:
                on_sent(len(chunk))
        await client.flush()
    finally:
        await client.stop()
    return Receipt(provider_id, settings.topic_namespace, tuple(sent))

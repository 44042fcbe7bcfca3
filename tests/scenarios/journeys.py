"""The scenario suite's data: journeys read from ``journeys/*.json`` (format: README.md).

A journey is provider events in arrival order and what the rule book says must come of
them. This module turns a file into the exact bytes each arrival publishes (event ids and
instants filled in deterministically) and into the expectations, keyed by labels.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.topics import PROVIDER_EVIDENCE, PROVIDER_INTAKE, PROVIDER_PLACEMENTS, TopicSpec

HERE = Path(__file__).parent
JOURNEY_DIR = HERE / "journeys"
REFERENCE_DIR = HERE / "reference"
_NAMESPACE = uuid.UUID("6c0e9a3e-3b7e-4f0e-9d55-2f1f8b7b0a11")
PRODUCED_AT = "2026-01-05T09:00:00Z"

TOPIC_OF_TYPE: dict[str, TopicSpec] = {
    "referral": PROVIDER_INTAKE,
    "programme_start": PROVIDER_INTAKE,
    "programme_end": PROVIDER_INTAKE,
    "job_start": PROVIDER_PLACEMENTS,
    "job_end": PROVIDER_PLACEMENTS,
    "evidence": PROVIDER_EVIDENCE,
    "evidence_retraction": PROVIDER_EVIDENCE,
}


@dataclass(frozen=True)
class Arrival:
    """One message as published: its provider topic, key and exact bytes."""

    label: str
    spec: TopicSpec
    provider_id: str
    """Whose topic it is published on (normally the event's own provider_id)."""
    key: str
    value: bytes
    event_id: str
    batch: str | None


@dataclass(frozen=True)
class Journey:
    name: str
    description: str
    covers: list[str]
    arrivals: list[Arrival]
    expect: dict[str, Any]

    def groups(self) -> list[list[Arrival]]:
        """Arrivals in order; consecutive arrivals of one ``batch`` form one group."""
        groups: list[list[Arrival]] = []
        for arrival in self.arrivals:
            last = groups[-1] if groups else None
            if last and arrival.batch is not None and last[0].batch == arrival.batch:
                last.append(arrival)
            else:
                groups.append([arrival])
        return groups

    def label_of_event_id(self) -> dict[str, str]:
        """event_id -> label, for ids that only one distinct message carries."""
        owners: dict[str, set[str]] = {}
        for a in self.arrivals:
            owners.setdefault(a.event_id, set()).add(a.value.decode())
        labels: dict[str, str] = {}
        for a in self.arrivals:
            if len(owners[a.event_id]) == 1:
                labels.setdefault(a.event_id, a.label)
        return labels


def event_id_for(journey: str, label: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{journey}/{label}"))


def load(path: Path) -> Journey:
    doc = json.loads(path.read_text(encoding="utf-8"))
    name = doc["name"]
    assert path.stem == name, f"{path.name}: name {name!r} differs from the file name"
    by_label: dict[str, Arrival] = {}
    arrivals: list[Arrival] = []
    for entry in doc["events"]:
        label = entry["label"]
        if "resend_of" in entry:
            original = by_label[entry["resend_of"]]
            arrival = Arrival(
                label,
                original.spec,
                original.provider_id,
                original.key,
                original.value,
                original.event_id,
                entry.get("batch"),
            )
        else:
            arrival = _arrival(name, entry, by_label)
        by_label[label] = arrival
        arrivals.append(arrival)
    return Journey(name, doc["description"], doc["covers"], arrivals, doc["expect"])


def _arrival(journey: str, entry: dict[str, Any], by_label: dict[str, Arrival]) -> Arrival:
    label = entry["label"]
    event = dict(entry["event"])
    if "same_event_id_as" in entry:
        event_id = by_label[entry["same_event_id_as"]].event_id
    else:
        event_id = event_id_for(journey, label)
    body = {"event_id": event_id, "produced_at": PRODUCED_AT, **event}
    spec = TOPIC_OF_TYPE[str(event["type"])]
    provider_id = str(entry.get("topic_provider", event["provider_id"]))
    key = str(event.get(spec.key_field, event_id))
    value = json.dumps(body, ensure_ascii=False).encode()
    return Arrival(label, spec, provider_id, key, value, event_id, entry.get("batch"))


def all_journeys() -> list[Journey]:
    return [load(path) for path in sorted(JOURNEY_DIR.glob("*.json"))]

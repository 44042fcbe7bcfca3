"""The envelope a provider may leave out: ``provider_id``, ``produced_at``, ``event_id``.

Filled deterministically, so publishing the same file twice sends the same events:

- ``provider_id``: the provider you publish as (a different one in the file is an error);
- ``produced_at``: ``--produced-at`` if given, else the event's own date at 09:00 UTC
  (referral_date, start_date, end_date, job_start_date, reported_on; an evidence
  retraction has no date and gets 1970-01-01T00:00:00Z);
- ``event_id``: UUID 5 of the provider, that ``produced_at`` and the line's content
  (the JSON text as written, or the CSV row as JSON with sorted keys).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from outcomes_cli.lines import LineError, SourceLine
from outcomes_cli.topology import SPEC_BY_TYPE
from schemas.topics import TopicSpec

EVENT_ID_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:outcomes-platform:provider-event")
NO_DATE: Final = datetime(1970, 1, 1, tzinfo=UTC)
DATE_FIELD: Final = {
    "referral": "referral_date",
    "programme_start": "start_date",
    "programme_end": "end_date",
    "job_start": "job_start_date",
    "job_end": "end_date",
    "evidence": "reported_on",
}


@dataclass(frozen=True)
class Prepared:
    """A line ready to send: its topic kind, key and the exact bytes."""

    number: int
    type: str
    spec: TopicSpec
    key: str
    value: bytes
    event_id: str


def format_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def default_produced_at(kind: str, fields: dict[str, Any]) -> datetime:
    """The event's own date at 09:00 UTC (as the synthetic feed does), or 1970-01-01."""
    text = fields.get(DATE_FIELD.get(kind, ""))
    try:
        day = date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        day = None
    return NO_DATE if day is None else datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def event_id_for(provider_id: str, produced_at: str, content: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{provider_id}\n{produced_at}\n{content}"))


def prepare(
    line: SourceLine, provider_id: str | None, produced_at: datetime | None = None
) -> Prepared | LineError:
    """Fill what is missing and serialise; an error when the line cannot be an event."""
    if line.error is not None or line.fields is None:
        return line.error or LineError(line.number, "-", "invalid_json", "no event")
    fields = line.fields
    kind = fields.get("type")
    if not isinstance(kind, str) or kind not in SPEC_BY_TYPE:
        expected = ", ".join(SPEC_BY_TYPE)
        message = "missing" if kind is None else f"unknown type {kind!r}"
        return LineError(line.number, "type", "unknown_type", f"{message} (one of: {expected})")
    given = fields.get("provider_id")
    if provider_id is not None and given is not None and given != provider_id:
        return LineError(
            line.number,
            "provider_id",
            "provider_mismatch",
            f"{given!r} is not the provider you publish as ({provider_id!r})",
        )
    spec = SPEC_BY_TYPE[kind]
    key = fields.get(spec.key_field)
    added: dict[str, Any] = {}
    if given is None and provider_id is not None:
        added["provider_id"] = provider_id
    sender = str(given if given is not None else provider_id)
    content = line.raw if line.raw is not None else json.dumps(fields, sort_keys=True)
    stamp = fields.get("produced_at")
    if stamp is None:
        stamp = format_instant(produced_at or default_produced_at(kind, fields))
        added["produced_at"] = stamp
    event_id = fields.get("event_id")
    if event_id is None:
        event_id = event_id_for(sender, str(stamp), content)
        added["event_id"] = event_id
    value = _with_envelope(line, added)
    return Prepared(line.number, kind, spec, str(key), value, str(event_id))


def _with_envelope(line: SourceLine, added: dict[str, Any]) -> bytes:
    """JSON Lines keep their text byte for byte, the added fields spliced in first."""
    assert line.fields is not None
    if line.raw is None:
        return json.dumps(added | line.fields, separators=(",", ":")).encode()
    if not added:
        return line.raw.encode()
    head = json.dumps(added, separators=(",", ":"))[:-1]
    rest = line.raw.lstrip()[1:]
    return (head + ("," if line.fields else "") + rest).encode()

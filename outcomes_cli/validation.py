"""Checking prepared lines with the services' own decoder, and summarising the errors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from outcomes_cli.envelope import Prepared, prepare
from outcomes_cli.lines import LineError, SourceLine
from outcomes_cli.rules import rule_errors
from services.common.codec import (
    Undecodable,
    decode,
    max_message_bytes,
    oversize_message,
    too_many_members,
)
from services.common.messages import RawRecord
from services.common.reference import Reference


def check(prepared: Prepared, ref: Reference | None = None) -> list[LineError]:
    """Errors of one line: what the consuming service's decoder says, field by field,
    then (with ``ref``) the rule checks that need nothing but the event itself."""
    record = RawRecord(
        spec=prepared.spec,
        topic=prepared.spec.name,
        partition=0,
        offset=0,
        key=prepared.key.encode(),
        value=prepared.value,
    )
    refused = oversize_message(len(prepared.value), max_message_bytes()) or too_many_members(
        prepared.value
    )
    if refused is not None:  # the decoder's own bounds, before any parsing
        return [LineError(prepared.number, "-", "invalid_schema", refused)]
    decoded = decode(record)
    if isinstance(decoded, Undecodable):
        return _field_errors(prepared, decoded.message)
    return [] if ref is None else rule_errors(prepared.number, decoded.event, ref)


def _field_errors(prepared: Prepared, fallback: str) -> list[LineError]:
    try:
        prepared.spec.adapter.validate_json(prepared.value)
    except ValidationError as exc:
        return [_from_pydantic(prepared, error) for error in exc.errors(include_url=False)]
    return [LineError(prepared.number, "-", "invalid_schema", fallback)]


def _from_pydantic(prepared: Prepared, error: Any) -> LineError:
    location = [str(part) for part in error["loc"]]
    if location and location[0] == prepared.type:
        location = location[1:]  # the discriminated union's tag
    return LineError(prepared.number, ".".join(location) or "-", error["type"], error["msg"])


@dataclass
class Report:
    """What validating a file found."""

    lines: int = 0
    valid: list[Prepared] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)

    @property
    def invalid_lines(self) -> int:
        return len({error.line for error in self.errors})

    def by_reason(self) -> list[tuple[str, int]]:
        counts = Counter(error.reason for error in self.errors)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def validate_lines(
    lines: Iterable[SourceLine],
    provider_id: str | None,
    produced_at: datetime | None = None,
    ref: Reference | None = None,
) -> Iterator[tuple[SourceLine, Prepared | None, list[LineError]]]:
    """Each line with its prepared event (when it could be built) and its errors."""
    for line in lines:
        prepared = prepare(line, provider_id, produced_at)
        if isinstance(prepared, LineError):
            yield line, None, [prepared]
        else:
            yield line, prepared, check(prepared, ref)


def build_report(
    lines: Iterable[SourceLine],
    provider_id: str | None,
    produced_at: datetime | None = None,
    ref: Reference | None = None,
) -> Report:
    """Validate every line; ``ref`` adds the rule checks of :mod:`outcomes_cli.rules`."""
    report = Report()
    for _, prepared, errors in validate_lines(lines, provider_id, produced_at, ref):
        report.lines += 1
        if errors:
            report.errors.extend(errors)
        elif prepared is not None:
            report.valid.append(prepared)
            report.by_type[prepared.type] += 1
    return report


def format_report(report: Report, max_errors: int | None = None) -> list[str]:
    shown = report.errors if max_errors is None else report.errors[:max_errors]
    out = [str(error) for error in shown]
    if len(shown) < len(report.errors):
        out.append(f"... and {len(report.errors) - len(shown)} more errors")
    if report.errors:
        out.append("")
        out.append("errors by reason:")
        out += [f"  {reason:<28} {count:>7,}" for reason, count in report.by_reason()]
    valid = report.lines - report.invalid_lines
    out.append(f"{report.lines:,} lines: {valid:,} valid, {report.invalid_lines:,} invalid")
    return out

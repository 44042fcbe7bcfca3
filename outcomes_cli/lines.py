"""Reading a provider file into lines: JSON Lines, or CSV with a header row per event type
(or a ``type`` column). Pure: works on bytes, numbers lines as an editor does."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, get_args, get_origin

from pydantic_core import from_json

from outcomes_cli.topology import MODEL_BY_TYPE

Format = Literal["jsonl", "csv"]
ENVELOPE: Final = frozenset({"event_id", "produced_at", "provider_id"})
_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class LineError:
    """What is wrong with one line: ``line N, field F: message [reason]``."""

    line: int
    field: str
    reason: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field}: {self.message} [{self.reason}]"


@dataclass(frozen=True)
class SourceLine:
    """One event as written in the file. ``raw`` is the JSON text as given (JSON Lines);
    a CSV row has none and is serialised from ``fields``."""

    number: int
    fields: dict[str, Any] | None
    raw: str | None = None
    error: LineError | None = None


def detect_format(name: str, head: bytes) -> Format:
    """By extension (``.csv``; ``.jsonl``/``.ndjson``/``.json``), else by the first byte."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "jsonl" if head.lstrip()[:1] in (b"{", b"") else "csv"


def read_lines(name: str, data: bytes) -> Iterator[SourceLine]:
    fmt = detect_format(name, data[:4096])
    return read_jsonl(data) if fmt == "jsonl" else read_csv(data)


def read_jsonl(data: bytes) -> Iterator[SourceLine]:
    for number, raw_bytes in enumerate(data.split(b"\n"), start=1):
        if not raw_bytes.strip():
            continue
        try:
            text = raw_bytes.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            yield _bad(number, "invalid_encoding", f"not UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        try:
            value = from_json(text)
        except (ValueError, RecursionError) as exc:
            yield _bad(number, "invalid_json", f"not JSON: {exc}"[:200])
            continue
        if not isinstance(value, dict):
            yield _bad(number, "not_an_object", f"a JSON {type(value).__name__}, not an object")
            continue
        yield SourceLine(number, value, raw=text)


def _bad(number: int, reason: str, message: str, field: str = "-") -> SourceLine:
    return SourceLine(number, None, error=LineError(number, field, reason, message))


# ------------------------------------------------------------------------------------ CSV

KNOWN_COLUMNS: Final = frozenset(
    {"type"} | {name for model in MODEL_BY_TYPE.values() for name in model.model_fields}
)


def integer_fields(model: Any) -> frozenset[str]:
    """Fields whose type is ``int`` (or ``int | None``): CSV cells become JSON integers."""
    names = set()
    for name, info in model.model_fields.items():
        options = get_args(info.annotation) or (info.annotation,)
        if int in {get_args(o)[0] if get_origin(o) is Annotated else o for o in options}:
            names.add(name)
    return frozenset(names)


_INTEGER_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    kind: integer_fields(model) for kind, model in MODEL_BY_TYPE.items()
}


def type_for_header(header: Iterable[str]) -> str | None:
    """The one event type whose required fields the header has and that has every column."""
    columns = set(header)
    matches = [
        kind
        for kind, model in MODEL_BY_TYPE.items()
        if columns <= set(model.model_fields)
        and {n for n, f in model.model_fields.items() if f.is_required()} - ENVELOPE <= columns
    ]
    return matches[0] if len(matches) == 1 else None


def _decoded_lines(data: bytes, bad: dict[int, str]) -> Iterator[str]:
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = f"not UTF-8 ({exc.reason} at byte {exc.start})"
            yield raw.decode("utf-8", errors="replace")


def read_csv(data: bytes) -> Iterator[SourceLine]:
    """Rows of a CSV file. A row whose every cell is a known column name starts a section;
    its type is the ``type`` column of each row, or else the one type the header fits."""
    bad: dict[int, str] = {}
    reader = csv.reader(_decoded_lines(data.removeprefix(b"\xef\xbb\xbf"), bad))
    header: list[str] | None = None
    section_type: str | None = None
    for row in reader:
        number = reader.line_num
        if number in bad:
            yield _bad(number, "invalid_encoding", bad[number])
            continue
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if header is None or (all(cells) and set(cells) <= KNOWN_COLUMNS):
            header = cells
            section_type = None if "type" in header else type_for_header(header)
            if "type" not in header and section_type is None:
                yield _bad(
                    number, "unknown_header", "header fits no event type: " + ",".join(cells)
                )
            continue
        yield _row(number, header, section_type, cells)


def _row(number: int, header: list[str], section_type: str | None, cells: list[str]) -> SourceLine:
    if len(cells) != len(header):
        return _bad(number, "invalid_csv", f"{len(cells)} values for {len(header)} columns")
    given = {column: cell for column, cell in zip(header, cells, strict=True) if cell != ""}
    kind = given.get("type", section_type)
    if kind is None:
        return _bad(number, "unknown_type", "no type column and the header fits no event type")
    integers = _INTEGER_FIELDS.get(kind, frozenset())
    fields: dict[str, Any] = {"type": kind}
    for column, cell in given.items():
        fields[column] = int(cell) if column in integers and _INTEGER.fullmatch(cell) else cell
    return SourceLine(number, fields)

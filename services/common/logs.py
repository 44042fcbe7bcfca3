"""Structured logs: one JSON object per line, no personal data.

Every line carries ``ts`` (UTC, ISO 8601), ``level``, ``service``, ``logger`` and
``message``; a record about one Kafka record adds ``topic``, ``partition``, ``offset``
and, when known, ``event_id`` (pass :func:`record_context` as ``extra=``). Messages and
tracebacks go through :func:`redact`: anything shaped like a National Insurance number
and any ``date_of_birth`` value is masked, so even an exception that quotes an input
cannot put one in the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from services.common.messages import RawRecord

CONTEXT_FIELDS = ("topic", "partition", "offset", "event_id", "reason", "count")

# A NINO: two prefix letters, six digits, suffix A-D (spaces allowed as printed on cards).
_NINO = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}(?:\s?\d){6}\s?[A-Da-d](?![A-Za-z0-9])")
# date_of_birth with whatever follows it up to the next separator (JSON, repr or k=v).
_DOB = re.compile(r"(date_of_birth\W{0,4})([^,;}\s]{1,64})", re.IGNORECASE)
# pydantic's "input_value=..." can echo any field; keep its type, not its value.
_INPUT_VALUE = re.compile(r"(input_value=)('[^']{0,2000}'|\"[^\"]{0,2000}\"|\S{1,2000})")


def redact(text: str) -> str:
    """``text`` without NINO-shaped values, date-of-birth values or echoed inputs."""
    text = _NINO.sub("[nino]", text)
    text = _DOB.sub(r"\1[redacted]", text)
    return _INPUT_VALUE.sub(r"\1[redacted]", text)


def record_context(record: RawRecord, event_id: str | None = None) -> dict[str, Any]:
    """``extra=`` for a log line about one Kafka record (position, event id)."""
    context: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
    }
    if event_id is not None:
        context["event_id"] = event_id
    return context


class JsonFormatter(logging.Formatter):
    """Formats a log record as one JSON object on one line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                payload[name] = value
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        elif record.stack_info:
            payload["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(payload, default=str, ensure_ascii=False)


class RepeatLimiter(logging.Filter):
    """At most ``burst`` identical lines (same logger, level, message, record position and
    exception) per
    ``window`` seconds; the next one after a window says how many were dropped. A failure
    that repeats in a loop cannot flood the log (1.35 GB in 5 minutes, issue 11)."""

    MAX_KEYS = 1024

    def __init__(
        self, burst: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.burst = burst
        self.window = window
        self.clock = clock
        self._seen: dict[tuple[object, ...], list[float]] = {}
        """key -> [window start, lines in it, lines dropped]"""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        context = tuple(record.__dict__.get(name) for name in CONTEXT_FIELDS)
        key = (record.name, record.levelno, record.getMessage(), context, type(exc), str(exc))
        now = self.clock()
        seen = self._seen.get(key)
        if seen is None or now - seen[0] >= self.window:
            dropped = int(seen[2]) if seen is not None else 0
            if len(self._seen) >= self.MAX_KEYS and seen is None:
                del self._seen[next(iter(self._seen))]
            self._seen[key] = [now, 1, 0]
            if dropped:
                record.msg = (
                    f"{record.msg} ({dropped} identical lines dropped in {self.window:.0f}s)"
                )
            return True
        if seen[1] < self.burst:
            seen[1] += 1
            return True
        seen[2] += 1
        return False


def configure(service: str, level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record of the process, as JSON lines, to ``stream`` (stdout);
    identical lines repeated in a burst are dropped (:class:`RepeatLimiter`)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(RepeatLimiter())
    root = logging.getLogger()
    root.handlers.clear()
    root.addHandler(handler)
    root.setLevel(level)

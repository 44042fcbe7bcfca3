"""A timeline as a person reads it: entries grouped by month, each with an anchor that
the entries linked to it point at (a reversal to its payment, a payment to its
reversal, a milestone to its evidence). Pure."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from services.views.projections import Outlook
from services.views.read_model import NextMilestone, Timeline, TimelineEntry, TimelineKind
from services.web.formatting import short_date
from services.web.presenters.caseload import MILESTONE_NAMES, NOT_ON_TRACK_TEXT, OVERDUE_TEXT

NOT_ANCHOR: Final = re.compile(r"[^A-Za-z0-9_-]")
MONEY: Final = frozenset({TimelineKind.PAYMENT, TimelineKind.REVERSAL})
PROBLEMS: Final = frozenset(
    {
        TimelineKind.REJECTED,
        TimelineKind.JOB_WITHDRAWN,
        TimelineKind.MILESTONE_REVOKED,
        TimelineKind.EVIDENCE_RETRACTED,
        TimelineKind.MILESTONE_NOT_PAID,
    }
)


def anchor(ref: str) -> str:
    """An HTML id for an entry's ref (ids of any provider's making)."""
    return "entry-" + NOT_ANCHOR.sub("-", ref)


ORIGINAL_DETAIL: Final = "Original (masked, first bytes)"
"""The read model's detail holding a rejected event's masked original, in base64."""
ORIGINAL_SHOWN: Final = "Original as received (personal data masked)"
ORIGINAL_CHARS: Final = 2000


def readable_original(b64: str) -> str:
    """A rejected event's masked original as text (what the provider sent, cut short);
    the base64 itself when it does not decode."""
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return b64[:ORIGINAL_CHARS]
    return raw.decode("utf-8", errors="replace")[:ORIGINAL_CHARS]


def readable_details(details: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (ORIGINAL_SHOWN, readable_original(value)) if name == ORIGINAL_DETAIL else (name, value)
        for name, value in details
    )


@dataclass(frozen=True)
class EntryView:
    entry: TimelineEntry
    details: tuple[tuple[str, str], ...]
    """The entry's details as a person reads them (a masked original decoded)."""
    anchor: str | None
    links: tuple[tuple[str, str], ...]
    """(text, href) of the entries this one names, those on the page only."""
    tone: str
    """"money", "problem" or "" (the colour of its left border)."""


@dataclass(frozen=True)
class MonthSection:
    heading: str
    entries: tuple[EntryView, ...]


def projection_text(projection: NextMilestone) -> str:
    if projection.outlook is Outlook.OVERDUE:
        return OVERDUE_TEXT
    if projection.outlook is Outlook.NOT_ON_TRACK:
        return NOT_ON_TRACK_TEXT
    return short_date(projection.projected_on)


def milestone_name(projection: NextMilestone) -> str:
    return MILESTONE_NAMES[projection.milestone]


def timeline_sections(timeline: Timeline) -> list[MonthSection]:
    refs = {e.ref for e in timeline.entries if e.ref}
    sections: list[MonthSection] = []
    current: list[EntryView] = []
    heading = None
    for entry in timeline.entries:
        month = f"{entry.on:%B %Y}"
        if month != heading and current:
            sections.append(MonthSection(heading or "", tuple(current)))
            current = []
        heading = month
        current.append(
            EntryView(
                entry,
                readable_details(entry.details),
                anchor(entry.ref) if entry.ref else None,
                tuple((ref, "#" + anchor(ref)) for ref in entry.links if ref in refs),
                "money" if entry.kind in MONEY else "problem" if entry.kind in PROBLEMS else "",
            )
        )
    if current:
        sections.append(MonthSection(heading or "", tuple(current)))
    return sections


FILTERS: Final = {"projection_text": projection_text, "milestone_name": milestone_name}

"""A timeline as it reads: months, anchors, links between entries, masked originals."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

from services.views.read_model import Timeline, TimelineEntry, TimelineKind
from services.web.presenters.timeline import (
    ORIGINAL_DETAIL,
    ORIGINAL_SHOWN,
    anchor,
    readable_details,
    timeline_sections,
)
from tests.unit.web.builders import row

AT = datetime(2024, 6, 1, 9, tzinfo=UTC)


def entry(on: date, kind: TimelineKind, ref: str | None = None, *links: str) -> TimelineEntry:
    return TimelineEntry(on=on, at=AT, kind=kind, title=kind.value, ref=ref, links=links)


def test_entries_group_by_month_and_link_to_entries_on_the_page() -> None:
    timeline = Timeline(
        participant=row(),
        entries=(
            entry(date(2024, 4, 15), TimelineKind.JOB_STARTED, "PLC-1"),
            entry(date(2024, 5, 19), TimelineKind.PAYMENT, "pay-1", "pay-2"),
            entry(date(2024, 5, 20), TimelineKind.REVERSAL, "pay-2", "pay-1", "gone"),
        ),
    )

    sections = timeline_sections(timeline)

    assert [(s.heading, [v.entry.ref for v in s.entries]) for s in sections] == [
        ("April 2024", ["PLC-1"]),
        ("May 2024", ["pay-1", "pay-2"]),
    ]
    reversal = sections[1].entries[1]
    assert reversal.links == (("pay-1", "#entry-pay-1"),)
    assert reversal.tone == "money"
    assert anchor("EV-1:v2") == "entry-EV-1-v2"


def test_a_masked_original_reads_as_text() -> None:
    original = base64.b64encode(b'{"nino":"*********","referral_id":"REF-1"}').decode()

    details = readable_details((("Message", "bad"), (ORIGINAL_DETAIL, original)))

    assert details == (
        ("Message", "bad"),
        (ORIGINAL_SHOWN, '{"nino":"*********","referral_id":"REF-1"}'),
    )
    assert readable_details(((ORIGINAL_DETAIL, "not base64!"),)) == (
        (ORIGINAL_SHOWN, "not base64!"),
    )

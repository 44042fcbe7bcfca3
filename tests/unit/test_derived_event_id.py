"""A derived event id is exactly ``uuid5(EVENT_ID_NAMESPACE, "|".join(parts))``: the ids
already on the topics and in the outboxes stay the ids reprocessing derives."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.common.emits import EVENT_ID_NAMESPACE, derived_event_id

_PARTS = st.lists(st.text() | st.integers() | st.uuids() | st.dates(), max_size=6)


@given(parts=_PARTS)
def test_a_derived_id_is_the_uuid5_of_the_parts_joined(parts: list[object]) -> None:
    expected = uuid.uuid5(EVENT_ID_NAMESPACE, "|".join(str(p) for p in parts))
    assert derived_event_id(*parts) == expected


def test_a_known_id_is_unchanged() -> None:
    # the id uuid.uuid5 derived for these parts before the arithmetic was spelled out
    expected = uuid.UUID("e56dece9-43b7-5f69-95ad-86d261dff67a")
    assert derived_event_id("p-1", "job_start", 1, "reached") == expected

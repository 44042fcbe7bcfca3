"""The simulator's indexed hold answers as a scan of the held list did (oldest first)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from schemas.topics import PROVIDER_EVIDENCE
from services.common.db import by_subject
from services.common.messages import RawRecord
from services.simulation_hold import HeldInput, Hold


def held(n: int, waiting_for: str, subject: str | None) -> HeldInput:
    record = RawRecord(PROVIDER_EVIDENCE, PROVIDER_EVIDENCE.name, 0, n, None, b"{}")
    return HeldInput(f"m{n}", waiting_for, record, subject)


def test_release_takes_what_waits_for_the_keys_oldest_first() -> None:
    hold = Hold()
    for i, (waiting, subject) in enumerate(
        [("p1", "e1"), ("p2", "e2"), ("p1", None), ("p3", "e1")]
    ):
        hold.add(held(i, waiting, subject))
    assert [h.message_id for h in hold.release({"p3", "p1"})] == ["m0", "m2", "m3"]
    assert [h.message_id for h in hold] == ["m1"]
    assert hold.waiting(["e1", "e2"]) == {"e2": ["p2"]}
    assert hold.release({"p1"}) == []


items = st.lists(
    st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from([None, "e1", "e2"])),
    max_size=20,
)


@given(items, st.sets(st.sampled_from(["p1", "p2", "p3"])), st.sets(st.sampled_from(["e1", "e2"])))
def test_hold_agrees_with_a_scan_of_the_list(
    pairs: list[tuple[str, str | None]], keys: set[str], subjects: set[str]
) -> None:
    hold = Hold()
    listed = [held(i, waiting, subject) for i, (waiting, subject) in enumerate(pairs)]
    for h in listed:
        hold.add(h)
    scan = by_subject([(h.waiting_for, h.subject) for h in listed], subjects)
    assert hold.waiting(subjects) == scan
    released = hold.release(keys)
    assert released == [h for h in listed if h.waiting_for in keys]
    rest = [h for h in listed if h.waiting_for not in keys]
    assert list(hold) == rest
    assert len(hold) == len(rest)
    assert hold.waiting(subjects) == by_subject(
        [(h.waiting_for, h.subject) for h in rest], subjects
    )

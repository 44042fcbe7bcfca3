"""The journey files themselves: well-formed, disjoint, and covering the rule book."""

from __future__ import annotations

import json
from collections import Counter

from schemas.common import MilestoneKind, RejectionReason
from services.common.codec import Undecodable, decode
from services.common.messages import RawRecord
from tests.scenarios.journeys import JOURNEY_DIR, all_journeys

JOURNEYS = all_journeys()
BOUNDARIES = [
    "day 455/456",
    "day 637/638",
    "the 182nd self-employed day",
    "90-day claim inclusive",
    "day-700 claim inclusive",
    "threshold met to the penny",
    "a week exactly at weekly_hours_min",
]


def test_at_least_40_journeys_one_per_file() -> None:
    assert len(JOURNEYS) >= 40
    assert len({j.name for j in JOURNEYS}) == len(list(JOURNEY_DIR.glob("*.json")))


def test_every_rejection_reason_is_expected_somewhere() -> None:
    seen = {r["reason"] for j in JOURNEYS for r in j.expect["rejections"]}
    seen |= {m.get("not_payable_reason") for j in JOURNEYS for m in j.expect["milestones"]}
    wanted = {str(r) for r in RejectionReason} - {"processing_failed"}
    assert wanted - seen == set()


def test_every_paid_milestone_kind_is_paid_somewhere() -> None:
    paid = {p["milestone"] for j in JOURNEYS for p in j.expect["payments"]}
    reached = {m["milestone"] for j in JOURNEYS for m in j.expect["milestones"]}
    assert reached == {str(k) for k in MilestoneKind}
    assert {"job_start", "earnings_outcome", "self_employment_outcome"} <= paid
    assert {"sustained_13w", "sustained_26w"} <= paid


def test_every_boundary_is_covered() -> None:
    covers = " | ".join(c for j in JOURNEYS for c in j.covers)
    for boundary in BOUNDARIES:
        assert f"boundary: {boundary}" in covers


def test_expectations_name_labels_that_exist() -> None:
    for journey in JOURNEYS:
        labels = {a.label for a in journey.arrivals}
        for r in journey.expect["rejections"]:
            assert r["label"] in labels, (journey.name, r)


def test_ids_and_ninos_are_disjoint_across_journeys() -> None:
    """So that the end-to-end test can publish every journey into one pipeline."""
    owners: dict[tuple[str, str], set[str]] = {}
    for journey in JOURNEYS:
        for arrival in journey.arrivals:
            body = json.loads(arrival.value)
            for field in ("referral_id", "placement_id", "evidence_id", "nino", "event_id"):
                if isinstance(body.get(field), str):
                    owners.setdefault((field, body[field]), set()).add(journey.name)
    shared = {key: names for key, names in owners.items() if len(names) > 1}
    assert shared == {}


def test_each_event_decodes_unless_it_is_expected_invalid_schema() -> None:
    for journey in JOURNEYS:
        invalid = {
            r["label"] for r in journey.expect["rejections"] if r["reason"] == "invalid_schema"
        }
        for a in journey.arrivals:
            decoded = decode(RawRecord(a.spec, a.spec.name, 0, 0, a.key.encode(), a.value))
            assert isinstance(decoded, Undecodable) == (a.label in invalid), (
                journey.name,
                a.label,
            )


def test_every_file_tells_what_it_covers() -> None:
    names = Counter(j.name.split("-", 1)[0] for j in JOURNEYS)
    assert all(count == 1 for count in names.values())
    for journey in JOURNEYS:
        assert journey.description
        assert journey.covers

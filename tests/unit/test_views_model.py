"""The read model's pure parts: derived columns, notifications, rejected originals."""

from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind, MilestoneKind
from services.common.reference import load_contracts
from services.sustainment.facts import EvidenceFacts, ParticipantWindow, PlacementFacts
from services.sustainment.progress import counted_so_far
from services.views.derive import (
    JobFacts,
    MilestoneOccurrence,
    counted_milestones,
    derive,
    standing,
)
from services.views.ingest import original_ids
from services.views.notify import MAX_NAMED_PER_BATCH, Change, bounded, parse
from services.views.projections import Progress, Window

EARNINGS = MilestoneKind.EARNINGS_OUTCOME
START = date(2024, 4, 1)


def test_a_milestone_stands_when_its_latest_occurrence_is_reached_and_not_revoked() -> None:
    occurrences = [
        MilestoneOccurrence(EARNINGS, 1, reached=True, revoked=True),
        MilestoneOccurrence(EARNINGS, 2, reached=True, revoked=False),
        MilestoneOccurrence(MilestoneKind.JOB_START, 1, reached=True, revoked=True),
        MilestoneOccurrence(MilestoneKind.FIRST_EARNINGS, 1, reached=False, revoked=False),
    ]
    assert standing(occurrences) == (EARNINGS,)


def test_only_the_milestones_a_contract_pays_are_projected() -> None:
    book = load_contracts()
    whp = counted_milestones(book.get("whp-central"), EligibilityGroup.DISABILITY)
    pioneer = counted_milestones(book.get("pioneer-central"), EligibilityGroup.DISABILITY)
    assert whp == (EARNINGS, MilestoneKind.SELF_EMPLOYMENT_OUTCOME)
    assert pioneer == (MilestoneKind.SUSTAINED_13W, MilestoneKind.SUSTAINED_26W)
    assert len(counted_milestones(None, EligibilityGroup.DISABILITY)) == 5


def test_a_withdrawn_job_is_not_work_and_an_ended_one_has_no_projection() -> None:
    window = Window(START)
    base = JobFacts("p1", date(2024, 4, 15), EmploymentType.EMPLOYED, 1400, Decimal(35))
    progress = Progress(475_904, Decimal(16))
    withdrawn = derive(window, [JobFacts(**{**base.__dict__, "withdrawn": True})], progress,
                       {}, [], [EARNINGS])  # fmt: skip
    ended = derive(window, [JobFacts(**{**base.__dict__, "ended_on": date(2024, 5, 1)})],
                   progress, {}, [], [EARNINGS])  # fmt: skip
    working = derive(window, [base], progress, {"p1": date(2024, 5, 12)}, [], [EARNINGS])
    assert (withdrawn.in_work, withdrawn.next, withdrawn.evidence_due_since) == (
        False,
        None,
        None,
    )
    assert (ended.in_work, ended.next) == (True, None)
    assert working.evidence_due_since == date(2024, 6, 16)
    assert working.next is not None
    assert working.next.milestone is EARNINGS


def test_notifications_name_participants_then_fall_back_to_providers() -> None:
    few = [Change("prov-a", f"pt-{i}") for i in range(3)] + [Change("prov-a", "pt-0")]
    assert bounded(few) == [Change("prov-a", f"pt-{i}") for i in range(3)]
    many = [Change(f"prov-{i % 2}", f"pt-{i}") for i in range(MAX_NAMED_PER_BATCH + 1)]
    assert bounded(many) == [Change("prov-0", None), Change("prov-1", None)]


@given(st.text(max_size=40), st.one_of(st.none(), st.text(max_size=40)))
def test_a_notification_payload_reads_back(provider: str, participant: str | None) -> None:
    assert parse(Change(provider, participant).payload()) == Change(provider, participant)


def test_a_malformed_payload_is_ignored() -> None:
    assert [parse(p) for p in ("", "[]", '{"provider_id": 3}', "{")] == [None] * 4


def test_a_rejected_original_names_its_ids_when_it_is_json() -> None:
    def b64(value: bytes) -> str:
        return base64.b64encode(value).decode()

    job = {"type": "job_start", "referral_id": "R-1", "placement_id": "P-1", "extra": 1}
    assert original_ids(b64(json.dumps(job).encode())) == {
        "type": "job_start",
        "referral_id": "R-1",
        "placement_id": "P-1",
    }
    assert original_ids(b64(json.dumps({"referral_id": "x" * 101}).encode())) == {}
    assert original_ids(b64(b'{"referral_id": "cut off')) == {}
    assert original_ids("not base64!") == {}


def test_a_hostile_original_names_no_id_it_cannot_store() -> None:
    # ids with a NUL (no PostgreSQL text can hold it) or a lone surrogate (no UTF-8) are
    # not taken; the rest of the original still is
    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    nul = '{"type": "referral", "referral_id": "fz-ref-1\\u0000", "placement_id": "P-1"}'
    assert original_ids(b64(nul)) == {"type": "referral", "placement_id": "P-1"}
    surrogate = '{"referral_id": "R-\\ud800", "evidence_id": "E-1"}'
    assert original_ids(b64(surrogate)) == {"evidence_id": "E-1"}


def test_an_original_nested_deeper_than_the_parser_goes_names_nothing() -> None:
    # the deep_nesting hostile kind: its 8 KiB prefix is all brackets
    assert original_ids(base64.b64encode(b"[" * 8192).decode()) == {}
    deep = b'{"type": "job_start", "x": ' + b"[" * 8000
    assert original_ids(base64.b64encode(deep).decode()) == {}


def test_progress_counts_what_the_milestones_count() -> None:
    window = ParticipantWindow(START, None, 1144, 1600)
    job = PlacementFacts("p1", date(2024, 4, 15), EmploymentType.EMPLOYED, True)
    other = PlacementFacts("p2", date(2024, 4, 20), EmploymentType.EMPLOYED, False)

    def payslip(eid: str, placement: str, first: date, last: date, pence: int) -> EvidenceFacts:
        return EvidenceFacts(eid, placement, EvidenceKind.PAYSLIP, first, last, pence, 14000,
                             last)  # fmt: skip

    evidence = [
        payslip("e1", "p1", date(2024, 4, 15), date(2024, 5, 12), 200_000),  # 4 weeks, 35 h
        payslip("e2", "p2", date(2024, 4, 22), date(2024, 5, 5), 50_000),
        payslip("e0", "p1", date(2024, 3, 1), date(2024, 3, 28), 99_999),  # before the job
    ]
    counted = counted_so_far(window, [job, other], evidence)
    assert counted.earnings_pence == 250_000
    assert counted.latest_employed_end == date(2024, 5, 12)
    assert counted.in_work_weeks == 4
    assert counted.latest_end_by_placement == (("p1", date(2024, 5, 12)), ("p2", date(2024, 5, 5)))
    assert (counted.self_employment_days, counted.latest_self_employment_end) == (0, None)

"""Sustainment domain: self_employment_outcome, 182 days of self-employment evidence.

S = 2024-04-01: day 181 is 2024-09-29 (+90 days: 2024-12-28), day 456 is 2025-07-01,
day 637 (last of the window) is 2025-12-29, day 700 is 2026-03-02.
"""

from __future__ import annotations

from datetime import date, timedelta

from schemas.common import MilestoneKind, RejectionReason
from services.sustainment.domain import (
    EvidenceFacts,
    MilestoneFacts,
    PlacementFacts,
    compute_milestones,
)
from tests.unit.sustainment_builders import (
    START,
    employed,
    payslip,
    self_employed,
    self_employment,
    window,
)

SE = MilestoneKind.SELF_EMPLOYMENT_OUTCOME


def four_weekly(first: date, pieces: int, prefix: str = "se") -> list[EvidenceFacts]:
    """Consecutive 28-day self-employment periods from ``first``: se0, se1, ..."""
    return [
        self_employment(
            f"{prefix}{n}",
            first + timedelta(days=28 * n),
            first + timedelta(days=28 * n + 27),
        )
        for n in range(pieces)
    ]


def outcome(
    evidence: list[EvidenceFacts],
    placements: list[PlacementFacts] | None = None,
    leaver: date | None = None,
) -> MilestoneFacts | None:
    return compute_milestones(window(leaver), placements or [self_employed()], evidence).get(SE)


def test_reached_on_the_182nd_day() -> None:
    # Seven 28-day periods cover days 0..195; se6 covers days 168..195 (09-16..10-13).
    got = outcome(four_weekly(START, 7))
    assert got == MilestoneFacts(
        milestone=SE,
        reached_on=date(2024, 9, 29),
        job_pays_llw=False,
        placement_id="s1",
        evidence_ids=("se0", "se1", "se2", "se3", "se4", "se5", "se6"),
    )


def test_181_days_are_not_enough() -> None:
    evidence = [
        *four_weekly(START, 6),
        self_employment("last", date(2024, 9, 16), date(2024, 9, 28)),
    ]
    assert outcome(evidence) is None


def test_overlapping_periods_count_each_day_once() -> None:
    # Six periods cover 168 days; a seventh lying inside them adds no day.
    inside = self_employment("dup", date(2024, 6, 1), date(2024, 6, 30))
    assert outcome([*four_weekly(START, 6), inside]) is None


def test_overlap_does_not_move_the_182nd_day() -> None:
    again = self_employment("again", date(2024, 4, 1), date(2024, 4, 28))
    got = outcome([*four_weekly(START, 7), again])
    assert got is not None
    assert got.reached_on == date(2024, 9, 29)


def test_days_before_the_job_start_do_not_count() -> None:
    # Job starts on day 14: se0 counts only days 14..27, so 182 days end on day 195.
    got = outcome(four_weekly(START, 7), [self_employed(start=date(2024, 4, 15))])
    assert got is not None
    assert got.reached_on == date(2024, 10, 13)


def test_employed_evidence_adds_no_self_employment_days() -> None:
    placements = [self_employed(), employed()]
    job = payslip("job", date(2024, 9, 1), date(2024, 10, 5), pence=100_000, hours=3_000)
    assert outcome([*four_weekly(START, 6), job], placements) is None


def test_evidence_after_the_leaver_date_does_not_count() -> None:
    # se6 ends 2024-10-13, after the leaver date: only 168 days count.
    assert outcome(four_weekly(START, 7), leaver=date(2024, 10, 12)) is None
    assert outcome(four_weekly(START, 7), leaver=date(2024, 10, 13)) is not None


def test_completing_evidence_is_the_first_reported_of_those_covering_the_day() -> None:
    placements = [self_employed("s1"), self_employed("s2")]
    pieces = four_weekly(START, 7)
    rival = self_employment("rival", date(2024, 9, 20), date(2024, 10, 10), pid="s2")
    late_se6 = EvidenceFacts(**{**pieces[6].__dict__, "reported_on": date(2024, 10, 20)})
    got = outcome([*pieces[:6], late_se6, rival], placements)
    assert got is not None
    assert (got.reached_on, got.placement_id) == (date(2024, 9, 29), "s2")
    assert "rival" in got.evidence_ids


def test_completing_ties_on_reported_on_go_to_the_lowest_id() -> None:
    placements = [self_employed("s1"), self_employed("s2")]
    pieces = four_weekly(START, 7)
    on_the_20th = EvidenceFacts(**{**pieces[6].__dict__, "reported_on": date(2024, 10, 20)})
    rival = self_employment("a-rival", date(2024, 9, 20), date(2024, 10, 20), pid="s2")
    got = outcome([*pieces[:6], on_the_20th, rival], placements)
    assert got is not None
    assert got.placement_id == "s2"


def test_lineage_leaves_out_evidence_after_the_182nd_day() -> None:
    after = self_employment("after", date(2024, 10, 14), date(2024, 11, 10))
    got = outcome([*four_weekly(START, 7), after])
    assert got is not None
    assert "after" not in got.evidence_ids


def completing_reported(reported: date) -> MilestoneFacts | None:
    pieces = four_weekly(START, 7)
    last = EvidenceFacts(**{**pieces[6].__dict__, "reported_on": reported})
    return outcome([*pieces[:6], last])


def test_reported_90_days_after_the_day_is_payable() -> None:
    got = completing_reported(date(2024, 12, 28))
    assert got is not None
    assert (got.payable, got.not_payable_reason) == (True, None)


def test_reported_91_days_after_the_day_is_claim_late() -> None:
    got = completing_reported(date(2024, 12, 29))
    assert got is not None
    assert (got.reached_on, got.payable, got.not_payable_reason) == (
        date(2024, 9, 29),
        False,
        RejectionReason.CLAIM_LATE,
    )


def late_starter(reported: date) -> MilestoneFacts | None:
    """Self-employed from day 456 (2025-07-01): days 456..637 are exactly 182 days."""
    months = [
        (date(2025, 7, 1), date(2025, 7, 31)),
        (date(2025, 8, 1), date(2025, 8, 31)),
        (date(2025, 9, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 10, 31)),
        (date(2025, 11, 1), date(2025, 11, 30)),
    ]
    evidence = [self_employment(f"m{n}", first, last) for n, (first, last) in enumerate(months)]
    evidence.append(
        self_employment("dec", date(2025, 12, 1), date(2025, 12, 29), reported=reported)
    )
    return outcome(evidence, [self_employed(start=date(2025, 7, 1))])


def test_reported_on_day_700_is_payable() -> None:
    got = late_starter(date(2026, 3, 2))
    assert got is not None
    assert (got.reached_on, got.payable) == (date(2025, 12, 29), True)


def test_reported_after_day_700_is_claim_late_even_within_90_days() -> None:
    got = late_starter(date(2026, 3, 3))
    assert got is not None
    assert (got.reached_on, got.payable, got.not_payable_reason) == (
        date(2025, 12, 29),
        False,
        RejectionReason.CLAIM_LATE,
    )

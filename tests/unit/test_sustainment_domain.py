"""Sustainment domain: the outcome window, job_start, first_earnings, earnings_outcome.

S = 2024-04-01 (NLW 1144 pence), so day 637 of the window is 2025-12-29 and
T = 416 x 1144 = 475,904 pence.
"""

from __future__ import annotations

import itertools
import random
from datetime import date

import pytest

from schemas.common import MilestoneKind
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
    weekly_payslips,
    window,
)

T = 475_904


def reached_on(
    placements: list[PlacementFacts],
    evidence: list[EvidenceFacts],
    milestone: MilestoneKind,
    leaver: date | None = None,
) -> date | None:
    facts = compute_milestones(window(leaver), placements, evidence).get(milestone)
    return None if facts is None else facts.reached_on


class TestOutcomeWindow:
    def test_threshold_is_416_hours_at_the_nlw_on_the_start(self) -> None:
        assert window(nlw=1144).earnings_threshold_pence == 475_904

    def test_evidence_ending_on_day_637_counts(self) -> None:
        ev = payslip("e1", date(2025, 12, 1), date(2025, 12, 29), pence=100)
        got = reached_on([employed()], [ev], MilestoneKind.FIRST_EARNINGS)
        assert got == date(2025, 12, 29)

    def test_evidence_ending_on_day_638_does_not_count(self) -> None:
        ev = payslip("e1", date(2025, 12, 1), date(2025, 12, 30), pence=100)
        assert reached_on([employed()], [ev], MilestoneKind.FIRST_EARNINGS) is None

    def test_evidence_ending_before_the_programme_start_does_not_count(self) -> None:
        ev = payslip("e1", date(2024, 3, 1), date(2024, 3, 31), pence=100)
        assert reached_on([employed()], [ev], MilestoneKind.FIRST_EARNINGS) is None

    def test_evidence_ending_on_the_leaver_date_counts(self) -> None:
        ev = payslip("e1", date(2024, 9, 1), date(2024, 9, 30), pence=100)
        got = reached_on([employed()], [ev], MilestoneKind.FIRST_EARNINGS, date(2024, 9, 30))
        assert got == date(2024, 9, 30)

    def test_evidence_ending_after_the_leaver_date_does_not_count(self) -> None:
        ev = payslip("e1", date(2024, 9, 2), date(2024, 10, 1), pence=100)
        assert (
            reached_on([employed()], [ev], MilestoneKind.FIRST_EARNINGS, date(2024, 9, 30)) is None
        )

    def test_a_leaver_on_day_636_closes_the_window_a_day_early(self) -> None:
        ev = payslip("e1", date(2025, 12, 1), date(2025, 12, 29), pence=100)
        leaver = date(2025, 12, 28)
        assert reached_on([employed()], [ev], MilestoneKind.FIRST_EARNINGS, leaver) is None

    def test_evidence_ending_before_its_placement_starts_does_not_count(self) -> None:
        job = employed(start=date(2024, 5, 1))
        early = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=100)
        on_start = payslip("e2", date(2024, 4, 2), date(2024, 5, 1), pence=100)
        assert reached_on([job], [early], MilestoneKind.FIRST_EARNINGS) is None
        assert reached_on([job], [early, on_start], MilestoneKind.FIRST_EARNINGS) == date(
            2024, 5, 1
        )

    def test_evidence_of_an_unknown_placement_does_not_count(self) -> None:
        ev = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=T, pid="elsewhere")
        assert compute_milestones(window(), [employed()], [ev]).keys() == {MilestoneKind.JOB_START}

    def test_evidence_whose_kind_does_not_fit_its_placement_does_not_count(self) -> None:
        ev = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=T, pid="s1")
        milestones = compute_milestones(window(), [self_employed()], [ev])
        assert milestones.keys() == {MilestoneKind.JOB_START}

    @pytest.mark.parametrize("duplicate", ["placement", "evidence"])
    def test_a_repeated_id_is_a_caller_error(self, duplicate: str) -> None:
        ev = payslip("e1", date(2024, 4, 1), date(2024, 4, 30))
        placements = [employed(), employed()] if duplicate == "placement" else [employed()]
        evidence = [ev, ev] if duplicate == "evidence" else [ev]
        with pytest.raises(ValueError, match="given twice"):
            compute_milestones(window(), placements, evidence)


class TestJobStart:
    def test_no_placement_no_milestones(self) -> None:
        assert compute_milestones(window(), [], []) == {}

    def test_reached_on_the_first_job_start_without_any_evidence(self) -> None:
        placements = [employed("p2", date(2024, 6, 3)), employed("p1", date(2024, 5, 1))]
        assert compute_milestones(window(), placements, []) == {
            MilestoneKind.JOB_START: MilestoneFacts(
                milestone=MilestoneKind.JOB_START,
                reached_on=date(2024, 5, 1),
                job_pays_llw=False,
                placement_id="p1",
                evidence_ids=(),
            )
        }

    def test_ties_on_the_start_date_go_to_the_lowest_placement_id(self) -> None:
        placements = [employed("p-b", llw=False), employed("p-a", llw=True)]
        facts = compute_milestones(window(), placements, [])[MilestoneKind.JOB_START]
        assert (facts.placement_id, facts.job_pays_llw) == ("p-a", True)

    def test_a_self_employed_placement_counts(self) -> None:
        facts = compute_milestones(window(), [self_employed()], [])[MilestoneKind.JOB_START]
        assert (facts.reached_on, facts.placement_id) == (START, "s1")


class TestFirstEarnings:
    def test_evidence_without_earnings_is_skipped(self) -> None:
        zero = payslip("e1", date(2024, 4, 1), date(2024, 4, 7), pence=0, hours=1600)
        paid = payslip("e2", date(2024, 4, 8), date(2024, 4, 14), pence=1)
        facts = compute_milestones(window(), [employed(llw=True)], [zero, paid])
        assert facts[MilestoneKind.FIRST_EARNINGS] == MilestoneFacts(
            milestone=MilestoneKind.FIRST_EARNINGS,
            reached_on=date(2024, 4, 14),
            job_pays_llw=True,
            placement_id="p1",
            evidence_ids=("e2",),
        )

    def test_same_period_end_goes_to_the_lowest_evidence_id(self) -> None:
        placements = [employed("p1"), employed("p2", llw=True)]
        later_id = payslip("e-b", date(2024, 4, 1), date(2024, 4, 30), pence=5, pid="p1")
        lower_id = payslip("e-a", date(2024, 4, 15), date(2024, 4, 30), pence=5, pid="p2")
        facts = compute_milestones(window(), placements, [later_id, lower_id])
        got = facts[MilestoneKind.FIRST_EARNINGS]
        assert (got.evidence_ids, got.placement_id, got.job_pays_llw) == (("e-a",), "p2", True)

    def test_the_earlier_period_end_wins_over_a_lower_id(self) -> None:
        earlier = payslip("e-z", date(2024, 4, 1), date(2024, 4, 29), pence=5)
        lower_id = payslip("e-a", date(2024, 4, 1), date(2024, 4, 30), pence=5)
        facts = compute_milestones(window(), [employed()], [lower_id, earlier])
        assert facts[MilestoneKind.FIRST_EARNINGS].evidence_ids == ("e-z",)

    def test_self_employment_evidence_counts(self) -> None:
        ev = self_employment("se1", date(2024, 4, 1), date(2024, 4, 30))
        facts = compute_milestones(window(), [self_employed()], [ev])
        got = facts[MilestoneKind.FIRST_EARNINGS]
        assert (got.reached_on, got.placement_id, got.job_pays_llw) == (
            date(2024, 4, 30),
            "s1",
            False,
        )


class TestEarningsOutcome:
    def test_reached_when_the_sum_reaches_exactly_t(self) -> None:
        april = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=200_000)
        may = payslip("e2", date(2024, 5, 1), date(2024, 5, 31), pence=275_904)
        june = payslip("e3", date(2024, 6, 1), date(2024, 6, 30), pence=300_000)
        facts = compute_milestones(window(), [employed(llw=True)], [june, may, april])
        assert facts[MilestoneKind.EARNINGS_OUTCOME] == MilestoneFacts(
            milestone=MilestoneKind.EARNINGS_OUTCOME,
            reached_on=date(2024, 5, 31),
            job_pays_llw=True,
            placement_id="p1",
            evidence_ids=("e1", "e2"),
        )

    def test_one_penny_short_is_not_reached(self) -> None:
        april = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=200_000)
        may = payslip("e2", date(2024, 5, 1), date(2024, 5, 31), pence=275_903)
        assert reached_on([employed()], [april, may], MilestoneKind.EARNINGS_OUTCOME) is None

    def test_summed_in_period_end_order_not_id_order(self) -> None:
        first = payslip("z-first", date(2024, 4, 1), date(2024, 4, 30), pence=400_000)
        second = payslip("a-second", date(2024, 5, 1), date(2024, 5, 31), pence=100_000)
        third = payslip("m-third", date(2024, 6, 1), date(2024, 6, 30), pence=100_000)
        facts = compute_milestones(window(), [employed()], [third, second, first])
        got = facts[MilestoneKind.EARNINGS_OUTCOME]
        assert (got.reached_on, got.evidence_ids) == (date(2024, 5, 31), ("a-second", "z-first"))

    def test_outcome_job_is_the_crossing_evidence_placement(self) -> None:
        placements = [employed("p1", llw=False), employed("p2", date(2024, 4, 15), llw=True)]
        a = payslip("e-a", date(2024, 4, 1), date(2024, 4, 30), pence=300_000, pid="p1")
        b = payslip("e-b", date(2024, 4, 15), date(2024, 4, 30), pence=200_000, pid="p2")
        facts = compute_milestones(window(), placements, [b, a])
        earnings = facts[MilestoneKind.EARNINGS_OUTCOME]
        assert (earnings.placement_id, earnings.job_pays_llw) == ("p2", True)
        assert earnings.evidence_ids == ("e-a", "e-b")
        assert facts[MilestoneKind.JOB_START].placement_id == "p1"

    def test_self_employment_evidence_is_excluded(self) -> None:
        placements = [employed(), self_employed()]
        se = self_employment("se1", date(2024, 4, 1), date(2024, 4, 30))
        se = EvidenceFacts(**{**se.__dict__, "gross_earnings_pence": 1_000_000})
        job = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=T - 1)
        facts = compute_milestones(window(), placements, [se, job])
        assert MilestoneKind.EARNINGS_OUTCOME not in facts
        assert facts[MilestoneKind.FIRST_EARNINGS].evidence_ids == ("e1",)

    def test_the_threshold_follows_the_nlw_at_start(self) -> None:
        ev = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=416 * 1042)
        assert MilestoneKind.EARNINGS_OUTCOME in compute_milestones(
            window(nlw=1042), [employed()], [ev]
        )
        assert MilestoneKind.EARNINGS_OUTCOME not in compute_milestones(
            window(nlw=1144), [employed()], [ev]
        )

    def test_evidence_after_the_window_is_not_summed(self) -> None:
        inside = payslip("e1", date(2025, 12, 1), date(2025, 12, 29), pence=T - 1)
        outside = payslip("e2", date(2025, 12, 2), date(2025, 12, 30), pence=1)
        assert reached_on([employed()], [inside, outside], MilestoneKind.EARNINGS_OUTCOME) is None


def mixed_case() -> tuple[list[PlacementFacts], list[EvidenceFacts]]:
    """Two employed jobs and a self-employment, overlapping and tied evidence."""
    placements = [
        employed("p1", START),
        employed("p2", date(2024, 5, 6), llw=True),
        self_employed("s1", date(2024, 4, 15)),
    ]
    evidence = [
        *weekly_payslips(START, 20, hours=1000, prefix="a"),
        *weekly_payslips(date(2024, 5, 6), 20, hours=600, pid="p2", prefix="b"),
        payslip("tie-b", date(2024, 7, 1), date(2024, 7, 31), pence=150_000, pid="p2"),
        payslip("tie-a", date(2024, 7, 1), date(2024, 7, 31), pence=150_000),
        payslip("late", date(2025, 12, 2), date(2025, 12, 30), pence=1_000_000),
        *(
            self_employment(f"se{n}", date(2024, 4, 1 + n), date(2024, 5, 5 + n))
            for n in range(0, 28, 7)
        ),
    ]
    return placements, evidence


class TestOrderIndependence:
    def test_random_shuffles_give_the_same_milestones(self) -> None:
        placements, evidence = mixed_case()
        expected = compute_milestones(window(), placements, evidence)
        assert expected.keys() == {
            MilestoneKind.JOB_START,
            MilestoneKind.FIRST_EARNINGS,
            MilestoneKind.EARNINGS_OUTCOME,
            MilestoneKind.SUSTAINED_13W,
        }
        rng = random.Random(20240401)
        for _ in range(200):
            rng.shuffle(placements)
            rng.shuffle(evidence)
            assert compute_milestones(window(), placements, evidence) == expected

    def test_every_permutation_of_tied_evidence_gives_the_same_crossing(self) -> None:
        placements = [employed("p1"), employed("p2", llw=True)]
        end = date(2024, 6, 30)
        evidence = [
            payslip("e3", date(2024, 6, 1), end, pence=200_000, pid="p2"),
            payslip("e1", date(2024, 6, 1), end, pence=200_000),
            payslip("e2", date(2024, 6, 1), end, pence=100_000, pid="p2"),
            payslip("e0", date(2024, 5, 1), date(2024, 5, 31), pence=0),
            payslip("e4", date(2024, 6, 1), end, pence=100_000),
        ]
        results = {
            tuple(compute_milestones(window(), placements, list(order)).items())
            for order in itertools.permutations(evidence)
        }
        assert len(results) == 1
        milestones = dict(results.pop())
        # e0 0, e1 200,000, e2 300,000, e3 500,000 >= T: e3 (placement p2) crosses.
        earnings = milestones[MilestoneKind.EARNINGS_OUTCOME]
        assert (earnings.placement_id, earnings.evidence_ids) == ("p2", ("e0", "e1", "e2", "e3"))
        assert milestones[MilestoneKind.FIRST_EARNINGS].evidence_ids == ("e1",)

    def test_milestones_come_in_declaration_order(self) -> None:
        placements, evidence = mixed_case()
        kinds = list(compute_milestones(window(), placements, evidence))
        assert kinds == [kind for kind in MilestoneKind if kind in kinds]

    def test_retracted_evidence_is_simply_absent(self) -> None:
        april = payslip("e1", date(2024, 4, 1), date(2024, 4, 30), pence=T)
        with_it = compute_milestones(window(), [employed()], [april])
        without = compute_milestones(window(), [employed()], [])
        assert MilestoneKind.EARNINGS_OUTCOME in with_it
        assert MilestoneKind.EARNINGS_OUTCOME not in without

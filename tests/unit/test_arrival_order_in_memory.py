"""Rule book v2 through the whole pipeline in memory (services/simulation.py).

Each test runs one history in the arrival orders that used to give different results,
and checks that rejections, standing milestones and net money no longer depend on it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from schemas.base import Event
from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind, MilestoneKind
from schemas.common import RejectionReason as R
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import PROVIDER_INTAKE
from services.simulation import Simulation, simulate
from tests.builders import REPEATABLE

EO, SEO = MilestoneKind.EARNINGS_OUTCOME, MilestoneKind.SELF_EMPLOYMENT_OUTCOME
JOB, S13 = MilestoneKind.JOB_START, MilestoneKind.SUSTAINED_13W
INTAKE = [REPEATABLE.referral(), REPEATABLE.programme_start()]
EV1 = REPEATABLE.evidence("ev-1", date(2024, 4, 15), date(2024, 5, 14), 200_000)
EV2 = REPEATABLE.evidence("ev-2", date(2024, 5, 15), date(2024, 6, 14), 200_000)
EV3 = REPEATABLE.evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 100_000)


def money(result: Simulation) -> dict[str, int]:
    """Net pence per milestone of the one participant."""
    return {str(kind): pence for (_, _, kind), pence in result.net_payments().items()}


def same_everywhere(*results: Simulation) -> None:
    first = results[0]
    for other in results[1:]:
        assert other.reasons() == first.reasons()
        assert other.net_payments() == first.net_payments()
        assert {
            k: (m.payable, m.not_payable_reason, m.amount_due_pence)
            for k, m in other.standing().items()
        } == {
            k: (m.payable, m.not_payable_reason, m.amount_due_pence)
            for k, m in first.standing().items()
        }
    for result in results:
        assert result.net_payments() == result.due()


def test_the_simulator_runs_a_clean_journey_to_a_payment() -> None:
    result = simulate([*INTAKE, REPEATABLE.job_start(), EV1, EV2, EV3])
    assert result.reasons() == {}
    assert money(result) == {"earnings_outcome": 500_000}  # 400,000 + 25 % LLW uplift
    pid = result.participant_of("ref-1")
    assert pid is not None
    assert {k for (p, k) in result.standing() if p == pid} == {
        JOB,
        MilestoneKind.FIRST_EARNINGS,
        EO,
    }
    assert result.standing()[(pid, EO)].reached_on == date(2024, 7, 14)


# --- §6: everything processed together is applied before milestones are decided --------


def test_a_milestone_reached_and_revoked_in_one_transaction_is_never_announced() -> None:
    # evidence and the retraction of the crossing payslip arrive before the job start:
    # the evidence is held on the placement, the retraction on the evidence. The job
    # start releases the evidence, which releases the retraction, in one transaction.
    result = simulate(
        [*INTAKE, EV1, EV2, EV3, REPEATABLE.retraction("ev-3"), REPEATABLE.job_start()]
    )
    assert [m.milestone for m in result.milestones if m.milestone is EO] == []
    assert result.payments == []
    natural = simulate(
        [*INTAKE, REPEATABLE.job_start(), EV1, EV2, EV3, REPEATABLE.retraction("ev-3")]
    )
    assert [type(m).__name__ for m in natural.milestones if m.milestone is EO] == [
        "MilestoneReached",
        "MilestoneRevoked",
    ]
    same_everywhere(result, natural)


# --- §7: money follows the evidence as it stands ------------------------------------------


def test_a_changed_outcome_job_is_reversed_and_paid_again_at_the_new_amount() -> None:
    # plc-a pays below the LLW, plc-b at it; the crossing payslip is first on plc-b
    # (uplifted), then a correction of ev-a makes plc-a the outcome job.
    a = REPEATABLE.job_start("plc-a", hourly_wage_pence=1200)
    b = REPEATABLE.job_start("plc-b", job_start_date=date(2024, 4, 20), hourly_wage_pence=1400)
    ev_a = REPEATABLE.evidence(
        "ev-a", date(2024, 5, 15), date(2024, 6, 14), 300_000, placement_id="plc-a"
    )
    ev_b = REPEATABLE.evidence(
        "ev-b", date(2024, 6, 15), date(2024, 7, 14), 200_000, placement_id="plc-b"
    )
    ev_a2 = REPEATABLE.evidence(
        "ev-a", date(2024, 5, 15), date(2024, 6, 14), 480_000, placement_id="plc-a", version=2
    )
    natural = simulate([*INTAKE, a, b, ev_a, ev_b, ev_a2])
    assert [p.amount_pence for p in natural.payments] == [500_000, -500_000, 400_000]
    assert [p.occurrence for p in natural.payments] == [1, 1, 2]
    assert len({p.payment_id for p in natural.payments}) == 3
    corrected_first = simulate([*INTAKE, ev_a2, ev_b, ev_a, b, a])
    assert [p.amount_pence for p in corrected_first.payments] == [400_000]
    assert money(natural) == {"earnings_outcome": 400_000}
    same_everywhere(natural, corrected_first)


def test_a_later_arriving_first_placement_changes_the_sustained_uplift() -> None:
    pioneer = [
        REPEATABLE.referral(contract_id="pioneer-central", provider_id="prov-pioneer-central"),
        REPEATABLE.programme_start(start_date=date(2024, 4, 1), provider_id="prov-pioneer-central"),
    ]
    early = REPEATABLE.job_start(
        "plc-a",
        hourly_wage_pence=1200,
        job_start_date=date(2024, 4, 15),
        provider_id="prov-pioneer-central",
    )
    late = REPEATABLE.job_start(
        "plc-b",
        hourly_wage_pence=1400,
        job_start_date=date(2024, 4, 22),
        provider_id="prov-pioneer-central",
    )
    weeks = [
        REPEATABLE.evidence(
            f"w{n:02d}",
            date(2024, 4, 22) + timedelta(weeks=n),
            date(2024, 4, 28) + timedelta(weeks=n),
            30_000,
            hours="20",
            placement_id="plc-b",
            provider_id="prov-pioneer-central",
        )
        for n in range(13)
    ]
    late_first = simulate([*pioneer, late, *weeks, early])
    early_first = simulate([*pioneer, early, late, *weeks])
    # sustained_13w: 100,000, uplifted 10 % only while plc-b (LLW) was the first placement
    assert [p.amount_pence for p in late_first.payments if p.milestone is S13] == [
        110_000,
        -110_000,
        100_000,
    ]
    # job_start: its date moved (plc-a is earlier), its amount did not: paid once
    assert [p.amount_pence for p in late_first.payments if p.milestone is JOB] == [50_000]
    assert money(late_first) == {"job_start": 50_000, "sustained_13w": 100_000}
    same_everywhere(late_first, early_first)


def _self_employment(reported_late: bool = False) -> list[Event]:
    s1 = REPEATABLE.job_start(
        "plc-s", employment_type=EmploymentType.SELF_EMPLOYED, job_start_date=START_SE
    )
    pieces = []
    for n in range(6):
        first = START_SE + timedelta(days=31 * n)
        pieces.append(
            REPEATABLE.evidence(
                f"se-{n}",
                first,
                first + timedelta(days=30),
                50_000,
                placement_id="plc-s",
                kind=EvidenceKind.SELF_EMPLOYMENT,
                reported_on=date(2025, 3, 1) if reported_late and n == 5 else None,
            )
        )
    return [s1, *pieces]


START_SE = date(2024, 4, 1)


def test_exclusivity_is_decided_by_the_earlier_reached_date_not_by_arrival() -> None:
    employed = [REPEATABLE.job_start(), EV1, EV2, EV3]  # earnings outcome on 2024-07-14
    se = _self_employment()  # self-employment outcome on 2024-09-29
    se_first = simulate([*INTAKE, *se, *employed])
    employed_first = simulate([*INTAKE, *employed, *se])
    assert money(se_first) == {"earnings_outcome": 500_000}
    assert [(p.milestone, p.amount_pence) for p in se_first.payments] == [
        (SEO, 400_000),
        (SEO, -400_000),
        (EO, 500_000),
    ]
    pid = se_first.participant_of("ref-1")
    assert se_first.standing()[(pid or "", SEO)].not_payable_reason is R.SUPERSEDED
    same_everywhere(se_first, employed_first)


def test_claim_late_that_comes_and_goes_moves_the_money() -> None:
    in_time = _self_employment()
    late_v2 = REPEATABLE.evidence(
        "se-5",
        START_SE + timedelta(days=155),
        START_SE + timedelta(days=185),
        50_000,
        placement_id="plc-s",
        kind=EvidenceKind.SELF_EMPLOYMENT,
        version=2,
        reported_on=date(2025, 3, 1),
    )
    natural = simulate([*INTAKE, *in_time, late_v2])
    assert [p.amount_pence for p in natural.payments] == [400_000, -400_000]
    assert [n.reason for n in natural.not_paid] == [R.CLAIM_LATE]
    correction_first = simulate([*INTAKE, late_v2, *in_time])
    assert correction_first.payments == []
    same_everywhere(natural, correction_first)


# --- §5: a job start after a later-arriving leaver date is withdrawn ----------------------


def test_a_job_start_after_a_later_leaver_date_is_withdrawn_like_a_rejection() -> None:
    pioneer = [
        REPEATABLE.referral(contract_id="pioneer-central", provider_id="prov-pioneer-central"),
        REPEATABLE.programme_start(provider_id="prov-pioneer-central"),
    ]
    job = REPEATABLE.job_start(job_start_date=date(2024, 6, 3), provider_id="prov-pioneer-central")
    leaver = REPEATABLE.programme_end(
        end_date=date(2024, 5, 31), provider_id="prov-pioneer-central"
    )
    job_first = simulate([*pioneer, job, leaver])
    leaver_first = simulate([*pioneer, leaver, job])
    assert job_first.reasons() == {str(job.event_id): R.AFTER_PROGRAMME_END}
    assert [w.placement_id for w in job_first.withdrawals] == ["plc-1"]
    assert [p.amount_pence for p in job_first.payments] == [50_000, -50_000]
    assert leaver_first.payments == []
    same_everywhere(job_first, leaver_first)


def test_a_job_start_on_the_leaver_date_is_not_withdrawn() -> None:
    result = simulate(
        [
            *INTAKE,
            REPEATABLE.job_start(job_start_date=date(2024, 5, 31)),
            REPEATABLE.programme_end(end_date=date(2024, 5, 31)),
        ]
    )
    assert result.reasons() == {}
    assert result.withdrawals == []


# --- §10: checks before holds; one owner per evidence id -----------------------------------


def test_evidence_is_checked_before_it_is_held() -> None:
    bad_period = REPEATABLE.evidence("ev-x", date(2024, 5, 14), date(2024, 4, 15), 1_000)
    bad_hours = REPEATABLE.evidence(
        "ev-y", date(2024, 4, 15), date(2024, 5, 14), 1_000, hours="1.505"
    )
    early_report = REPEATABLE.evidence(
        "ev-z", date(2024, 4, 15), date(2024, 5, 14), 1_000, reported_on=date(2024, 5, 13)
    )
    result = simulate([bad_period, bad_hours, early_report], expire_holds=False)
    assert result.reasons() == {
        str(bad_period.event_id): R.INVALID_PERIOD,
        str(bad_hours.event_id): R.INVALID_EVIDENCE,
        str(early_report.event_id): R.INVALID_EVIDENCE,
    }
    assert result.held == []


def test_a_job_start_is_checked_before_it_is_held() -> None:
    bad = REPEATABLE.job_start(weekly_hours="37.505")
    result = simulate([bad], expire_holds=False)
    assert result.reasons() == {str(bad.event_id): R.INVALID_JOB}
    assert result.held == []


def test_an_early_access_referral_without_sub_group_is_invalid_schema() -> None:
    raw = json.loads(
        REPEATABLE.referral(
            eligibility_group=EligibilityGroup.EARLY_ACCESS, eligibility_subgroup="care leaver"
        ).model_dump_json()
    )
    del raw["eligibility_subgroup"]
    result = simulate([(PROVIDER_INTAKE, json.dumps(raw).encode())])
    assert list(result.reasons().values()) == [R.INVALID_SCHEMA]


def test_an_evidence_id_has_one_owner() -> None:
    other = [
        REPEATABLE.referral("ref-2", nino="CE654321A"),
        REPEATABLE.programme_start("ref-2"),
        REPEATABLE.job_start("plc-2", referral_id="ref-2"),
    ]
    other_placement = REPEATABLE.evidence(
        "ev-3", date(2024, 6, 15), date(2024, 7, 14), 900_000, placement_id="plc-2", version=2
    )
    other_provider = REPEATABLE.evidence(
        "ev-3", date(2024, 6, 15), date(2024, 7, 14), 1, version=3, provider_id="prov-whp-west"
    )
    result = simulate(
        [*INTAKE, *other, REPEATABLE.job_start(), EV1, EV2, EV3, other_placement, other_provider]
    )
    assert result.reasons() == {
        str(other_placement.event_id): R.INVALID_EVIDENCE,
        # v3 §9: another provider's ev-3 is its own evidence, for its own (unknown) plc-1
        str(other_provider.event_id): R.UNKNOWN_PLACEMENT,
    }
    assert money(result) == {"earnings_outcome": 500_000}
    assert all(isinstance(m, MilestoneReached) for m in result.milestones)
    assert not any(isinstance(m, MilestoneRevoked) for m in result.milestones)


# --- a held first version owns its evidence id (was a residual) ---------------------------


def test_a_held_first_version_owns_its_evidence_id_in_every_order() -> None:
    # v2 (another, known placement) waits behind the held v1, which owns the id once its
    # placement arrives (tests/unit/test_held_arrival_order.py)
    other = REPEATABLE.job_start("plc-2", job_start_date=date(2024, 4, 16))
    v1 = EV1
    v2 = REPEATABLE.evidence(
        "ev-1", date(2024, 4, 16), date(2024, 5, 14), 1_000, placement_id="plc-2", version=2
    )
    placement_first = simulate([*INTAKE, REPEATABLE.job_start(), other, v1, v2])
    evidence_first = simulate([*INTAKE, other, v1, v2, REPEATABLE.job_start()])
    assert evidence_first.reasons() == placement_first.reasons()


# --- known residuals (see the module doc of tests/unit/histories.py) -----------------------


@pytest.mark.xfail(
    strict=True,
    reason="evidence accepted for a placement that is withdrawn later counts for nothing "
    "but stays accepted; when the leaver arrives first the job start is rejected and the "
    "same evidence expires as unknown_placement (money and milestones are the same)",
)
def test_evidence_of_a_withdrawn_placement_is_rejected_in_every_order() -> None:
    job = REPEATABLE.job_start(job_start_date=date(2024, 6, 3))
    ev = REPEATABLE.evidence("ev-9", date(2024, 6, 3), date(2024, 6, 30), 1_000)
    leaver = REPEATABLE.programme_end(end_date=date(2024, 5, 31))
    job_first = simulate([*INTAKE, job, ev, leaver])
    leaver_first = simulate([*INTAKE, leaver, job, ev])
    assert job_first.net_payments() == leaver_first.net_payments()
    assert job_first.reasons() == leaver_first.reasons()

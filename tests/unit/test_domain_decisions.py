"""Rule book v2 in the pure domain: settle (money), reconcile, and the decide_* functions
that put every rule check -- and its order -- where a unit test reaches it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from schemas.common import EligibilityGroup, EmploymentType, MilestoneKind
from schemas.common import RejectionReason as R
from schemas.provider import JobStarted, ProgrammeEnded, ProgrammeStarted
from services.common.decisions import ACCEPT, IGNORE, Hold
from services.common.holds import WaitFor
from services.common.reference import load_contracts, load_rates
from services.common.rejection import Rejection
from services.intake.domain import (
    Displace,
    ReferralState,
    StartClaim,
    decide_end,
    decide_referral,
    decide_start,
)
from services.placement.domain import (
    JobAssessment,
    ParticipantOnProgramme,
    StoredJob,
    decide_job_end,
    decide_job_start,
    to_withdraw,
)
from services.sustainment.domain import (
    EvidenceOwner,
    KnownPlacement,
    MilestoneChange,
    MilestoneFacts,
    RecordedMilestone,
    decide_evidence,
    decide_retraction,
    reconcile,
    recorded_after,
    settle,
)
from tests.builders import REPEATABLE, pinned_job_start
from tests.unit.sustainment_builders import payslip

CONTRACTS = load_contracts()
RATES = load_rates()
CENTRAL = CONTRACTS.contracts["whp-central"]
PIONEER = CONTRACTS.contracts["pioneer-central"]
EO, SEO = MilestoneKind.EARNINGS_OUTCOME, MilestoneKind.SELF_EMPLOYMENT_OUTCOME
DISABILITY = EligibilityGroup.DISABILITY


def reason(decision: object) -> R | None:
    return decision.reason if isinstance(decision, Rejection) else None


# --- settle: payable, superseded, amount due (§7) -----------------------------------------


def facts(kind: MilestoneKind, on: date, llw: bool = False, **changes: Any) -> MilestoneFacts:
    return replace(MilestoneFacts(kind, on, llw, "p1", ("e1",)), **changes)


def test_the_outcome_reached_first_is_paid_the_other_superseded() -> None:
    settled = settle(
        {EO: facts(EO, date(2024, 9, 1), llw=True), SEO: facts(SEO, date(2024, 8, 31))},
        CENTRAL,
        DISABILITY,
    )
    assert (settled[SEO].payable, settled[SEO].amount_due_pence) == (True, 400_000)
    assert (settled[EO].not_payable_reason, settled[EO].amount_due_pence) == (R.SUPERSEDED, 0)


def test_on_the_same_date_the_earnings_outcome_is_paid() -> None:
    day = date(2024, 9, 1)
    settled = settle({EO: facts(EO, day), SEO: facts(SEO, day)}, CENTRAL, DISABILITY)
    assert settled[EO].amount_due_pence == 400_000
    assert settled[SEO].not_payable_reason is R.SUPERSEDED


def test_a_claim_late_outcome_does_not_supersede_the_other() -> None:
    late = facts(SEO, date(2024, 1, 1), payable=False, not_payable_reason=R.CLAIM_LATE)
    settled = settle({EO: facts(EO, date(2024, 9, 1)), SEO: late}, CENTRAL, DISABILITY)
    assert settled[EO].amount_due_pence == 400_000
    assert (settled[SEO].not_payable_reason, settled[SEO].amount_due_pence) == (R.CLAIM_LATE, 0)


def test_unpriced_outcomes_are_never_superseded() -> None:
    settled = settle(
        {EO: facts(EO, date(2024, 9, 1)), SEO: facts(SEO, date(2024, 1, 1))}, PIONEER, DISABILITY
    )
    assert all(f.payable and f.amount_due_pence == 0 for f in settled.values())


def test_the_amount_due_follows_the_llw_flag() -> None:
    assert (
        settle({EO: facts(EO, date(2024, 9, 1), llw=True)}, CENTRAL, DISABILITY)[
            EO
        ].amount_due_pence
        == 500_000
    )


# --- reconcile: a changed amount is a new occurrence; a moved date is nothing --------------


def recorded(kind: MilestoneKind, due: int, on: date = date(2024, 7, 14)) -> RecordedMilestone:
    return RecordedMilestone(kind, 1, True, on, due)


def test_a_changed_amount_is_revoked_and_reached_again_on_the_first_date() -> None:
    now = facts(EO, date(2024, 8, 14), amount_due_pence=400_000)
    changes = reconcile({EO: recorded(EO, 500_000)}, {EO: now})
    assert changes == [
        MilestoneChange("revoked", EO, 1, None),
        MilestoneChange("reached", EO, 2, replace(now, reached_on=date(2024, 7, 14))),
    ]
    assert recorded_after(changes[1], recorded(EO, 500_000)) == RecordedMilestone(
        EO, 2, True, date(2024, 7, 14), 400_000, True, None
    )


def test_a_moved_date_with_the_same_money_changes_nothing() -> None:
    now = facts(EO, date(2024, 8, 14), amount_due_pence=500_000)
    assert reconcile({EO: recorded(EO, 500_000)}, {EO: now}) == []


def test_becoming_not_payable_is_announced_even_at_price_zero() -> None:
    now = facts(SEO, date(2024, 8, 14), payable=False, not_payable_reason=R.CLAIM_LATE)
    assert [c.kind for c in reconcile({SEO: recorded(SEO, 0)}, {SEO: now})] == [
        "revoked",
        "reached",
    ]


# --- evidence: checks before holds, one owner, versions (§6, §9, §10) ----------------------

EV = payslip("e1", date(2024, 5, 1), date(2024, 5, 31), pence=1_000, hours=100, pid="p1")
EMPLOYED = KnownPlacement(EmploymentType.EMPLOYED, "prov-a")


def evidence_decision(
    ev: Any = EV,
    owner: EvidenceOwner | None = None,
    placement: KnownPlacement | None = EMPLOYED,
    sender: str = "prov-a",
    version: int = 1,
) -> object:
    return decide_evidence(ev, version, sender, owner, placement)


def test_evidence_for_an_unknown_placement_is_held_only_once_its_own_checks_pass() -> None:
    assert evidence_decision(placement=None) == Hold(WaitFor("placement:prov-a:p1"))
    bad = replace(EV, period_start=date(2024, 6, 1))
    assert reason(evidence_decision(bad, placement=None)) is R.INVALID_PERIOD
    late = replace(EV, reported_on=date(2024, 5, 30))
    assert reason(evidence_decision(late, placement=None)) is R.INVALID_EVIDENCE


def test_a_version_naming_another_placement_is_invalid_evidence_without_waiting() -> None:
    owner = EvidenceOwner("p0", "prov-a", 1)
    assert reason(evidence_decision(owner=owner, placement=None, version=2)) is R.INVALID_EVIDENCE


def test_a_version_from_another_provider_is_provider_mismatch() -> None:
    owner = EvidenceOwner("p1", "prov-a", 1)
    other = KnownPlacement(EmploymentType.EMPLOYED, "prov-a")
    assert reason(evidence_decision(owner=owner, placement=other, sender="prov-b", version=2)) is (
        R.PROVIDER_MISMATCH
    )


def test_versions_and_retractions() -> None:
    owner = EvidenceOwner("p1", "prov-a", 2)
    assert evidence_decision(owner=owner, version=2) == IGNORE
    assert evidence_decision(owner=owner, version=3) == ACCEPT
    assert evidence_decision(owner=replace(owner, retracted=True), version=9) == IGNORE
    assert decide_retraction("e1", "prov-a", None) == Hold(WaitFor("evidence:prov-a:e1"))
    assert reason(decide_retraction("e1", "prov-b", owner)) is R.PROVIDER_MISMATCH
    assert decide_retraction("e1", "prov-a", replace(owner, retracted=True)) == IGNORE


# --- job starts and ends (§5, §9, §10) -----------------------------------------------------


def job(**changes: Any) -> JobStarted:
    return pinned_job_start(**{"provider_id": "prov-a", **changes})


PERSON = ParticipantOnProgramme("pp", "prov-a", "whp-central", date(2024, 4, 1), None)


def test_a_job_start_is_checked_before_it_waits_for_its_participant() -> None:
    assert decide_job_start(job(), None, None, RATES) == Hold(WaitFor("referral:prov-a:ref-1"))
    assert reason(decide_job_start(job(weekly_hours=Decimal("1.005")), None, None, RATES)) is (
        R.INVALID_JOB
    )


def test_a_re_used_placement_id_needs_no_participant() -> None:
    stored = StoredJob(job(), "pp")
    assert decide_job_start(job(event_id=UUID(int=7)), stored, None, RATES) == IGNORE
    other = job(job_start_date=date(2024, 6, 4))
    assert reason(decide_job_start(other, stored, None, RATES)) is R.INVALID_JOB
    foreign = job(provider_id="prov-b")
    assert reason(decide_job_start(foreign, stored, None, RATES)) is R.PROVIDER_MISMATCH


def test_a_withdrawn_job_start_sent_again_is_judged_afresh() -> None:
    left = replace(PERSON, leaver_date=date(2024, 5, 31))
    stored = StoredJob(job(), "pp", withdrawn=True)
    assert reason(decide_job_start(job(), stored, left, RATES)) is R.AFTER_PROGRAMME_END


def test_participant_rules_in_order() -> None:
    assert reason(decide_job_start(job(provider_id="prov-b"), None, PERSON, RATES)) is (
        R.PROVIDER_MISMATCH
    )
    left = replace(PERSON, leaver_date=date(2024, 6, 2))
    assert reason(decide_job_start(job(), None, left, RATES)) is R.AFTER_PROGRAMME_END
    assert isinstance(decide_job_start(job(), None, PERSON, RATES), JobAssessment)


def test_which_placements_a_leaver_withdraws() -> None:
    on_leaver_day = StoredJob(job(placement_id="a", job_start_date=date(2024, 5, 31)), "pp")
    after = StoredJob(job(placement_id="b"), "pp")
    gone = StoredJob(job(placement_id="c"), "pp", withdrawn=True)
    assert to_withdraw(date(2024, 5, 31), [after, gone, on_leaver_day]) == [after]


def test_job_end_decisions() -> None:
    stored = StoredJob(job(), "pp")
    assert decide_job_end("pl-1", "prov-a", date(2024, 7, 1), None, None) == Hold(
        WaitFor("placement:prov-a:pl-1")
    )
    assert reason(decide_job_end("pl-1", "prov-b", date(2024, 7, 1), stored, None)) is (
        R.PROVIDER_MISMATCH
    )
    assert reason(decide_job_end("pl-1", "prov-a", date(2024, 6, 2), stored, None)) is R.INVALID_JOB
    assert decide_job_end("pl-1", "prov-a", date(2024, 7, 1), stored, date(2024, 7, 1)) == IGNORE
    assert decide_job_end("pl-1", "prov-a", date(2024, 7, 1), stored, None) == ACCEPT


# --- intake (§4, §9) -----------------------------------------------------------------------

PROVIDER = "prov-whp-central"


def start(start_date: date = date(2024, 4, 1), provider: str = PROVIDER) -> ProgrammeStarted:
    return ProgrammeStarted(
        event_id=UUID(int=1),
        produced_at=datetime(2024, 4, 1, tzinfo=UTC),
        provider_id=provider,
        referral_id="ref-1",
        start_date=start_date,
    )


def end(end_date: date, provider: str = PROVIDER) -> ProgrammeEnded:
    return ProgrammeEnded(
        event_id=UUID(int=2),
        produced_at=datetime(2024, 4, 1, tzinfo=UTC),
        provider_id=provider,
        referral_id="ref-1",
        end_date=end_date,
        reason="moved",
    )


STATE = ReferralState(REPEATABLE.referral(), "pp")


def test_referral_decisions() -> None:
    assert decide_referral(REPEATABLE.referral(), None, CONTRACTS) == ACCEPT
    assert (
        decide_referral(REPEATABLE.referral(tag="again"), REPEATABLE.referral(), CONTRACTS)
        == IGNORE
    )
    assert reason(
        decide_referral(REPEATABLE.referral(borough="Brent"), REPEATABLE.referral(), CONTRACTS)
    ) is (R.BOROUGH_OUTSIDE_CONTRACT)
    other = REPEATABLE.referral(nino="CE654321A")
    assert (
        reason(decide_referral(other, REPEATABLE.referral(), CONTRACTS)) is R.CONFLICTING_REFERRAL
    )
    early = REPEATABLE.referral(
        eligibility_group=EligibilityGroup.EARLY_ACCESS, eligibility_subgroup="carer"
    )
    assert (
        reason(
            decide_referral(
                early.model_copy(update={"eligibility_subgroup": None}), None, CONTRACTS
            )
        )
        is R.INVALID_SCHEMA
    )


def other_start(start_date: date, referral_id: str = "ref-0") -> StartClaim:
    return StartClaim(start_date, date(2024, 3, 18), PROVIDER, referral_id)


OWN_START = StartClaim(date(2024, 4, 1), date(2024, 3, 18), PROVIDER, "ref-1")


@pytest.mark.parametrize(
    ("event", "state", "standing", "expected"),
    [
        (start(), None, None, Hold(WaitFor("referral:prov-whp-central:ref-1"))),
        (start(provider="prov-whp-west"), STATE, None, R.PROVIDER_MISMATCH),
        (start(), replace(STATE, start_date=date(2024, 4, 1)), OWN_START, IGNORE),
        (start(), replace(STATE, start_date=date(2024, 4, 2)), OWN_START, R.ALREADY_STARTED),
        (start(), STATE, other_start(date(2024, 3, 31)), R.ALREADY_STARTED),
        (start(), STATE, other_start(date(2024, 4, 1)), R.ALREADY_STARTED),  # ref-0 < ref-1
        (
            start(),
            STATE,
            other_start(date(2024, 4, 1), "ref-2"),
            Displace(other_start(date(2024, 4, 1), "ref-2")),
        ),
        (start(), STATE, other_start(date(2024, 4, 2)), Displace(other_start(date(2024, 4, 2)))),
        (start(date(2024, 3, 1)), STATE, other_start(date(2024, 4, 2)), R.START_BEFORE_REFERRAL),
        (  # another provider's referral of the same id: another start of the person
            start(),
            STATE,
            StartClaim(date(2024, 3, 31), date(2024, 3, 18), "prov-whp-west", "ref-1"),
            R.ALREADY_STARTED,
        ),
        (start(date(2024, 3, 1)), STATE, None, R.START_BEFORE_REFERRAL),
        (start(), STATE, None, ACCEPT),
    ],
)
def test_start_decisions(
    event: ProgrammeStarted, state: ReferralState | None, standing: StartClaim | None, expected: Any
) -> None:
    decision = decide_start(event, state, standing, CONTRACTS)
    assert (reason(decision) if isinstance(expected, R) else decision) == expected


@pytest.mark.parametrize(
    ("event", "state", "expected"),
    [
        (end(date(2024, 6, 1)), STATE, Hold(WaitFor("started:prov-whp-central:ref-1"))),
        (
            end(date(2024, 6, 1), "prov-whp-west"),
            replace(STATE, start_date=date(2024, 4, 1)),
            (R.PROVIDER_MISMATCH),
        ),
        (end(date(2024, 3, 1)), replace(STATE, start_date=date(2024, 4, 1)), R.INVALID_PERIOD),
        (
            end(date(2024, 6, 1)),
            replace(STATE, start_date=date(2024, 4, 1), end_date=date(2024, 6, 2)),
            R.AFTER_PROGRAMME_END,
        ),
        (
            end(date(2024, 6, 1)),
            replace(STATE, start_date=date(2024, 4, 1), end_date=date(2024, 6, 1)),
            IGNORE,
        ),
        (end(date(2024, 6, 1)), replace(STATE, start_date=date(2024, 4, 1)), ACCEPT),
    ],
)
def test_end_decisions(event: ProgrammeEnded, state: ReferralState, expected: Any) -> None:
    decision = decide_end(event, state)
    assert (reason(decision) if isinstance(expected, R) else decision) == expected

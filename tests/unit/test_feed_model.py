"""The feed's independent expectation (tools.feed.model), orders and payment comparison."""

from __future__ import annotations

import ast
import hashlib
import hmac
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from schemas.common import (
    EligibilityGroup,
    EmploymentType,
    EvidenceKind,
    MilestoneKind,
)
from schemas.payments import PaymentLineage, ProviderPaymentIssued
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from tests.builders import EventBuilders, new_id
from tools.feed import arrange, compare, expected, generate
from tools.feed.generate import FeedItem
from tools.feed.model import DEVELOPMENT_KEY, PaymentKey, participant_id
from tools.feed.order import topic_name
from tools.feed.reference import contracts_document

EO = MilestoneKind.EARNINGS_OUTCOME
SE = MilestoneKind.SELF_EMPLOYMENT_OUTCOME
JS = MilestoneKind.JOB_START
AT = datetime(2024, 1, 1, 9, tzinfo=UTC)
NINO = "AB123456C"
PID = participant_id(NINO, DEVELOPMENT_KEY)


EVENTS = EventBuilders(new_id, produced_at=AT)


def _ids() -> dict[str, Any]:
    return {"event_id": uuid.uuid4(), "produced_at": AT}


def referral(
    contract: str = "whp-central",
    group: EligibilityGroup = EligibilityGroup.LONG_TERM_UNEMPLOYED,
    borough: str = "Camden",
    nino: str = NINO,
    ref: str = "r1",
) -> ReferralMade:
    return EVENTS.referral(
        ref,
        nino=nino,
        date_of_birth=date(1990, 5, 5),
        borough=borough,
        provider_id=f"prov-{contract}",
        contract_id=contract,
        referral_date=date(2024, 1, 2),
        eligibility_group=group,
    )


def start(contract: str = "whp-central", on: date = date(2024, 1, 8)) -> ProgrammeStarted:
    return EVENTS.programme_start("r1", start_date=on, provider_id=f"prov-{contract}")


def job(
    pid: str,
    on: date,
    wage: int | None = 1200,
    contract: str = "whp-central",
    hours: str = "37.5",
) -> JobStarted:
    return EVENTS.job_start(
        pid,
        referral_id="r1",
        job_start_date=on,
        hourly_wage_pence=wage,
        weekly_hours=hours,
        employment_type=EmploymentType.EMPLOYED if wage else EmploymentType.SELF_EMPLOYED,
        provider_id=f"prov-{contract}",
        sic_sector=None,
    )


def evidence(
    eid: str,
    pid: str,
    begin: date,
    gross: int,
    version: int = 1,
    kind: EvidenceKind = EvidenceKind.PAYSLIP,
    days: int = 28,
    reported: date | None = None,
    contract: str = "whp-central",
    hours: Decimal = Decimal("150"),
) -> EvidenceSubmitted:
    end = begin + timedelta(days=days - 1)
    return EVENTS.evidence(
        eid,
        begin,
        end,
        gross,
        hours=hours,
        placement_id=pid,
        version=version,
        kind=kind,
        reported_on=reported or end + timedelta(days=2),
        provider_id=f"prov-{contract}",
    )


def due(events: list[Any]) -> dict[PaymentKey, int]:
    return expected(events).due


def key(milestone: MilestoneKind, contract: str = "whp-central") -> PaymentKey:
    return PaymentKey(contract, PID, milestone)


# 2024 start: threshold 416 x 1144 = 475,904 pence; LLW from 2023-11-01 is 1315.
BASE = [referral(), start()]


def test_threshold_crossed_pays_the_contract_price_with_the_uplift_of_the_outcome_job() -> None:
    events = [*BASE, job("p1", date(2024, 2, 1), wage=1400)]
    events.append(evidence("e1", "p1", date(2024, 2, 1), 300_000))
    assert due(events) == {}
    events.append(evidence("e2", "p1", date(2024, 2, 29), 175_904))  # to the penny
    assert due(events) == {key(EO): 500_000}  # 4000.00 + 25 % (job pays the LLW)


def test_a_later_job_below_the_llw_that_crosses_loses_the_uplift() -> None:
    events = [
        *BASE,
        job("p1", date(2024, 1, 15), wage=1400),
        job("p2", date(2024, 3, 1), wage=1200),
        evidence("e1", "p1", date(2024, 2, 1), 300_000),
        evidence("e2", "p2", date(2024, 3, 1), 200_000),
    ]
    assert due(events) == {key(EO): 400_000}
    # An earlier evidence of the LLW job, arriving later, moves the crossing onto it.
    events.append(evidence("e0", "p1", date(2024, 1, 15), 200_000, days=14))
    assert due(events) == {key(EO): 500_000}


def test_versions_replace_upwards_and_retraction_is_final() -> None:
    events = [
        *BASE,
        job("p1", date(2024, 2, 1), wage=1200),
        evidence("e1", "p1", date(2024, 2, 1), 500_000),
    ]
    assert due(events) == {key(EO): 400_000}
    events.append(evidence("e1", "p1", date(2024, 2, 1), 100_000, version=2))
    assert due(events) == {}
    events.append(evidence("e1", "p1", date(2024, 2, 1), 500_000, version=2))  # equal: ignored
    events.append(evidence("e1", "p1", date(2024, 2, 1), 500_000, version=1))  # lower: ignored
    assert due(events) == {}
    events.append(evidence("e1", "p1", date(2024, 2, 1), 500_000, version=3))
    assert due(events) == {key(EO): 400_000}
    events.append(EvidenceRetracted(**_ids(), provider_id="prov-whp-central", evidence_id="e1"))
    events.append(evidence("e1", "p1", date(2024, 2, 1), 500_000, version=4))
    assert due(events) == {}
    # An invalid lower version is still rejected: rules before versions.
    events.append(evidence("e1", "p1", date(2024, 2, 1), 1, version=1, reported=date(2024, 2, 2)))
    assert expected(events).rejections == {"invalid_evidence": 1}


def test_group_override_and_uplift_on_the_overridden_price() -> None:
    events = [
        referral(group=EligibilityGroup.DISABILITY),
        start(),
        job("p1", date(2024, 2, 1), wage=1400),
        evidence("e1", "p1", date(2024, 2, 1), 500_000),
    ]
    assert due(events) == {key(EO): 562_500}  # 4500.00 + 25 %


def test_self_employment_claim_late_and_made_payable_by_an_earlier_report() -> None:
    begin = date(2024, 2, 1)
    events: list[Any] = [*BASE, job("s1", begin, wage=None)]
    for n in range(7):
        events.append(
            evidence(
                f"s{n}",
                "s1",
                begin + timedelta(days=28 * n),
                50_000,
                kind=EvidenceKind.SELF_EMPLOYMENT,
            )
        )
    day182 = begin + timedelta(days=181)
    assert due(events) == {key(SE): 400_000}
    late = day182 + timedelta(days=91)
    covering = next(e for e in events[3:] if e.period_start <= day182 <= e.period_end)
    events.append(covering.model_copy(update={**_ids(), "version": 2, "reported_on": late}))
    result = expected(events)
    assert result.due == {}
    assert result.standing[key(SE)].not_payable == "claim_late"
    events.append(
        evidence(
            "x",
            "s1",
            day182,
            1,
            days=2,
            kind=EvidenceKind.SELF_EMPLOYMENT,
            reported=day182 + timedelta(days=90),
            hours=Decimal("16"),
        )
    )
    assert due(events) == {key(SE): 400_000}


def test_both_outcomes_the_earlier_is_paid_the_other_superseded() -> None:
    begin = date(2024, 2, 1)
    events: list[Any] = [*BASE, job("s1", begin, wage=None), job("p1", begin, wage=1400)]
    for n in range(7):
        events.append(
            evidence(
                f"s{n}",
                "s1",
                begin + timedelta(days=28 * n),
                50_000,
                kind=EvidenceKind.SELF_EMPLOYMENT,
            )
        )
    events.append(evidence("e1", "p1", begin + timedelta(days=28 * 7), 500_000))
    result = expected(events)
    assert result.due == {key(SE): 400_000}
    assert result.standing[key(EO)].not_payable == "superseded"
    # The same earnings, reported for an earlier period, win.
    events.append(evidence("e0", "p1", begin, 500_000))
    result = expected(events)
    assert result.due == {key(EO): 500_000}
    assert result.standing[key(SE)].not_payable == "superseded"


def test_a_job_after_the_leaver_date_counts_for_nothing() -> None:
    events: list[Any] = [
        referral(contract="pioneer-central", group=EligibilityGroup.DISABILITY),
        start(contract="pioneer-central"),
        job("p1", date(2024, 3, 1), contract="pioneer-central"),
    ]
    assert due(events) == {key(JS, "pioneer-central"): 50_000}
    events.append(
        ProgrammeEnded(
            **_ids(),
            provider_id="prov-pioneer-central",
            referral_id="r1",
            end_date=date(2024, 2, 28),
            reason="moved_away",
        )
    )
    result = expected(events)
    assert result.due == {}
    assert result.rejections == {"after_programme_end": 1}


def test_an_event_id_used_again_with_other_content_is_rejected() -> None:
    ev = evidence("e1", "p1", date(2024, 2, 1), 500_000)
    events = [*BASE, job("p1", date(2024, 2, 1)), ev, ev]  # the same message again
    assert expected(events).rejections == {}
    events.append(ev.model_copy(update={"gross_earnings_pence": 1}))
    result = expected(events)
    assert result.rejections == {"duplicate_event_id": 1}
    assert result.due == {key(EO): 400_000}


def test_intake_rejections_and_a_rejected_referral_does_not_use_up_its_id() -> None:
    result = expected([referral(nino="GB123456A"), referral(), start()])
    assert result.rejections == {"invalid_nino": 1}
    assert result.referral_of == {PID: "r1"}
    result = expected([referral(), referral(borough="Islington"), start()])
    assert result.rejections == {"conflicting_referral": 1}
    assert expected([referral(borough="HACKNEY"), start()]).rejections == {}
    assert expected([referral(borough="Ealing")]).rejections == {"borough_outside_contract": 1}


def test_participant_id_is_the_hmac_of_the_normalised_nino() -> None:
    assert (
        participant_id("AB123456C", "k") == hmac.new(b"k", b"AB123456C", hashlib.sha256).hexdigest()
    )
    intake = pytest.importorskip("services.intake.domain")
    assert participant_id(NINO, "k") == intake.participant_id_for(NINO, b"k")


def test_the_expectation_never_imports_the_services() -> None:
    folder = Path(__file__).resolve().parents[2] / "tools" / "feed"
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "services" for n in names), path


def test_reference_for_the_services_carries_the_feeds_group_prices() -> None:
    document = contracts_document()
    central = next(c for c in document["contracts"] if c["contract_id"] == "whp-central")
    assert central["group_prices"]["disability"]["earnings_outcome"] == 450_000
    assert central["prices"]["earnings_outcome"] == 400_000


# ----------------------------------------------------------------------- generated feed


@pytest.fixture(scope="module")
def hard_feed() -> Any:
    return generate(600, 6)  # a seed whose 600 people reach every bad-event choice


def test_the_generated_feed_exercises_every_hard_path(hard_feed: Any) -> None:
    events = [item.event for item in hard_feed.items]
    result = expected(item.as_sent() for item in hard_feed.items)
    # nothing waits for the hold time but what names a start that does not stand (v3 §4)
    assert result.unresolved == len(waiting_for_a_start(hard_feed.items)) > 0
    types = Counter(e.type for e in events)
    assert types["evidence_retraction"] > 0
    assert any(isinstance(e, EvidenceSubmitted) and e.version > 1 for e in events)
    reasons = Counter(s.not_payable for s in result.standing.values())
    assert reasons["claim_late"] > 0
    assert reasons["superseded"] > 0
    for reason in (
        "after_programme_end",
        "invalid_nino",
        "conflicting_referral",
        "invalid_evidence",
        "invalid_job",
        "invalid_period",
        "provider_mismatch",
        "placement_outside_window",
        "provider_not_on_contract",
        "start_outside_contract",
        "start_before_referral",
        "not_working_age",
        "borough_outside_contract",
        "duplicate_event_id",
    ):
        assert result.rejections.get(reason, 0) > 0, reason
    overridden = [
        s for k, s in result.standing.items() if s.base_pence in (450_000, 60_000, 120_000)
    ]
    assert overridden
    uplifted = [k for k, s in result.standing.items() if k.milestone is EO and s.uplift_pence]
    assert uplifted


def test_orders_keep_each_topic_in_order_and_lose_nothing(hard_feed: Any) -> None:
    items = list(hard_feed.items)
    for order in ("natural", "reversed", "shuffled"):
        arranged = arrange(items, order, seed=3)
        assert sorted(map(id, arranged)) == sorted(map(id, items))
        for topic in {topic_name(i) for i in items}:  # one per provider and kind
            assert [i for i in arranged if topic_name(i) == topic] == [
                i for i in items if topic_name(i) == topic
            ]
    reversed_ = arrange(items, "reversed")
    kinds = [i.topic.name for i in reversed_]
    assert kinds == sorted(
        kinds, key=["provider.evidence.v1", "provider.placements.v1", "provider.intake.v1"].index
    )
    assert arrange(items, "shuffled", seed=3) != items
    assert arrange(items, "shuffled", seed=3) == arrange(items, "shuffled", seed=3)
    # The expectation is a function of the set of events: every order agrees.
    want = expected(i.as_sent() for i in items)
    assert expected(i.event for i in reversed_).due == want.due


# ----------------------------------------------------------------------------- compare


def _payment(n: int, amount: int, reverses: str | None = None, pid: str = PID) -> Any:
    return ProviderPaymentIssued(
        **_ids(),
        payment_id=f"pay-{n}",
        contract_id="whp-central",
        contract_version="2024-01",
        provider_id="prov-whp-central",
        participant_id=pid,
        milestone=EO,
        occurrence=n,
        reached_on=date(2024, 3, 1),
        amount_pence=amount,
        base_pence=abs(amount),
        uplift_pence=0,
        lineage=PaymentLineage(milestone_event_id="m"),
        reverses=reverses,
    )


def test_compare_nets_payments_and_reversals_per_key() -> None:
    events = [*BASE, job("p1", date(2024, 2, 1)), evidence("e1", "p1", date(2024, 2, 1), 500_000)]
    expectation = expected(events)
    paid, reversal, again = (
        _payment(1, 400_000),
        _payment(2, -400_000, "pay-1"),
        _payment(3, 400_000),
    )
    got, problems = compare(expectation, [paid, reversal, again, again])  # a re-published copy
    assert not problems
    assert (got.payments, got.reversals, got.net_pence, got.republished) == (2, 1, 400_000, 1)
    _, problems = compare(expectation, [paid, reversal])
    assert problems.count == {"amount": 1}
    assert "net 0 pence, expected 400000" in problems.amounts[0]


def test_compare_flags_an_unsound_payment_topic() -> None:
    expectation = expected(BASE)
    clash = _payment(1, 5).model_copy(update={"event_id": uuid.uuid4()})
    _, problems = compare(
        expectation,
        [_payment(1, 5), clash, _payment(2, -5, "pay-9"), _payment(3, -4, "pay-1")],
        rejections={"invalid_job": 1},
    )
    assert problems.count["duplicate_payment_id"] == 1
    assert problems.count["reversal_of_nothing"] == 1
    assert problems.count["reversal_mismatch"] == 1
    assert problems.count["rejections"] == 1
    assert problems.count["amount"] == 1  # 5 - 4 pence where nothing is due
    assert any("invalid_job" in line for line in problems.lines())


def test_compare_checks_the_standing_milestones() -> None:
    events = [*BASE, job("p1", date(2024, 2, 1)), evidence("e1", "p1", date(2024, 2, 1), 500_000)]
    expectation = expected(events)
    assert set(expectation.milestones) == {key(JS), key(MilestoneKind.FIRST_EARNINGS), key(EO)}
    paid = _payment(1, 400_000)
    topic: dict[tuple[str, str, MilestoneKind], int] = {
        (k.contract_id, k.participant_id, k.milestone): 1 for k in expectation.milestones
    }
    _, problems = compare(expectation, [paid], milestones=topic)
    assert not problems
    topic[("whp-central", PID, EO)] = 0  # revoked on the topic, though it stands
    topic[("whp-central", PID, SE)] = 1  # reached on the topic, though it does not stand
    _, problems = compare(expectation, [paid], milestones=topic)
    assert problems.count == {"milestone": 2}
    assert "earnings_outcome: reached - revoked = 0, expected 1" in problems.milestones[0]


def test_accepted_counts_leave_out_rejected_and_withdrawn_events() -> None:
    events: list[Any] = [
        referral(nino="GB123456A"),
        referral(),
        start(),
        job("p1", date(2024, 2, 1)),
        job("p2", date(2024, 5, 1), wage=1400),
        ProgrammeEnded(
            **_ids(),
            provider_id="prov-whp-central",
            referral_id="r1",
            end_date=date(2024, 4, 1),
            reason="health",
        ),
    ]
    accepted = expected(events).accepted
    assert accepted["referrals"] == accepted["starts"] == accepted["leavers"] == 1
    assert accepted["placements"] == 1
    assert accepted["placements_pay_llw"] == 0


@pytest.mark.parametrize(("reported_day", "payable"), [(700, True), (701, False)])
def test_self_employment_claims_end_on_programme_day_700(reported_day: int, payable: bool) -> None:
    begin = date(2024, 1, 8) + timedelta(days=455)  # the last day a job may start
    events: list[Any] = [*BASE, job("s1", begin, wage=None)]
    for n in range(6):
        events.append(
            evidence(
                f"s{n}", "s1", begin + timedelta(days=28 * n), 1, kind=EvidenceKind.SELF_EMPLOYMENT
            )
        )
    events.append(
        evidence(
            "last",
            "s1",
            begin + timedelta(days=168),
            1,
            days=14,  # ends on programme day 636: day 182 of self-employment
            kind=EvidenceKind.SELF_EMPLOYMENT,
            reported=date(2024, 1, 8) + timedelta(days=reported_day),
        )
    )
    standing = expected(events).standing[key(SE)]
    assert standing.reached_on == date(2024, 1, 8) + timedelta(days=636)
    assert (standing.not_payable is None) is payable


def test_check_summary_reports_what_the_topics_lack() -> None:
    from tools.check import check_summary, format_check
    from tools.summary import Summary

    events = [*BASE, job("p1", date(2024, 2, 1)), evidence("e1", "p1", date(2024, 2, 1), 500_000)]
    expectation = expected(events)
    summary = Summary(missing_topics=["x.payments"], undecodable={"x.payments": 2})
    check = check_summary(summary, expectation)
    assert check.differences.count == {
        "amount": 1,
        "milestone": 3,  # job_start, first_earnings, earnings_outcome stand, none announced
        "no_payments": 1,
        "missing_topic": 1,
        "undecodable": 1,
    }
    summary = Summary(
        payment_events=[_payment(1, 400_000)],
        milestone_net={
            (k.contract_id, k.participant_id, k.milestone): 1 for k in expectation.standing
        },
    )
    check = check_summary(summary, expectation)
    assert not check.differences
    text = format_check("natural", check, expectation)
    assert "£4,000.00" in text
    assert "differences                 0" in text


def waiting_for_a_start(items: Sequence[FeedItem]) -> list[Any]:
    """The job starts, job ends and evidence of referrals whose start does not stand: a
    person's starts other than the earliest (domain.md v3 §4), read from the feed alone."""
    referrals = {
        (i.event.provider_id, i.event.referral_id): i.event
        for i in items
        if isinstance(i.event, ReferralMade)
    }
    starts: dict[str, list[tuple[date, date, str, str]]] = {}
    for item in items:
        event = item.event
        if isinstance(event, ProgrammeStarted):
            referral = referrals[(event.provider_id, event.referral_id)]
            nino = referral.nino.replace(" ", "").upper()
            rank = (event.start_date, referral.referral_date, *referral_key(referral))
            starts.setdefault(nino, []).append(rank)
    losing = {rank[2:] for ranks in starts.values() for rank in sorted(ranks)[1:]}
    jobs = {
        (i.event.provider_id, i.event.placement_id)
        for i in items
        if isinstance(i.event, JobStarted) and (i.event.provider_id, i.event.referral_id) in losing
    }
    return [
        i.event
        for i in items
        if (
            isinstance(i.event, JobStarted) and (i.event.provider_id, i.event.referral_id) in losing
        )
        or (
            isinstance(i.event, EvidenceSubmitted | JobEnded)
            and (i.event.provider_id, i.event.placement_id) in jobs
        )
    ]


def referral_key(referral: ReferralMade) -> tuple[str, str]:
    return (referral.provider_id, referral.referral_id)


def test_the_feed_publishes_the_earlier_start_both_after_and_before_the_later(
    hard_feed: Any,
) -> None:
    """The two_starts path, in turn: the earlier start published after the later start's
    evidence (it displaces a paid start in publication order), or before the later start
    (which is already_started on arrival)."""
    items = list(hard_feed.items)
    waiting = waiting_for_a_start(items)
    position = {id(i.event): n for n, i in enumerate(items)}
    losing = {(e.provider_id, e.referral_id) for e in waiting if isinstance(e, JobStarted)}
    start_at = {
        (i.event.provider_id, i.event.referral_id): position[id(i.event)]
        for i in items
        if isinstance(i.event, ProgrammeStarted)
    }
    nino_of = {
        referral_key(i.event): i.event.nino.replace(" ", "").upper()
        for i in items
        if isinstance(i.event, ReferralMade)
    }
    winner_at = {nino_of[key]: at for key, at in start_at.items() if key not in losing}
    last_evidence = max(position[id(e)] for e in waiting if isinstance(e, EvidenceSubmitted))
    after = [k for k in losing if winner_at[nino_of[k]] > start_at[k]]
    before = [k for k in losing if winner_at[nino_of[k]] < start_at[k]]
    assert after
    assert before
    assert last_evidence > min(start_at[k] for k in after)


def test_evidence_hours_are_at_most_24_a_day_of_the_period() -> None:
    week = evidence("e1", "p1", date(2024, 2, 1), 500_000, days=7)
    events = [*BASE, job("p1", date(2024, 2, 1), wage=1200)]
    most = week.model_copy(update={"hours_worked": Decimal("168.00")})
    assert expected([*events, most]).rejections == {}
    assert due([*events, most]) == {key(EO): 400_000}
    over = week.model_copy(update={"hours_worked": Decimal("168.01")})
    assert expected([*events, over]).rejections == {"invalid_evidence": 1}
    assert due([*events, over]) == {}

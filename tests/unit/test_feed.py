"""The synthetic provider feed (tools.feed) and the summary's formatting (tools.summary)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind, MilestoneKind, SubRegion
from schemas.provider import (
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from schemas.topics import PROVIDER_EVIDENCE, PROVIDER_INTAKE, PROVIDER_PLACEMENTS
from tools.feed.__main__ import build_parser, main
from tools.feed.expectation import expected_counts
from tools.feed.generate import FeedItem, generate_feed
from tools.feed.reference import write_reference
from tools.feed.world import (
    BOROUGHS,
    CONTRACTS_BY_ID,
    DEFAULT_CONTRACTS,
    LLW,
    NLW,
    age_on,
    nino_is_valid,
    rate_on,
    sub_region_of,
)
from tools.summary import ContractPayments, Summary, format_pence, format_summary

N = 1000
SEED = 7


@pytest.fixture(scope="module")
def feed() -> list[FeedItem]:
    return generate_feed(N, SEED, hard_share=0.0)


T = TypeVar("T")


def _of(items: list[FeedItem], cls: type[T]) -> list[T]:
    return [item.event for item in items if isinstance(item.event, cls)]


# ------------------------------------------------------------------------ determinism


def _dump(items: list[FeedItem]) -> list[tuple[str, str, str]]:
    return [(i.topic.name, i.key, i.event.model_dump_json()) for i in items]


def test_same_seed_gives_identical_feed(feed: list[FeedItem]) -> None:
    assert _dump(generate_feed(N, SEED, hard_share=0.0)) == _dump(feed)
    assert _dump(generate_feed(200, SEED)) == _dump(generate_feed(200, SEED))


def test_different_seed_gives_different_feed() -> None:
    a, b = generate_feed(50, 1), generate_feed(50, 2)
    assert _dump(a) != _dump(b)
    assert not {i.event.event_id for i in a} & {i.event.event_id for i in b}
    assert not {i.key for i in a} & {i.key for i in b}


def test_event_ids_are_unique_uuid4(feed: list[FeedItem]) -> None:
    ids = [item.event.event_id for item in feed]
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {4}


def test_produced_at_is_derived_from_business_dates(feed: list[FeedItem]) -> None:
    for item in feed:
        at = item.event.produced_at
        assert (at.hour, at.minute, at.second, at.utcoffset()) == (9, 0, 0, timedelta(0))
    referrals = _of(feed, ReferralMade)
    assert all(r.produced_at.date() == r.referral_date for r in referrals)
    evidence = _of(feed, EvidenceSubmitted)
    assert all(e.produced_at.date() == e.reported_on for e in evidence)


def test_zero_participants_and_bad_start() -> None:
    assert generate_feed(0, 1) == []
    with pytest.raises(ValueError, match="no default contract"):
        generate_feed(5, 1, start=date(2030, 1, 1))
    with pytest.raises(ValueError, match="participants"):
        generate_feed(-1, 1)


# ------------------------------------------------------------------- schema and order


def test_every_event_round_trips_through_its_topic_adapter(feed: list[FeedItem]) -> None:
    for item in feed:
        assert type(item.event) in item.topic.models
        assert item.topic in (PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE)
        decoded = item.topic.adapter.validate_json(item.event.model_dump_json())
        assert decoded == item.event
        assert item.key == getattr(item.event, item.topic.key_field)


def test_publication_order_is_by_date(feed: list[FeedItem]) -> None:
    dates = [item.event.produced_at for item in feed]
    assert dates == sorted(dates)
    # People are interleaved: the first 50 messages concern many referrals.
    assert len({i.key for i in feed[:50] if i.topic is PROVIDER_INTAKE}) > 20


def test_each_persons_events_are_in_a_sensible_order(feed: list[FeedItem]) -> None:
    position = {id(item.event): n for n, item in enumerate(feed)}
    referrals = {r.referral_id: r for r in _of(feed, ReferralMade)}
    starts = {s.referral_id: s for s in _of(feed, ProgrammeStarted)}
    ends = {e.referral_id: e for e in _of(feed, ProgrammeEnded)}
    jobs = {j.placement_id: j for j in _of(feed, JobStarted)}
    for ref_id, start in starts.items():
        referral = referrals[ref_id]
        assert position[id(referral)] < position[id(start)]
        assert 0 <= (start.start_date - referral.referral_date).days <= 30
        contract = CONTRACTS_BY_ID[referral.contract_id]
        assert contract.starts_from <= start.start_date <= contract.starts_until
    for ref_id, end in ends.items():
        assert end.end_date >= starts[ref_id].start_date
    for job in jobs.values():
        start = starts[job.referral_id]
        assert position[id(start)] < position[id(job)]
        assert 10 <= (job.job_start_date - start.start_date).days <= 200
        if job.referral_id in ends:
            assert job.job_start_date <= ends[job.referral_id].end_date
        assert job.provider_id == start.provider_id
    for job_end in _of(feed, JobEnded):
        assert job_end.end_date >= jobs[job_end.placement_id].job_start_date


# ------------------------------------------------------------------------ intake rules


def test_ninos_are_valid_and_unique(feed: list[FeedItem]) -> None:
    ninos = [r.nino for r in _of(feed, ReferralMade)]
    assert len(ninos) == N
    assert len(set(ninos)) == N
    assert all(nino_is_valid(n) for n in ninos)


@pytest.mark.parametrize(
    ("nino", "valid"),
    [
        ("AB123456C", True),
        ("ab 12 34 56 c", True),
        ("DA123456A", False),  # D first
        ("AO123456A", False),  # O second
        ("AQ123456A", False),  # Q second
        ("GB123456A", False),
        ("ZZ123456A", False),
        ("AB123456E", False),
        ("AB12345A", False),
    ],
)
def test_nino_rule(nino: str, valid: bool) -> None:
    assert nino_is_valid(nino) is valid


def test_referrals_are_within_the_rules(feed: list[FeedItem]) -> None:
    groups: Counter[EligibilityGroup] = Counter()
    for r in _of(feed, ReferralMade):
        contract = CONTRACTS_BY_ID[r.contract_id]
        assert r.provider_id == contract.provider_id == "prov-" + r.contract_id
        assert sub_region_of(r.borough) is contract.sub_region
        assert 18 <= age_on(r.date_of_birth, r.referral_date) <= 64
        assert contract.starts_from <= r.referral_date <= contract.starts_until
        groups[r.eligibility_group] += 1
        assert (r.eligibility_subgroup is not None) == (
            r.eligibility_group is EligibilityGroup.EARLY_ACCESS
        )
    assert set(groups) == set(EligibilityGroup)


def test_london_boroughs_are_disjoint_and_complete() -> None:
    london = [
        b for region, names in BOROUGHS.items() if region is not SubRegion.NATIONAL for b in names
    ]
    assert len(london) == len(set(london)) == 33
    assert not set(london) & set(BOROUGHS[SubRegion.NATIONAL])


def test_age_in_completed_years() -> None:
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18
    assert age_on(date(2000, 5, 1), date(2020, 5, 1)) == 20


# --------------------------------------------------------------------- jobs and evidence


def test_rates() -> None:
    assert rate_on(NLW, date(2024, 3, 31)) == 1042
    assert rate_on(NLW, date(2024, 4, 1)) == 1144
    assert rate_on(LLW, date(2024, 10, 31)) == 1315
    assert rate_on(LLW, date(2024, 11, 1)) == 1385
    with pytest.raises(ValueError, match="no rate"):
        rate_on(NLW, date(2016, 3, 31))


def test_jobs_have_sensible_wages_and_hours(feed: list[FeedItem]) -> None:
    below = between = at_llw = self_employed = 0
    for job in _of(feed, JobStarted):
        assert isinstance(job.weekly_hours, Decimal)
        assert Decimal(16) <= job.weekly_hours <= Decimal(40)
        assert job.weekly_hours == job.weekly_hours.quantize(Decimal("0.01"))
        if job.employment_type is EmploymentType.SELF_EMPLOYED:
            assert job.hourly_wage_pence is None
            self_employed += 1
            continue
        wage = job.hourly_wage_pence
        assert isinstance(wage, int)
        assert wage > 0
        nlw, llw = rate_on(NLW, job.job_start_date), rate_on(LLW, job.job_start_date)
        if wage < nlw:
            below += 1
        elif wage < llw:
            between += 1
        else:
            at_llw += 1
    total = below + between + at_llw + self_employed
    assert 0.02 < below / total < 0.15
    assert between > at_llw > below
    assert 0.2 < at_llw / total < 0.4
    assert 0.01 < self_employed / total < 0.1


def test_evidence_periods_money_and_kinds(feed: list[FeedItem]) -> None:
    jobs = {j.placement_id: j for j in _of(feed, JobStarted)}
    evidence = _of(feed, EvidenceSubmitted)
    ids = [e.evidence_id for e in evidence]
    assert len(ids) == len(set(ids))
    lengths: Counter[int] = Counter()
    for ev in evidence:
        job = jobs[ev.placement_id]
        days = (ev.period_end - ev.period_start).days + 1
        lengths[days] += 1
        assert 1 <= days <= 35
        assert ev.period_start >= job.job_start_date
        assert ev.reported_on >= ev.period_end
        assert type(ev.gross_earnings_pence) is int
        assert ev.gross_earnings_pence > 0
        assert isinstance(ev.hours_worked, Decimal)
        assert ev.hours_worked == ev.hours_worked.quantize(Decimal("0.01"))
        assert ev.provider_id == job.provider_id
        if job.employment_type is EmploymentType.SELF_EMPLOYED:
            assert ev.kind is EvidenceKind.SELF_EMPLOYMENT
        else:
            assert ev.kind in (EvidenceKind.PAYSLIP, EvidenceKind.HMRC_RTI)
            # Earnings are wage x hours x days / 7, in whole pence.
            assert job.hourly_wage_pence is not None
            exact = job.hourly_wage_pence * job.weekly_hours * days / 7
            assert abs(ev.gross_earnings_pence - exact) <= Decimal("0.5")
            # Weekly rate of the evidence is never below the contracted hours.
            assert ev.hours_worked * 7 >= job.weekly_hours * days
    # weekly, 4-weekly and monthly periods
    assert all(lengths[days] > 0 for days in (7, 28, 30, 31))


def test_money_fields_are_ints_in_json(feed: list[FeedItem]) -> None:
    for item in feed:
        raw = json.loads(item.event.model_dump_json())
        for name in ("gross_earnings_pence", "hourly_wage_pence"):
            if raw.get(name) is not None:
                assert type(raw[name]) is int


# -------------------------------------------------------------------------------- mix


def test_mix_is_sensible(feed: list[FeedItem]) -> None:
    counts = expected_counts(feed)
    assert counts.referrals == N
    assert 0.93 * N < counts.starts < N
    assert 0.05 * N < counts.leavers < 0.15 * N
    never_worked = counts.starts - counts.job_starts
    assert 0.3 * N < never_worked < 0.5 * N
    assert counts.job_starts > 0.45 * N
    assert counts.job_ends > 0
    assert counts.evidence > 3 * counts.job_starts
    assert set(counts.referrals_by_contract) == {c.contract_id for c in DEFAULT_CONTRACTS}
    assert all(n > 0.05 * N for n in counts.referrals_by_contract.values())
    m = counts.milestones
    assert m[MilestoneKind.JOB_START] == counts.job_starts
    assert 0.3 * counts.job_starts < m[MilestoneKind.EARNINGS_OUTCOME] < 0.7 * counts.job_starts
    assert m[MilestoneKind.SELF_EMPLOYMENT_OUTCOME] > 0
    assert m[MilestoneKind.SUSTAINED_52W] > 0
    assert counts.below_minimum_wage > 0
    assert counts.pays_llw > 0
    assert counts.messages == len(feed)


def test_some_people_get_one_or_two_payslips_and_some_many(feed: list[FeedItem]) -> None:
    per_placement: Counter[str] = Counter(e.placement_id for e in _of(feed, EvidenceSubmitted))
    jobs = {j.placement_id: j for j in _of(feed, JobStarted)}
    monthly = [
        n
        for placement, n in per_placement.items()
        if jobs[placement].employment_type is EmploymentType.EMPLOYED and n <= 2
    ]
    assert len(monthly) > 0.1 * len(jobs)
    assert max(per_placement.values()) >= 12


def test_threshold_crossings_match_a_direct_sum(feed: list[FeedItem]) -> None:
    """Earnings outcomes by a direct sum per person (all evidence of this feed counts)."""
    starts = {s.referral_id: s.start_date for s in _of(feed, ProgrammeStarted)}
    jobs = {j.placement_id: j for j in _of(feed, JobStarted)}
    earned: defaultdict[str, int] = defaultdict(int)
    for ev in _of(feed, EvidenceSubmitted):
        if ev.kind is not EvidenceKind.SELF_EMPLOYMENT:
            earned[jobs[ev.placement_id].referral_id] += ev.gross_earnings_pence
    crossed = sum(1 for ref, total in earned.items() if total >= 416 * rate_on(NLW, starts[ref]))
    assert crossed == expected_counts(feed).milestones[MilestoneKind.EARNINGS_OUTCOME]


def test_expected_payments(feed: list[FeedItem]) -> None:
    counts = expected_counts(feed)
    whp_central = counts.payments_by_contract["whp-central"]
    # Only earnings / self-employment outcomes are paid on WHP: 4000.00 (4500.00 for the
    # disability group), +25 % with LLW.
    assert whp_central.total_pence % 12_500 == 0
    assert 400_000 * whp_central.count <= whp_central.total_pence <= 562_500 * whp_central.count
    # Pioneer pays job starts (500.00) and 13/26-week sustainment (+10 % with LLW).
    pioneer = counts.payments_by_contract["pioneer-central"]
    assert pioneer.count > 0
    assert pioneer.total_pence % 500 == 0


def test_slice_of_a_feed_is_counted_without_errors(feed: list[FeedItem]) -> None:
    tail = feed[len(feed) // 2 :]
    counts = expected_counts(tail)
    assert counts.messages == len(tail)


def test_tables_agree_with_the_services_reference_data() -> None:
    reference = pytest.importorskip("services.common.reference")
    boroughs = pytest.importorskip("services.common.boroughs")
    rates = reference.load_rates()
    for table, theirs in ((NLW, rates.nlw), (LLW, rates.llw)):
        for effective, pence in table:
            assert theirs.rate_on(effective) == pence
    book = reference.load_contracts()
    for ours in DEFAULT_CONTRACTS:
        contract = book.get(ours.contract_id)
        assert contract is not None
        assert contract.provider_id == ours.provider_id
        assert (contract.starts_from, contract.starts_until) == (
            ours.starts_from,
            ours.starts_until,
        )
        assert contract.sub_region is ours.sub_region
        assert contract.llw_uplift_percent == ours.llw_uplift_percent
        assert {k: v for k, v in contract.prices.items() if v} == dict(ours.prices)
    for region, names in BOROUGHS.items():
        for name in names:
            assert boroughs.locate_borough(name)[0] is region


def test_the_services_run_with_the_feeds_group_prices(tmp_path: Path) -> None:
    """The contract book make run and the e2e tests give the services (REFERENCE_DIR)
    loads with the services' own loader and prices every group as the feed does."""
    reference = pytest.importorskip("services.common.reference")
    folder = write_reference(tmp_path / "reference")
    book = reference.load_contracts(folder / "contracts.json")
    assert reference.load_rates(folder / "rates.json") == reference.load_rates()
    for ours in CONTRACTS_BY_ID.values():
        contract = book.get(ours.contract_id)
        assert contract is not None
        for group in EligibilityGroup:
            for milestone in MilestoneKind:
                theirs = contract.group_prices.get(group, {}).get(
                    milestone, contract.prices.get(milestone, 0)
                )
                assert theirs == ours.price(group, milestone), (ours.contract_id, group, milestone)
    assert any(c.group_prices for c in book.contracts.values())


# --------------------------------------------------------------------------------- CLI


def test_cli_dry_run_prints_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--participants", "20", "--seed", "3", "--dry-run"]) == 0
    out = capsys.readouterr().out
    referrals = next(line for line in out.splitlines() if line.startswith("referrals "))
    assert int(referrals.split()[-1]) >= 20  # 20 people, some referred twice


def test_cli_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--participants", "5", "--seed", "3", "--dry-run", "--jsonl", "--namespace", "t."])
        == 0
    )
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == len(generate_feed(5, 3))
    assert all(line["topic"].startswith("t.provider.") for line in lines)
    assert "referrals" in captured.err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--participants", "0", "--seed", "1"], "--participants"),
        (["--participants", "many", "--seed", "1"], "--participants"),
        (["--participants", "10", "--seed", "-3"], "--seed"),
        (["--participants", "10", "--seed", "x"], "--seed"),
        (["--participants", "10", "--seed", "1", "--start", "2024-13-01"], "--start"),
        (["--participants", "10", "--seed", "1", "--start", "2031-01-01"], "--start"),
        (["--participants", "10", "--seed", "1", "--namespace", "a b"], "--namespace"),
        (["--participants", "10", "--seed", "1", "--jsonl"], "--jsonl"),
        (["--seed", "1"], "--participants"),
    ],
)
def test_cli_rejects_bad_arguments(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert flag in capsys.readouterr().err


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["--participants", "3", "--seed", "0"])
    assert args.namespace == ""
    assert args.dry_run is False


# ----------------------------------------------------------------------------- summary


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (0, "£0.00"),
        (5, "£0.05"),
        (100, "£1.00"),
        (123_456, "£1,234.56"),
        (400_000_00, "£400,000.00"),
        (-1, "-£0.01"),
        (-500_000, "-£5,000.00"),
        (-123_456_789, "-£1,234,567.89"),
    ],
)
def test_format_pence(pence: int, text: str) -> None:
    assert format_pence(pence) == text


def test_format_summary_tables() -> None:
    s = Summary(
        messages={"provider.intake.v1": 12},
        referrals=6,
        starts=5,
        placements=3,
        milestones={MilestoneKind.EARNINGS_OUTCOME: 2},
        milestones_revoked={MilestoneKind.EARNINGS_OUTCOME: 1},
        payments={
            "whp-central": ContractPayments(
                payments=3, paid_pence=1_300_000, reversals=1, reversed_pence=-500_000
            )
        },
        not_paid={"superseded": 1},
        rejections={"intake.rejections.v1": {"invalid_nino": 2}},
    )
    text = format_summary(s)
    assert "£13,000.00" in text
    assert "-£5,000.00" in text
    assert "£8,000.00" in text  # net
    assert "invalid_nino" in text
    assert "superseded" in text
    lines = text.splitlines()
    header = next(line for line in lines if "payments" in line and "reversed" in line)
    row = next(line for line in lines if line.strip().startswith("whp-central"))
    assert len(header) == len(row)  # right-aligned columns end together
    assert s.payments_total_pence == 800_000


def test_format_summary_with_expected_counts() -> None:
    items = generate_feed(30, 5)
    expected = expected_counts(items)
    text = format_summary(Summary(referrals=expected.referrals), expected)
    assert "expected" in text
    referrals_line = next(line for line in text.splitlines() if "referrals" in line)
    assert referrals_line.split()[1:] == ["30", "30"]


def test_cli_jsonl_in_reversed_order(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--participants", "30", "--seed", "3", "--dry-run", "--jsonl", "--order", "reversed"]
    assert main(argv) == 0
    topics = [json.loads(line)["topic"] for line in capsys.readouterr().out.splitlines()]
    kinds = [topic.rsplit(".", 2)[-2] for topic in topics]  # provider.<id>.<kind>.v1
    first_intake = kinds.index("intake")
    assert set(kinds[:first_intake]) == {"evidence", "placements"}
    assert kinds.index("placements") > 0
    assert kinds[0] == "evidence"
    assert set(kinds[first_intake:]) == {"intake"}

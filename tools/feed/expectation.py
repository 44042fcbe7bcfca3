"""What a synthetic feed should produce, computed independently of the services.

The milestone and payment figures read the rule book (domain.md §6-§7) for the clean
feeds of ``tools.feed.generate``; ``make run`` compares the pipeline's output with them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from schemas.common import EmploymentType, EvidenceKind, MilestoneKind
from schemas.provider import (
    EvidenceSubmitted,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from tools.feed.generate import FeedItem, pence_round
from tools.feed.world import (
    CONTRACTS_BY_ID,
    DEFAULT_CONTRACTS,
    LLW,
    NLW,
    OUTCOME_WINDOW_DAYS,
    SELF_EMPLOYMENT_DAYS,
    SUSTAINED_WEEKS,
    THRESHOLD_HOURS,
    rate_on,
)


@dataclass(frozen=True)
class ExpectedPayments:
    count: int = 0
    total_pence: int = 0


@dataclass(frozen=True)
class FeedCounts:
    """What a feed holds, and what the pipeline should make of it (domain.md §6-§7).

    The milestone and payment figures read the rule book for this clean feed (one
    placement per person, no corrections, no retractions): a pipeline run over the
    whole feed, with nothing else on the topics, should publish exactly these.
    """

    messages: int
    referrals: int
    starts: int
    leavers: int
    job_starts: int
    self_employed_job_starts: int
    job_ends: int
    evidence: int
    referrals_by_contract: Mapping[str, int]
    starts_by_contract: Mapping[str, int]
    below_minimum_wage: int
    pays_llw: int
    milestones: Mapping[MilestoneKind, int]
    payments_by_contract: Mapping[str, ExpectedPayments]

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "referrals": self.referrals,
            "starts": self.starts,
            "leavers": self.leavers,
            "job_starts": self.job_starts,
            "self_employed_job_starts": self.self_employed_job_starts,
            "job_ends": self.job_ends,
            "evidence": self.evidence,
            "referrals_by_contract": dict(self.referrals_by_contract),
            "starts_by_contract": dict(self.starts_by_contract),
            "below_minimum_wage": self.below_minimum_wage,
            "pays_llw": self.pays_llw,
            "milestones": {str(k): v for k, v in self.milestones.items()},
            "payments_by_contract": {
                c: {"count": p.count, "total_pence": p.total_pence}
                for c, p in self.payments_by_contract.items()
            },
        }


@dataclass
class _Participant:
    referral: ReferralMade
    start: date | None = None
    leave: date | None = None
    placements: list[JobStarted] = field(default_factory=list)
    evidence: list[EvidenceSubmitted] = field(default_factory=list)


def _weeks_in_work(
    p: _Participant, counting: Sequence[EvidenceSubmitted], window_end: date, minimum: int
) -> list[date]:
    """Sundays of in-work weeks (domain.md §6), in order."""
    assert p.start is not None
    rates: dict[date, Fraction] = defaultdict(Fraction)
    for ev in counting:
        days = (ev.period_end - ev.period_start).days + 1
        rate = Fraction(ev.hours_worked) * 7 / days
        monday = ev.period_start - timedelta(days=ev.period_start.weekday())
        while monday <= ev.period_end:
            rates[monday + timedelta(days=6)] += rate
            monday += timedelta(days=7)
    return sorted(
        sunday
        for sunday, rate in rates.items()
        if rate >= minimum and p.start <= sunday <= window_end
    )


def _uplift(price: int, percent: int) -> int:
    return pence_round(price * percent, 100)


def expected_counts(items: Iterable[FeedItem]) -> FeedCounts:
    """Counts of a feed, and the milestones and payments it should lead to."""
    messages = 0
    by_type: Counter[str] = Counter()
    people: dict[str, _Participant] = {}
    placements: dict[str, JobStarted] = {}
    evidence: list[EvidenceSubmitted] = []
    for item in items:
        messages += 1
        event = item.event
        by_type[event.type] += 1
        if isinstance(event, ReferralMade):
            people[event.referral_id] = _Participant(event)
        elif isinstance(event, ProgrammeStarted) and event.referral_id in people:
            people[event.referral_id].start = event.start_date
        elif isinstance(event, ProgrammeEnded) and event.referral_id in people:
            people[event.referral_id].leave = event.end_date
        elif isinstance(event, JobStarted) and event.referral_id in people:
            placements[event.placement_id] = event
            people[event.referral_id].placements.append(event)
        elif isinstance(event, EvidenceSubmitted):
            evidence.append(event)
    for ev in evidence:  # a slice of a feed may hold evidence of unknown placements
        if ev.placement_id in placements:
            people[placements[ev.placement_id].referral_id].evidence.append(ev)

    milestones: Counter[MilestoneKind] = Counter()
    payments: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    below = llw = 0
    for job in placements.values():
        if job.hourly_wage_pence is not None:
            below += job.hourly_wage_pence < rate_on(NLW, job.job_start_date)
            llw += job.hourly_wage_pence >= rate_on(LLW, job.job_start_date)

    for p in people.values():
        if p.start is None:
            continue
        contract = CONTRACTS_BY_ID[p.referral.contract_id]
        reached: dict[MilestoneKind, JobStarted | None] = {}  # milestone -> job behind it
        window_end = p.start + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        if p.leave is not None:
            window_end = min(window_end, p.leave)
        jobs = {j.placement_id: j for j in p.placements}
        first_job = min(
            p.placements, key=lambda j: (j.job_start_date, j.placement_id), default=None
        )
        if first_job is not None:
            reached[MilestoneKind.JOB_START] = first_job
        counting = sorted(
            (
                ev
                for ev in p.evidence
                if p.start <= ev.period_end <= window_end
                and ev.period_end >= jobs[ev.placement_id].job_start_date
            ),
            key=lambda ev: (ev.period_end, ev.evidence_id),
        )
        if any(ev.gross_earnings_pence > 0 for ev in counting):
            reached[MilestoneKind.FIRST_EARNINGS] = None
        employed = [ev for ev in counting if ev.kind is not EvidenceKind.SELF_EMPLOYMENT]
        threshold = THRESHOLD_HOURS * rate_on(NLW, p.start)
        total = 0
        for ev in employed:
            total += ev.gross_earnings_pence
            if total >= threshold:
                reached[MilestoneKind.EARNINGS_OUTCOME] = jobs[ev.placement_id]
                break
        days: set[date] = set()
        for ev in counting:
            if ev.kind is EvidenceKind.SELF_EMPLOYMENT:
                first = max(ev.period_start, jobs[ev.placement_id].job_start_date, p.start)
                last = min(ev.period_end, window_end)
                days.update(
                    first + timedelta(days=i) for i in range(max(0, (last - first).days + 1))
                )
        if len(days) >= SELF_EMPLOYMENT_DAYS:
            reached[MilestoneKind.SELF_EMPLOYMENT_OUTCOME] = None
        weeks = _weeks_in_work(p, employed, window_end, contract.weekly_hours_min)
        for kind, needed in SUSTAINED_WEEKS.items():
            if len(weeks) >= needed:
                reached[kind] = first_job
        for kind, behind in reached.items():
            milestones[kind] += 1
            price = contract.prices.get(kind, 0)
            if price == 0:
                continue
            amount = price
            uplifted = kind is MilestoneKind.EARNINGS_OUTCOME or kind in SUSTAINED_WEEKS
            if (
                uplifted
                and behind is not None
                and behind.hourly_wage_pence is not None
                and behind.hourly_wage_pence >= rate_on(LLW, behind.job_start_date)
            ):
                amount += _uplift(price, contract.llw_uplift_percent)
            count, pence = payments[contract.contract_id]
            payments[contract.contract_id] = (count + 1, pence + amount)

    referrals_by_contract: Counter[str] = Counter()
    starts_by_contract: Counter[str] = Counter()
    for p in people.values():
        referrals_by_contract[p.referral.contract_id] += 1
        if p.start is not None:
            starts_by_contract[p.referral.contract_id] += 1
    order = [c.contract_id for c in DEFAULT_CONTRACTS]
    return FeedCounts(
        messages=messages,
        referrals=by_type["referral"],
        starts=by_type["programme_start"],
        leavers=by_type["programme_end"],
        job_starts=by_type["job_start"],
        self_employed_job_starts=sum(
            1 for j in placements.values() if j.employment_type is EmploymentType.SELF_EMPLOYED
        ),
        job_ends=by_type["job_end"],
        evidence=by_type["evidence"],
        referrals_by_contract={c: referrals_by_contract[c] for c in order},
        starts_by_contract={c: starts_by_contract[c] for c in order},
        below_minimum_wage=below,
        pays_llw=llw,
        milestones={k: milestones[k] for k in MilestoneKind},
        payments_by_contract={c: ExpectedPayments(*payments[c]) for c in order if c in payments},
    )

"""Pure, deterministic generator of a synthetic provider feed.

``generate_feed(participants, seed)`` returns the events that providers would publish
about ``participants`` synthetic people, in publication order: referrals, programme
starts, leavers, job starts and ends, in-work evidence. Everything derives from
``random.Random(seed)``: the same arguments give the same feed, byte for byte; nothing
reads the wall clock (``produced_at`` is the publication date at 09:00 UTC).

The feed is *clean*: every event satisfies the rule book (domain.md §4-§6), so every
difference between :func:`expected_counts` and what the services publish is worth a look.

The contract table, boroughs and wage rates mirror domain.md §1, §3 and §7 (default
contracts); they are data for the generator here, not configuration of the services.
"""

from __future__ import annotations

import calendar
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple, TypeAlias, TypedDict

from schemas.common import (
    EligibilityGroup,
    EmploymentType,
    EvidenceKind,
    MilestoneKind,
    ReferralSource,
    SubRegion,
)
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from schemas.topics import PROVIDER_EVIDENCE, PROVIDER_INTAKE, PROVIDER_PLACEMENTS, TopicSpec
from services.common.boroughs import BOROUGHS_BY_SUB_REGION

FeedEvent: TypeAlias = (
    ReferralMade
    | ProgrammeStarted
    | ProgrammeEnded
    | JobStarted
    | JobEnded
    | EvidenceSubmitted
    | EvidenceRetracted
)


class FeedItem(NamedTuple):
    """One message to publish: the topic's registry entry, the message key, the event."""

    topic: TopicSpec
    key: str
    event: FeedEvent


# --------------------------------------------------------------------------- world data

BOROUGHS: Mapping[SubRegion, tuple[str, ...]] = {
    **BOROUGHS_BY_SUB_REGION,
    # Any place outside London: a few local-authority names.
    SubRegion.NATIONAL: (
        "Manchester",
        "Leeds",
        "Cardiff",
        "Birmingham",
        "Bristol",
        "Sheffield",
        "Liverpool",
        "Newcastle upon Tyne",
        "Nottingham",
        "Glasgow",
    ),
}

# National Living Wage (from 1 April) and London Living Wage (from 1 November), pence/hour.
NLW: tuple[tuple[date, int], ...] = tuple(
    (date(year, 4, 1), pence)
    for year, pence in (
        (2016, 720),
        (2017, 750),
        (2018, 783),
        (2019, 821),
        (2020, 872),
        (2021, 891),
        (2022, 950),
        (2023, 1042),
        (2024, 1144),
        (2025, 1221),
        (2026, 1271),
    )
)
LLW: tuple[tuple[date, int], ...] = tuple(
    (date(year, 11, 1), pence)
    for year, pence in (
        (2016, 975),
        (2017, 1020),
        (2018, 1055),
        (2019, 1075),
        (2020, 1085),
        (2021, 1105),
        (2022, 1195),
        (2023, 1315),
        (2024, 1385),
        (2025, 1480),
    )
)


def rate_on(table: Sequence[tuple[date, int]], on: date) -> int:
    """The rate in force on ``on`` (tables are sorted by effective date)."""
    found: int | None = None
    for effective, pence in table:
        if effective <= on:
            found = pence
    if found is None:
        raise ValueError(f"no rate in force on {on.isoformat()}")
    return found


THRESHOLD_HOURS = 416
OUTCOME_WINDOW_DAYS = 638
SELF_EMPLOYMENT_DAYS = 182
SUSTAINED_WEEKS: Mapping[MilestoneKind, int] = {
    MilestoneKind.SUSTAINED_13W: 13,
    MilestoneKind.SUSTAINED_26W: 26,
    MilestoneKind.SUSTAINED_52W: 52,
}


@dataclass(frozen=True)
class FeedContract:
    """A default contract (domain.md §7) as far as the generator needs it."""

    contract_id: str
    sub_region: SubRegion
    starts_from: date
    starts_until: date
    weight: int
    prices: Mapping[MilestoneKind, int]
    llw_uplift_percent: int
    weekly_hours_min: int = 16

    @property
    def provider_id(self) -> str:
        return "prov-" + self.contract_id


def _whp(contract_id: str, sub_region: SubRegion, uplift: int, weight: int) -> FeedContract:
    return FeedContract(
        contract_id=contract_id,
        sub_region=sub_region,
        starts_from=date(2017, 11, 1) if sub_region is SubRegion.NATIONAL else date(2018, 3, 1),
        starts_until=date(2024, 9, 30),
        weight=weight,
        prices={
            MilestoneKind.EARNINGS_OUTCOME: 400_000,
            MilestoneKind.SELF_EMPLOYMENT_OUTCOME: 400_000,
        },
        llw_uplift_percent=uplift,
    )


DEFAULT_CONTRACTS: tuple[FeedContract, ...] = (
    _whp("whp-national", SubRegion.NATIONAL, 0, 15),
    _whp("whp-central", SubRegion.CENTRAL, 25, 18),
    _whp("whp-west", SubRegion.WEST, 20, 14),
    _whp("whp-south", SubRegion.SOUTH, 15, 10),
    _whp("whp-local", SubRegion.LOCAL, 0, 18),
    FeedContract(
        contract_id="pioneer-central",
        sub_region=SubRegion.CENTRAL,
        starts_from=date(2023, 9, 13),
        starts_until=date(2026, 12, 31),
        weight=25,
        prices={
            MilestoneKind.JOB_START: 50_000,
            MilestoneKind.SUSTAINED_13W: 100_000,
            MilestoneKind.SUSTAINED_26W: 150_000,
        },
        llw_uplift_percent=10,
    ),
)
CONTRACTS_BY_ID: Mapping[str, FeedContract] = {c.contract_id: c for c in DEFAULT_CONTRACTS}

DEFAULT_START = date(2022, 1, 1)
MAX_START_LAG_DAYS = 30  # programme start is 0-30 days after the referral

# NINO letters (domain.md §4).
_NINO_FIRST = tuple(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "DFIQUV")
_NINO_SECOND = tuple(c for c in _NINO_FIRST if c != "O")
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def nino_is_valid(nino: str) -> bool:
    """The rule of domain.md §4 (spaces ignored, case folded)."""
    n = nino.replace(" ", "").upper()
    return (
        len(n) == 9
        and n[0] in _NINO_FIRST
        and n[1] in _NINO_SECOND
        and n[:2] not in _NINO_BAD_PREFIXES
        and n[2:8].isascii()
        and n[2:8].isdigit()
        and n[8] in "ABCD"
    )


def age_on(born: date, on: date) -> int:
    """Age in completed years (a 29 February birthday counts from 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_EARLY_ACCESS_SUBGROUPS = (
    "ex_offender",
    "care_leaver",
    "homeless",
    "carer",
    "ex_armed_forces",
    "refugee",
    "substance_misuse",
    "domestic_abuse_survivor",
)
_LEAVER_REASONS = ("moved_away", "health", "withdrew", "custody", "other_provision")
_SECTORS = (
    "retail",
    "hospitality",
    "health_and_social_care",
    "logistics",
    "construction",
    "administration",
    "cleaning",
    "security",
    "education",
)
_EMPLOYERS = (
    "Northgate Foods Ltd",
    "Riverside Care",
    "Thames Logistics",
    "City Cleaning Co",
    "Greenway Retail",
    "Borough Builders",
    "Capital Security Services",
    "Parkside Hotel",
    "Meridian Admin Services",
    "St Luke's Nursery",
)
_HOURS_COMMON = tuple(Decimal(h) for h in ("16", "20", "24", "25", "30", "35", "37.5", "40"))


# ------------------------------------------------------------------------------ helpers


def _pence_round(numerator: int, denominator: int) -> int:
    """Round half up of numerator / denominator, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _hundredths(value: Decimal) -> int:
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 2 decimal places")
    return int(scaled)


def _from_hundredths(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _nine_am(d: date) -> datetime:
    return datetime.combine(d, time(9, 0), tzinfo=UTC)


@dataclass(order=True)
class _Draft:
    published_on: date
    seq: int
    item: FeedItem = field(compare=False)


class _Stamp(TypedDict):
    event_id: uuid.UUID
    produced_at: datetime


class _Person(NamedTuple):
    contract: FeedContract
    referral_id: str
    start_date: date
    leave_date: date | None


class _Generator:
    def __init__(self, seed: int, start: date) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.drafts: list[_Draft] = []
        self.ninos: set[str] = set()
        self.counters: Counter[str] = Counter()
        self.seq = 0
        horizon = date(start.year + 3, 12, 31)
        self.windows: list[tuple[FeedContract, date, date]] = []
        for contract in DEFAULT_CONTRACTS:
            lo = max(start, contract.starts_from)
            hi = min(contract.starts_until - timedelta(days=MAX_START_LAG_DAYS), horizon)
            if lo <= hi:
                self.windows.append((contract, lo, hi))
        if not self.windows:
            raise ValueError(f"no default contract takes referrals from {start.isoformat()}")

    # -- ids and envelope

    def _next_id(self, prefix: str) -> str:
        self.counters[prefix] += 1
        return f"{prefix}-{self.seed}-{self.counters[prefix]:06d}"

    def _event_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _emit(self, topic: TopicSpec, published_on: date, event: FeedEvent) -> None:
        key = getattr(event, topic.key_field)
        assert isinstance(key, str)
        self.seq += 1
        self.drafts.append(_Draft(published_on, self.seq, FeedItem(topic, key, event)))

    def _stamp(self, published_on: date) -> _Stamp:
        return _Stamp(event_id=self._event_id(), produced_at=_nine_am(published_on))

    # -- person attributes

    def _nino(self) -> str:
        rng = self.rng
        while True:
            prefix = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
            if prefix in _NINO_BAD_PREFIXES:
                continue
            nino = f"{prefix}{rng.randrange(1_000_000):06d}{rng.choice('ABCD')}"
            if nino not in self.ninos:
                self.ninos.add(nino)
                return nino

    def _date_of_birth(self, referral_date: date) -> date:
        rng = self.rng
        age = rng.choices(range(18, 65), weights=[3 if a < 25 else 2 for a in range(18, 65)])[0]
        while True:  # born in one of the two years that can give this age
            born = date(referral_date.year - age - 1, 1, 1) + timedelta(days=rng.randrange(731))
            if age_on(born, referral_date) == age:
                return born

    def _wage(self, job_start: date) -> int:
        nlw, llw = rate_on(NLW, job_start), rate_on(LLW, job_start)
        r = self.rng.random()
        if r < 0.07:
            return nlw - self.rng.randint(1, 60)  # flagged below_minimum_wage
        if r < 0.70:
            return self.rng.randint(nlw, max(nlw, llw - 1))
        return llw + self.rng.choice((0, 0, 0, self.rng.randint(1, 400)))

    def _weekly_hours(self) -> Decimal:
        if self.rng.random() < 0.75:
            return self.rng.choice(_HOURS_COMMON)
        return _from_hundredths(self.rng.randrange(1600, 4001, 25))

    # -- one person

    def person(self) -> None:
        rng = self.rng
        contract, lo, hi = rng.choices(self.windows, weights=[w[0].weight for w in self.windows])[0]
        referral_date = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        referral_id = self._next_id("ref")
        group = rng.choices(
            (
                EligibilityGroup.DISABILITY,
                EligibilityGroup.EARLY_ACCESS,
                EligibilityGroup.LONG_TERM_UNEMPLOYED,
            ),
            weights=(45, 25, 30),
        )[0]
        source = rng.choices(
            (
                ReferralSource.JOBCENTRE,
                ReferralSource.SELF,
                ReferralSource.LOCAL_AUTHORITY,
                ReferralSource.NHS,
                ReferralSource.SIGNPOSTING,
            ),
            weights=(60, 10, 12, 10, 8),
        )[0]
        self._emit(
            PROVIDER_INTAKE,
            referral_date,
            ReferralMade(
                **self._stamp(referral_date),
                provider_id=contract.provider_id,
                contract_id=contract.contract_id,
                referral_id=referral_id,
                nino=self._nino(),
                date_of_birth=self._date_of_birth(referral_date),
                borough=rng.choice(BOROUGHS[contract.sub_region]),
                eligibility_group=group,
                eligibility_subgroup=(
                    rng.choice(_EARLY_ACCESS_SUBGROUPS)
                    if group is EligibilityGroup.EARLY_ACCESS
                    else None
                ),
                referral_source=source,
                referral_date=referral_date,
            ),
        )
        if rng.random() < 0.03:
            return  # referred, never started
        start_date = referral_date + timedelta(days=rng.randint(0, MAX_START_LAG_DAYS))
        self._emit(
            PROVIDER_INTAKE,
            start_date,
            ProgrammeStarted(
                **self._stamp(start_date),
                provider_id=contract.provider_id,
                referral_id=referral_id,
                start_date=start_date,
            ),
        )
        fate = rng.random()
        if fate < 0.35:
            return  # never works, never leaves
        if fate < 0.45:
            self._leaver(_Person(contract, referral_id, start_date, None))
            return
        self._worker(_Person(contract, referral_id, start_date, None))

    def _leaver(self, person: _Person) -> None:
        rng = self.rng
        leave_date = person.start_date + timedelta(days=rng.randint(20, 400))
        if rng.random() < 0.35:
            latest_job = min(200, (leave_date - person.start_date).days - 1)
            if latest_job >= 10:
                job_start = person.start_date + timedelta(days=rng.randint(10, latest_job))
                self._job(person._replace(leave_date=leave_date), job_start, style="short")
        published = leave_date + timedelta(days=rng.randint(0, 5))
        self._emit(
            PROVIDER_INTAKE,
            published,
            ProgrammeEnded(
                **self._stamp(published),
                provider_id=person.contract.provider_id,
                referral_id=person.referral_id,
                end_date=leave_date,
                reason=rng.choice(_LEAVER_REASONS),
            ),
        )

    def _worker(self, person: _Person) -> None:
        style = self.rng.choices(("long", "medium", "short"), weights=(45, 20, 35))[0]
        job_start = person.start_date + timedelta(days=self.rng.randint(10, 200))
        self._job(person, job_start, style)

    def _job(self, person: _Person, job_start: date, style: str) -> None:
        rng = self.rng
        contract = person.contract
        placement_id = self._next_id("plc")
        self_employed = rng.random() < 0.05
        hours = self._weekly_hours()
        wage = None if self_employed else self._wage(job_start)
        published = job_start + timedelta(days=rng.randint(0, 5))
        self._emit(
            PROVIDER_PLACEMENTS,
            published,
            JobStarted(
                **self._stamp(published),
                provider_id=contract.provider_id,
                referral_id=person.referral_id,
                placement_id=placement_id,
                job_start_date=job_start,
                employment_type=(
                    EmploymentType.SELF_EMPLOYED if self_employed else EmploymentType.EMPLOYED
                ),
                hourly_wage_pence=wage,
                weekly_hours=hours,
                employer_name=None if self_employed else rng.choice(_EMPLOYERS),
                sic_sector=rng.choice(_SECTORS),
            ),
        )
        # Evidence must end inside the outcome window and not after the leaver date.
        last_day = person.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        if person.leave_date is not None:
            last_day = min(last_day, person.leave_date)
        if wage is None:
            last_end = self._self_employment_evidence(
                contract, placement_id, job_start, hours, last_day, style
            )
        else:
            threshold = THRESHOLD_HOURS * rate_on(NLW, person.start_date)
            last_end = self._employed_evidence(
                person, placement_id, job_start, wage, hours, last_day, style, threshold
            )
        end_chance = {"short": 0.5, "medium": 0.2, "long": 0.05}[style]
        if last_end is not None and rng.random() < end_chance:
            published = last_end + timedelta(days=rng.randint(0, 7))
            self._emit(
                PROVIDER_PLACEMENTS,
                published,
                JobEnded(
                    **self._stamp(published),
                    provider_id=contract.provider_id,
                    placement_id=placement_id,
                    end_date=last_end,
                ),
            )

    def _periods(self, schedule: str, job_start: date) -> Iterable[tuple[date, date]]:
        if schedule == "monthly":
            period_start = job_start
            while True:
                period_end = _month_end(period_start)
                yield period_start, period_end
                period_start = period_end + timedelta(days=1)
        length = 7 if schedule == "weekly" else 28
        k = 0
        while True:
            period_start = job_start + timedelta(days=k * length)
            yield period_start, period_start + timedelta(days=length - 1)
            k += 1

    def _evidence(
        self,
        contract: FeedContract,
        placement_id: str,
        kind: EvidenceKind,
        period: tuple[date, date],
        gross: int,
        hours_worked: Decimal,
        max_lag: int,
    ) -> None:
        period_start, period_end = period
        reported_on = period_end + timedelta(days=self.rng.randint(1, max_lag))
        self._emit(
            PROVIDER_EVIDENCE,
            reported_on,
            EvidenceSubmitted(
                **self._stamp(reported_on),
                provider_id=contract.provider_id,
                placement_id=placement_id,
                evidence_id=self._next_id("evd"),
                kind=kind,
                period_start=period_start,
                period_end=period_end,
                gross_earnings_pence=gross,
                hours_worked=hours_worked,
                reported_on=reported_on,
            ),
        )

    def _employed_evidence(
        self,
        person: _Person,
        placement_id: str,
        job_start: date,
        wage: int,
        hours: Decimal,
        last_day: date,
        style: str,
        threshold: int,
    ) -> date | None:
        rng = self.rng
        schedule = rng.choices(("monthly", "weekly", "four_weekly"), weights=(60, 20, 20))[0]
        if schedule == "monthly":
            kind = rng.choice((EvidenceKind.PAYSLIP, EvidenceKind.HMRC_RTI))
            short_count = rng.randint(1, 2)
        else:
            kind = rng.choices((EvidenceKind.PAYSLIP, EvidenceKind.HMRC_RTI), weights=(3, 1))[0]
            short_count = rng.randint(2, 8) if schedule == "weekly" else rng.randint(1, 2)
        max_lag = 5 if schedule == "weekly" else 10
        hours_h = _hundredths(hours)
        pioneer = person.contract.prices.get(MilestoneKind.SUSTAINED_13W, 0) > 0
        target_days = rng.randint(60, 150)  # medium
        extra_days = rng.randint(0, 120)  # long: beyond the threshold
        if style == "long" and pioneer:
            target_days = rng.choice((100, 190, 200, 380, 400))
        earned = 0
        crossed_on: date | None = None
        last_end: date | None = None
        for count, period in enumerate(self._periods(schedule, job_start), start=1):
            period_start, period_end = period
            if period_end > last_day:
                break
            covered = (period_end - job_start).days + 1
            if style == "short" and count > short_count:
                break
            if style == "medium" and covered > target_days and count > 1:
                break
            if style == "long":
                if pioneer and covered > target_days and count > 1:
                    break
                if (
                    not pioneer
                    and crossed_on is not None
                    and (period_end - crossed_on).days > extra_days
                ):
                    break
            days = (period_end - period_start).days + 1
            gross = _pence_round(wage * hours_h * days, 700)
            # Rounded up, so that hours x 7 / days is never below the contracted hours.
            worked_h = -(-hours_h * days // 7)
            self._evidence(
                person.contract,
                placement_id,
                kind,
                period,
                gross,
                _from_hundredths(worked_h),
                max_lag,
            )
            earned += gross
            if crossed_on is None and earned >= threshold:
                crossed_on = period_end
            last_end = period_end
        return last_end

    def _self_employment_evidence(
        self,
        contract: FeedContract,
        placement_id: str,
        job_start: date,
        hours: Decimal,
        last_day: date,
        style: str,
    ) -> date | None:
        rng = self.rng
        months = {"long": rng.randint(7, 10), "medium": rng.randint(3, 6)}.get(
            style, rng.randint(1, 2)
        )
        monthly_income = rng.randint(30_000, 180_000)
        hours_h = _hundredths(hours)
        last_end: date | None = None
        for count, period in enumerate(self._periods("monthly", job_start), start=1):
            period_start, period_end = period
            if count > months or period_end > last_day:
                break
            days = (period_end - period_start).days + 1
            month_days = calendar.monthrange(period_end.year, period_end.month)[1]
            variation = rng.randint(80, 120)
            gross = _pence_round(monthly_income * days * variation, month_days * 100)
            worked_h = -(-hours_h * days // 7)
            self._evidence(
                contract,
                placement_id,
                EvidenceKind.SELF_EMPLOYMENT,
                period,
                gross,
                _from_hundredths(worked_h),
                10,
            )
            last_end = period_end
        return last_end


def generate_feed(participants: int, seed: int, start: date = DEFAULT_START) -> list[FeedItem]:
    """The provider events about ``participants`` synthetic people, in publication order.

    Referral dates fall from ``start`` (or the contract's first start date, if later)
    to the end of the third year after ``start``, inside each contract's start period.
    Publication order: by publication date, then by generation order (so each
    person's events keep their order and people are interleaved).
    """
    if participants < 0:
        raise ValueError("participants must be >= 0")
    gen = _Generator(seed, start)
    for _ in range(participants):
        gen.person()
    return [draft.item for draft in sorted(gen.drafts)]


# ------------------------------------------------------------------- expected outcomes


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
    return _pence_round(price * percent, 100)


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

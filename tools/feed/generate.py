"""Pure, deterministic generator of a synthetic provider feed.

``generate_feed(participants, seed)`` returns the events that providers would publish
about ``participants`` synthetic people, in publication order: referrals, programme
starts, leavers, job starts and ends, in-work evidence. Everything derives from
``random.Random(seed)``: the same arguments give the same feed, byte for byte; nothing
reads the wall clock (``produced_at`` is the publication date at 09:00 UTC).

The feed is *clean*: every event satisfies the rule book (domain.md §4-§6), so every
difference between :func:`expected_counts` and what the services publish is worth a look.

The world it draws from (boroughs, rates, contracts) is in :mod:`tools.feed.world`.
"""

from __future__ import annotations

import calendar
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple, TypeAlias, TypedDict

from schemas.common import (
    EligibilityGroup,
    EmploymentType,
    EvidenceKind,
    MilestoneKind,
    ReferralSource,
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
from tools.feed.world import (
    BOROUGHS,
    DEFAULT_CONTRACTS,
    DEFAULT_START,
    EARLY_ACCESS_SUBGROUPS,
    EMPLOYERS,
    HOURS_COMMON,
    LEAVER_REASONS,
    LLW,
    MAX_START_LAG_DAYS,
    NINO_BAD_PREFIXES,
    NINO_FIRST,
    NINO_SECOND,
    NLW,
    OUTCOME_WINDOW_DAYS,
    SECTORS,
    THRESHOLD_HOURS,
    FeedContract,
    age_on,
    rate_on,
)

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


# ------------------------------------------------------------------------------ helpers


def pence_round(numerator: int, denominator: int) -> int:
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
            prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
            if prefix in NINO_BAD_PREFIXES:
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
            return self.rng.choice(HOURS_COMMON)
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
                    rng.choice(EARLY_ACCESS_SUBGROUPS)
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
                reason=rng.choice(LEAVER_REASONS),
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
                employer_name=None if self_employed else rng.choice(EMPLOYERS),
                sic_sector=rng.choice(SECTORS),
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
            gross = pence_round(wage * hours_h * days, 700)
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
            gross = pence_round(monthly_income * days * variation, month_days * 100)
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

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
from typing import Any, NamedTuple, TypeAlias, TypedDict

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
from tools.feed.model import OnTopicOf
from tools.feed.world import (
    BOROUGHS,
    CONTRACTS_BY_ID,
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
    """One message to publish: the topic's registry entry, the message key, the event.

    ``sender``: the provider whose topic carries it, when not the one the event names
    (a provider_mismatch, domain.md §9).
    """

    topic: TopicSpec
    key: str
    event: FeedEvent
    sender: str | None = None

    def as_sent(self) -> FeedEvent | OnTopicOf:
        """The event as the model (:func:`tools.feed.model.expected`) reads it."""
        return self.event if self.sender is None else OnTopicOf(self.event, self.sender)


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
    group: EligibilityGroup


class _Job(NamedTuple):
    """A job start the generator emitted, and the evidence it emitted for it."""

    event: JobStarted
    evidence: list[EvidenceSubmitted]
    published_on: date


# The hard paths of the feed (domain.md v2), each a journey of one person; see
# ``_Generator.hard``. Weights are relative; a run of 3,000 people has ~60 of each.
HARD_PATHS: tuple[tuple[str, int], ...] = (
    ("corrected", 3),  # higher versions, stale re-sends, equal versions
    ("retracted", 2),  # retractions, a version after a retraction
    ("late_leaver", 3),  # leaver after evidence; a job after the leaver date is withdrawn
    ("job_after_leaver", 2),  # a job start after an earlier-published leaver is rejected
    ("only_job_withdrawn", 1),  # the only job starts after a leaver that arrives later
    ("two_jobs", 4),  # the outcome job / first placement changes (LLW uplift)
    ("self_employed_claims", 3),  # claim_late, and corrections that make it payable or not
    ("both_outcomes", 3),  # earnings and self-employment outcomes for one person
    ("out_of_order", 3),  # evidence and job starts published before what they name
    ("bad_events", 3),  # rejections by reason, and re-sends that are no-ops
    ("boundaries", 2),  # the threshold met to the penny (or one short); the window's last day
    ("two_starts", 2),  # one person started twice: the earlier start date stands (v3 §4)
)


# An event_id re-used: the same message again is a no-op; other content under it is
# duplicate_event_id (domain.md §10).
EXTRA_BAD_EVENTS: tuple[str, ...] = ("same_event_id",)


class _Generator:
    def __init__(self, seed: int, start: date, hard_share: float) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.hard_share = hard_share
        self.drafts: list[_Draft] = []
        self.ninos: set[str] = set()
        self.counters: Counter[str] = Counter()
        self.seq = 0
        self.idle_people: list[tuple[ReferralMade, date]] = []  # started, never work
        horizon = date(start.year + 3, 12, 31)
        self.windows: list[tuple[FeedContract, date, date]] = []
        for contract in DEFAULT_CONTRACTS:
            lo = max(start, contract.starts_from)
            hi = min(contract.starts_until - timedelta(days=MAX_START_LAG_DAYS), horizon)
            if lo <= hi:
                self.windows.append((CONTRACTS_BY_ID[contract.contract_id], lo, hi))
        if not self.windows:
            raise ValueError(f"no default contract takes referrals from {start.isoformat()}")

    # -- ids and envelope

    def _next_id(self, prefix: str) -> str:
        self.counters[prefix] += 1
        return f"{prefix}-{self.seed}-{self.counters[prefix]:06d}"

    def _event_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _emit(
        self, topic: TopicSpec, published_on: date, event: FeedEvent, sender: str | None = None
    ) -> None:
        key = getattr(event, topic.key_field)
        assert isinstance(key, str)
        if event.produced_at != _nine_am(published_on):  # produced when published
            event = event.model_copy(update={"produced_at": _nine_am(published_on)})
        self.seq += 1
        self.drafts.append(_Draft(published_on, self.seq, FeedItem(topic, key, event, sender)))

    def _stamp(self, published_on: date) -> _Stamp:
        return _Stamp(event_id=self._event_id(), produced_at=_nine_am(published_on))

    def _resend(
        self,
        topic: TopicSpec,
        published_on: date,
        event: FeedEvent,
        *,
        sender: str | None = None,
        **changes: Any,
    ) -> Any:
        """``event`` again under a new event_id (and ``changes``), published on ``published_on``
        (on ``sender``'s topic if given)."""
        again = event.model_copy(update={**self._stamp(published_on), **changes})
        self._emit(topic, published_on, again, sender)
        return again

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

    def _date_of_birth(self, referral_date: date, age: int | None = None) -> date:
        rng = self.rng
        if age is None:
            age = rng.choices(range(18, 65), weights=[3 if a < 25 else 2 for a in range(18, 65)])[0]
        while True:  # born in one of the two years that can give this age
            born = date(referral_date.year - age - 1, 1, 1) + timedelta(days=rng.randrange(731))
            if age_on(born, referral_date) == age:
                return born

    def _wage(self, job_start: date, llw: bool | None = None) -> int:
        nlw, llw_rate = rate_on(NLW, job_start), rate_on(LLW, job_start)
        r = self.rng.random()
        if llw is True:
            return llw_rate + self.rng.choice((0, self.rng.randint(1, 300)))
        if llw is False:
            return self.rng.randint(nlw, max(nlw, llw_rate - 1))
        if r < 0.07:
            return nlw - self.rng.randint(1, 60)  # flagged below_minimum_wage
        if r < 0.70:
            return self.rng.randint(nlw, max(nlw, llw_rate - 1))
        return llw_rate + self.rng.choice((0, 0, 0, self.rng.randint(1, 400)))

    def _weekly_hours(self) -> Decimal:
        if self.rng.random() < 0.75:
            return self.rng.choice(HOURS_COMMON)
        return _from_hundredths(self.rng.randrange(1600, 4001, 25))

    # -- one person

    def _referral(
        self, contract: FeedContract, referral_date: date, group: EligibilityGroup
    ) -> ReferralMade:
        rng = self.rng
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
        borough = rng.choice(BOROUGHS[contract.sub_region])
        if rng.random() < 0.1:  # spellings that domain.md §9 reads as the same borough
            borough = rng.choice((borough.upper(), borough.replace(" and ", " & ")))
            borough = borough.replace(" upon ", "-upon-") if rng.random() < 0.5 else borough
        return ReferralMade(
            **self._stamp(referral_date),
            provider_id=contract.provider_id,
            contract_id=contract.contract_id,
            referral_id=self._next_id("ref"),
            nino=self._nino(),
            date_of_birth=self._date_of_birth(referral_date),
            borough=borough,
            eligibility_group=group,
            eligibility_subgroup=(
                rng.choice(EARLY_ACCESS_SUBGROUPS)
                if group is EligibilityGroup.EARLY_ACCESS
                else None
            ),
            referral_source=source,
            referral_date=referral_date,
        )

    def person(self) -> None:
        rng = self.rng
        contract, lo, hi = rng.choices(self.windows, weights=[w[0].weight for w in self.windows])[0]
        referral_date = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        group = rng.choices(
            (
                EligibilityGroup.DISABILITY,
                EligibilityGroup.EARLY_ACCESS,
                EligibilityGroup.LONG_TERM_UNEMPLOYED,
            ),
            weights=(45, 25, 30),
        )[0]
        referral = self._referral(contract, referral_date, group)
        hard = rng.random() < self.hard_share
        path = rng.choices([p for p, _ in HARD_PATHS], weights=[w for _, w in HARD_PATHS])[0]
        if hard and path == "bad_events" and rng.random() < 0.5:
            # A referral rejected for its NINO does not use up its id: the fixed one follows.
            bad = referral.nino.replace(referral.nino[:2], rng.choice(sorted(NINO_BAD_PREFIXES)), 1)
            self._emit(
                PROVIDER_INTAKE,
                referral_date,
                referral.model_copy(update={**self._stamp(referral_date), "nino": bad}),
            )
        self._emit(PROVIDER_INTAKE, referral_date, referral)
        if hard and path == "bad_events":
            self._bad_referrals(referral)
        if rng.random() < 0.03:
            return  # referred, never started
        start_date = referral_date + timedelta(days=rng.randint(0, MAX_START_LAG_DAYS))
        start_published = start_date
        if hard and path == "out_of_order":
            start_published = start_date + timedelta(days=rng.randint(60, 250))
        self._emit(
            PROVIDER_INTAKE,
            start_published,
            ProgrammeStarted(
                **self._stamp(start_published),
                provider_id=contract.provider_id,
                referral_id=referral.referral_id,
                start_date=start_date,
            ),
        )
        person = _Person(contract, referral.referral_id, start_date, None, group)
        if hard:
            getattr(self, "_hard_" + path)(person, referral)
            return
        fate = rng.random()
        if fate < 0.35:
            self.idle_people.append((referral, start_date))
            return  # never works, never leaves
        if fate < 0.45:
            self._leaver(person)
            return
        self._worker(person)

    def _leaver(self, person: _Person) -> None:
        rng = self.rng
        leave_date = person.start_date + timedelta(days=rng.randint(20, 400))
        if rng.random() < 0.35:
            latest_job = min(200, (leave_date - person.start_date).days - 1)
            if latest_job >= 10:
                job_start = person.start_date + timedelta(days=rng.randint(10, latest_job))
                self._job(person._replace(leave_date=leave_date), job_start, style="short")
        published = leave_date + timedelta(days=rng.randint(0, 5))
        self._leaver_event(person, leave_date, published)

    def _leaver_event(self, person: _Person, leave_date: date, published: date) -> ProgrammeEnded:
        event = ProgrammeEnded(
            **self._stamp(published),
            provider_id=person.contract.provider_id,
            referral_id=person.referral_id,
            end_date=leave_date,
            reason=self.rng.choice(LEAVER_REASONS),
        )
        self._emit(PROVIDER_INTAKE, published, event)
        return event

    def _worker(self, person: _Person) -> _Job:
        style = self.rng.choices(("long", "medium", "short"), weights=(45, 20, 35))[0]
        job_start = person.start_date + timedelta(days=self.rng.randint(10, 200))
        return self._job(person, job_start, style)

    def _job(
        self,
        person: _Person,
        job_start: date,
        style: str,
        *,
        self_employed: bool | None = None,
        llw: bool | None = None,
        delay: int = 0,
        evidence_last_day: date | None = None,
        with_evidence: bool = True,
    ) -> _Job:
        """A job start and its evidence; ``delay`` days are added to every publication."""
        rng = self.rng
        contract = person.contract
        placement_id = self._next_id("plc")
        if self_employed is None:
            self_employed = rng.random() < 0.05
        hours = self._weekly_hours()
        wage = None if self_employed else self._wage(job_start, llw)
        published = job_start + timedelta(days=rng.randint(0, 5) + delay)
        job = JobStarted(
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
        )
        self._emit(PROVIDER_PLACEMENTS, published, job)
        evidence: list[EvidenceSubmitted] = []
        if not with_evidence:
            return _Job(job, evidence, published)
        # Evidence must end inside the outcome window and not after the leaver date.
        last_day = person.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        if person.leave_date is not None:
            last_day = min(last_day, person.leave_date)
        if evidence_last_day is not None:
            last_day = evidence_last_day
        if wage is None:
            last_end = self._self_employment_evidence(
                contract, placement_id, job_start, hours, last_day, style, evidence, delay
            )
        else:
            threshold = THRESHOLD_HOURS * rate_on(NLW, person.start_date)
            last_end = self._employed_evidence(
                person,
                placement_id,
                job_start,
                wage,
                hours,
                last_day,
                style,
                threshold,
                evidence,
                delay,
            )
        end_chance = {"short": 0.5, "medium": 0.2, "long": 0.05}[style]
        if last_end is not None and rng.random() < end_chance:
            published = last_end + timedelta(days=rng.randint(0, 7) + delay)
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
        return _Job(job, evidence, published)

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
        delay: int = 0,
    ) -> EvidenceSubmitted:
        period_start, period_end = period
        reported_on = period_end + timedelta(days=self.rng.randint(1, max_lag))
        published = reported_on + timedelta(days=delay)
        event = EvidenceSubmitted(
            **self._stamp(published),
            provider_id=contract.provider_id,
            placement_id=placement_id,
            evidence_id=self._next_id("evd"),
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            gross_earnings_pence=gross,
            hours_worked=hours_worked,
            reported_on=reported_on,
        )
        self._emit(PROVIDER_EVIDENCE, published, event)
        return event

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
        out: list[EvidenceSubmitted],
        delay: int,
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
            out.append(
                self._evidence(
                    person.contract,
                    placement_id,
                    kind,
                    period,
                    gross,
                    _from_hundredths(worked_h),
                    max_lag,
                    delay,
                )
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
        out: list[EvidenceSubmitted],
        delay: int,
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
            out.append(
                self._evidence(
                    contract,
                    placement_id,
                    EvidenceKind.SELF_EMPLOYMENT,
                    period,
                    gross,
                    _from_hundredths(worked_h),
                    10,
                    delay,
                )
            )
            last_end = period_end
        return last_end

    # -- hard paths (domain.md v2): each builds one person's journey

    def _later(self, after: date, lo: int = 5, hi: int = 120) -> date:
        return after + timedelta(days=self.rng.randint(lo, hi))

    def _last_published(self, job: _Job) -> date:
        dates = [job.published_on] + [e.produced_at.date() for e in job.evidence]
        return max(dates)

    def _hard_corrected(self, person: _Person, referral: ReferralMade) -> None:
        """Higher versions replace; lower or equal versions and identical re-sends do not."""
        rng = self.rng
        job = self._job(person, self._job_start(person), "long", self_employed=False)
        if not job.evidence:
            return
        for ev in rng.sample(job.evidence, k=min(len(job.evidence), rng.randint(1, 3))):
            factor = rng.choice((0, 50, 130, 200))  # percent of the first version
            published = self._later(self._last_published(job))
            v2 = self._resend(
                PROVIDER_EVIDENCE,
                published,
                ev,
                version=2,
                gross_earnings_pence=ev.gross_earnings_pence * factor // 100,
                hours_worked=_from_hundredths(_hundredths(ev.hours_worked) * factor // 100),
                reported_on=published,
            )
            stale = rng.choice(("v1_again", "equal_other", "v3", "none"))
            later = self._later(published, 1, 30)
            if stale == "v1_again":  # the same content again under a new event_id: ignored
                self._resend(PROVIDER_EVIDENCE, later, ev)
            elif stale == "equal_other":  # an equal version: the first of the two stands
                self._resend(
                    PROVIDER_EVIDENCE,
                    later,
                    v2,
                    gross_earnings_pence=ev.gross_earnings_pence,
                    reported_on=later,
                )
            elif stale == "v3":
                self._resend(PROVIDER_EVIDENCE, later, v2, version=3, reported_on=later)

    def _hard_retracted(self, person: _Person, referral: ReferralMade) -> None:
        """A retraction removes evidence for good; a later version stays retracted."""
        rng = self.rng
        job = self._job(person, self._job_start(person), "long")
        if not job.evidence:
            return
        for ev in rng.sample(job.evidence, k=min(len(job.evidence), rng.randint(1, 2))):
            published = self._later(ev.produced_at.date(), 1, 200)
            self._emit(
                PROVIDER_EVIDENCE,
                published,
                EvidenceRetracted(
                    **self._stamp(published),
                    provider_id=person.contract.provider_id,
                    evidence_id=ev.evidence_id,
                ),
            )
            if rng.random() < 0.3:
                later = self._later(published, 1, 30)
                self._resend(PROVIDER_EVIDENCE, later, ev, version=2, reported_on=later)

    def _hard_late_leaver(self, person: _Person, referral: ReferralMade) -> None:
        """Evidence runs past a leaver date that is published last; a job after it is withdrawn."""
        rng = self.rng
        job = self._job(person, self._job_start(person), "long")
        first = job.event.job_start_date
        leave_date = first + timedelta(days=rng.randint(30, 300))
        if job.evidence and rng.random() < 0.3:  # evidence ending on the leaver date counts
            leave_date = rng.choice(job.evidence).period_end
        leaver_published = self._later(self._last_published(job), 5, 60)
        window_end = person.start_date + timedelta(days=455)
        if rng.random() < 0.6:  # starts after the leaver date, published before the leaver
            after = leave_date + timedelta(days=rng.randint(1, 40))
            if after <= window_end:
                self._job(
                    person,
                    after,
                    "short",
                    self_employed=False,
                    with_evidence=False,
                    delay=0,
                )
        if rng.random() < 0.3 and leave_date <= window_end:  # a job may start on the leaver date
            self._job(person, leave_date, "short", self_employed=False, with_evidence=False)
        self._leaver_event(person, leave_date, max(leaver_published, leave_date))

    def _hard_job_after_leaver(self, person: _Person, referral: ReferralMade) -> None:
        """A job start dated after a leaver published earlier: after_programme_end."""
        rng = self.rng
        leave_date = person.start_date + timedelta(days=rng.randint(30, 300))
        if rng.random() < 0.5:
            job_start = person.start_date + timedelta(
                days=rng.randint(0, (leave_date - person.start_date).days)
            )
            self._job(person._replace(leave_date=leave_date), job_start, "short")
        published = leave_date + timedelta(days=rng.randint(0, 5))
        self._leaver_event(person, leave_date, published)
        after = leave_date + timedelta(days=rng.randint(1, 60))
        if (after - person.start_date).days < 456:
            self._job(
                person, after, "short", with_evidence=False, delay=(published - after).days + 3
            )

    def _hard_only_job_withdrawn(self, person: _Person, referral: ReferralMade) -> None:
        """The person's only job starts after the leaver date, and the leaver arrives later."""
        rng = self.rng
        leave_date = person.start_date + timedelta(days=rng.randint(20, 300))
        job_start = leave_date + timedelta(days=rng.randint(1, 30))
        if (job_start - person.start_date).days >= 456:
            return
        job = self._job(person, job_start, "short", self_employed=False, with_evidence=False)
        self._leaver_event(person, leave_date, self._later(job.published_on, 1, 20))

    def _hard_two_jobs(self, person: _Person, referral: ReferralMade) -> None:
        """Two employed jobs with different LLW flags; the earlier one is often published late."""
        rng = self.rng
        first_start = self._job_start(person)
        second_start = first_start + timedelta(days=rng.randint(20, 150))
        if (second_start - person.start_date).days >= 456:
            second_start = first_start
        first_llw = rng.random() < 0.5
        late = rng.random() < 0.6
        span = (second_start - first_start).days + rng.randint(0, 60)
        delay = rng.randint(150, 400) if late else 0
        self._job(
            person,
            first_start,
            "medium",
            self_employed=False,
            llw=first_llw,
            delay=delay,
            evidence_last_day=first_start + timedelta(days=max(span, 35)),
        )
        self._job(
            person,
            second_start,
            rng.choice(("long", "medium")),
            self_employed=False,
            llw=not first_llw,
        )

    def _hard_self_employed_claims(self, person: _Person, referral: ReferralMade) -> None:
        """Self-employment outcome: claim_late, made payable or late again by other evidence."""
        rng = self.rng
        contract = person.contract
        variant = self._in_turn(
            "self_employed_claims",
            ("late", "late_then_on_time", "on_time_then_late", "boundary", "day700", "day700_late"),
        )
        if variant.startswith("day700"):  # day 182 near the end of the outcome window
            job_start = person.start_date + timedelta(days=rng.randint(430, 455))
        else:
            job_start = person.start_date + timedelta(days=rng.randint(10, 120))
        job = self._job(person, job_start, "long", self_employed=True, with_evidence=False)
        hours_h = _hundredths(job.event.weekly_hours)
        day182 = job_start + timedelta(days=181)
        income = rng.randint(30_000, 180_000)
        late_days = rng.randint(91, 200)
        day700 = person.start_date + timedelta(days=700)
        window_last = person.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        for period_start, month_end in self._periods("monthly", job_start):
            if period_start > min(day182 + timedelta(days=40), window_last):
                break
            period_end = min(month_end, window_last)
            period = (period_start, period_end)
            days = (period_end - period_start).days + 1
            gross = pence_round(income * days, 30)
            worked = _from_hundredths(-(-hours_h * days // 7))
            covers = period_start <= day182 <= period_end
            if not covers:
                self._evidence(
                    contract,
                    job.event.placement_id,
                    EvidenceKind.SELF_EMPLOYMENT,
                    period,
                    gross,
                    worked,
                    10,
                )
                continue
            if variant == "boundary":  # reported on day 182 + 90: still on time
                reported = max(period_end, day182 + timedelta(days=90))
            elif variant == "day700":  # within 90 days, on programme day 700: on time
                reported = max(period_end, day700)
            elif variant == "day700_late":  # within 90 days, but after programme day 700
                reported = max(period_end, day700 + timedelta(days=1))
            elif variant == "on_time_then_late":
                reported = period_end + timedelta(days=rng.randint(1, 10))
            else:
                reported = max(period_end, day182 + timedelta(days=late_days))
            ev = EvidenceSubmitted(
                **self._stamp(reported),
                provider_id=contract.provider_id,
                placement_id=job.event.placement_id,
                evidence_id=self._next_id("evd"),
                kind=EvidenceKind.SELF_EMPLOYMENT,
                period_start=period_start,
                period_end=period_end,
                gross_earnings_pence=gross,
                hours_worked=worked,
                reported_on=reported,
            )
            self._emit(PROVIDER_EVIDENCE, reported, ev)
            if variant == "late_then_on_time":
                # Another piece over the same days, reported on time but published later.
                short = (day182 - timedelta(days=3), day182 + timedelta(days=3))
                on_time = day182 + timedelta(days=rng.randint(4, 60))
                self._emit(
                    PROVIDER_EVIDENCE,
                    reported + timedelta(days=rng.randint(1, 30)),
                    EvidenceSubmitted(
                        **self._stamp(reported + timedelta(days=1)),
                        provider_id=contract.provider_id,
                        placement_id=job.event.placement_id,
                        evidence_id=self._next_id("evd"),
                        kind=EvidenceKind.SELF_EMPLOYMENT,
                        period_start=short[0],
                        period_end=short[1],
                        gross_earnings_pence=gross // 4,
                        hours_worked=_from_hundredths(hours_h),
                        reported_on=on_time,
                    ),
                )
            elif variant == "on_time_then_late":
                # A correction reported late: the completing evidence becomes a late claim.
                later = max(period_end, day182 + timedelta(days=late_days))
                self._resend(PROVIDER_EVIDENCE, later, ev, version=2, reported_on=later)

    def _hard_both_outcomes(self, person: _Person, referral: ReferralMade) -> None:
        """Self-employed and employed: the outcome reached first is paid, the other superseded."""
        rng = self.rng
        se_start = person.start_date + timedelta(days=rng.randint(10, 200))
        job_start = person.start_date + timedelta(days=rng.randint(10, 200))
        self._job(person, se_start, "long", self_employed=True)
        self._job(person, job_start, "long", self_employed=False, llw=rng.random() < 0.5)

    def _hard_out_of_order(self, person: _Person, referral: ReferralMade) -> None:
        """Evidence published before its job start (the start was published late already)."""
        rng = self.rng
        job_start = self._job_start(person)
        job = self._job(person, job_start, "long", delay=0)
        if job.evidence and rng.random() < 0.7:
            # Publish the job start after its evidence: move its draft later.
            last = self._last_published(job)
            for draft in self.drafts:
                if draft.item.event is job.event:
                    draft.published_on = last + timedelta(days=rng.randint(1, 30))
                    late = job.event.model_copy(
                        update={"produced_at": _nine_am(draft.published_on)}
                    )
                    draft.item = draft.item._replace(event=late)

    def _hard_boundaries(self, person: _Person, referral: ReferralMade) -> None:
        """Earnings that meet the threshold to the penny or miss it by one; evidence ending
        on the outcome window's last day (counts) and the day after (does not)."""
        rng = self.rng
        contract = person.contract
        threshold = THRESHOLD_HOURS * rate_on(NLW, person.start_date)
        late = rng.random() < 0.5
        offset = rng.randint(300, 400) if late else rng.randint(10, 200)
        job = self._job(
            person,
            person.start_date + timedelta(days=offset),
            "short",
            self_employed=False,
            with_evidence=False,
        )
        window_last = person.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        first_end = job.event.job_start_date + timedelta(days=27)
        second_end = window_last if late else first_end + timedelta(days=28)
        if late and rng.random() < 0.5:
            second_end = window_last + timedelta(days=1)  # outside: no outcome
        part = rng.randint(threshold // 4, threshold // 2)
        short = rng.random() < 0.3
        for gross, end in ((threshold - part, first_end), (part - short, second_end)):
            begin = end - timedelta(days=27)
            hours = _from_hundredths(-(-_hundredths(job.event.weekly_hours) * 4))
            reported = end + timedelta(days=rng.randint(1, 10))
            self._emit(
                PROVIDER_EVIDENCE,
                reported,
                EvidenceSubmitted(
                    **self._stamp(reported),
                    provider_id=contract.provider_id,
                    placement_id=job.event.placement_id,
                    evidence_id=self._next_id("evd"),
                    kind=EvidenceKind.PAYSLIP,
                    period_start=begin,
                    period_end=end,
                    gross_earnings_pence=gross,
                    hours_worked=hours,
                    reported_on=reported,
                ),
            )

    def _hard_two_starts(self, person: _Person, referral: ReferralMade) -> None:
        """One person (same NINO) referred again, on another or the same contract, and
        started on an earlier date: that start stands (domain.md v3 §4). In turn, the
        earlier start is published after this start's job and evidence (so it displaces
        this start in publication order: its payments are reversed), or before it (so
        this start is already_started on arrival). Either way this start's job and
        evidence wait for a start that never comes, and only the earlier start is paid."""
        rng = self.rng
        late_job = self._job(person, self._job_start(person), "long", self_employed=False)
        earlier_on = person.start_date - timedelta(days=rng.randint(1, 40))
        holders = [c for c in DEFAULT_CONTRACTS if c.starts_from <= earlier_on <= c.starts_until]
        if not holders:
            return
        contract = CONTRACTS_BY_ID[rng.choice(holders).contract_id]
        referral_date = max(
            contract.starts_from, earlier_on - timedelta(days=rng.randint(0, MAX_START_LAG_DAYS))
        )
        displaces = self._in_turn("two_starts", ("displaces", "first")) == "displaces"
        published = self._later(self._last_published(late_job), 5, 60) if displaces else None
        other = self._referral(contract, referral_date, person.group).model_copy(
            update={
                **self._stamp(published or referral_date),
                "nino": self._written_otherwise(referral.nino),
                "date_of_birth": referral.date_of_birth,
            }
        )
        self._emit(PROVIDER_INTAKE, published or referral_date, other)
        self._start_event(other, earlier_on, published or earlier_on)
        earlier = _Person(contract, other.referral_id, earlier_on, None, person.group)
        job_start = self._job_start(earlier)
        delay = 0 if published is None else max(0, (published - job_start).days + 1)
        self._job(earlier, job_start, rng.choice(("long", "medium")), delay=delay)

    def _written_otherwise(self, nino: str) -> str:
        """The same NINO as a provider might type it: spaced, or in lower case."""
        if self.rng.random() < 0.5:
            return nino
        spaced = " ".join((nino[:2], nino[2:4], nino[4:6], nino[6:8], nino[8:]))
        return spaced.lower() if self.rng.random() < 0.5 else spaced

    def _hard_bad_events(self, person: _Person, referral: ReferralMade) -> None:
        """Events each rejected with one reason, and no-op re-sends, around a normal job."""
        rng = self.rng
        contract = person.contract
        job = self._job(person, self._job_start(person), "medium", self_employed=False)
        placement = job.event
        when = self._later(job.published_on, 1, 60)
        choice = self._in_turn(
            "bad_events",
            (
                "invalid_period",
                "reported_before_end",
                "kind_mismatch",
                "provider_mismatch",
                "job_end_before_start",
                "placement_reused",
                "second_leaver",
                "invalid_lower_version",
                "outside_window",
                *EXTRA_BAD_EVENTS,
            ),
        )
        period = (placement.job_start_date, placement.job_start_date + timedelta(days=6))
        base = EvidenceSubmitted(
            **self._stamp(when),
            provider_id=contract.provider_id,
            placement_id=placement.placement_id,
            evidence_id="x",
            kind=EvidenceKind.PAYSLIP,
            period_start=period[0],
            period_end=period[1],
            gross_earnings_pence=10_000,
            hours_worked=Decimal("10"),
            reported_on=max(when, period[1]),
        )
        if choice == "invalid_period":  # 36 days: rejected on arrival, even before its job
            self._resend(
                PROVIDER_EVIDENCE,
                placement.job_start_date,
                base,
                evidence_id=self._next_id("evd"),
                period_end=period[0] + timedelta(days=35),
                reported_on=period[0] + timedelta(days=40),
            )
        elif choice == "reported_before_end":
            self._resend(
                PROVIDER_EVIDENCE,
                when,
                base,
                evidence_id=self._next_id("evd"),
                reported_on=period[1] - timedelta(days=1),
            )
        elif choice == "kind_mismatch":
            self._resend(
                PROVIDER_EVIDENCE,
                when,
                base,
                evidence_id=self._next_id("evd"),
                kind=EvidenceKind.SELF_EMPLOYMENT,
            )
        elif choice == "provider_mismatch":  # on another provider's topic (v3 §9)
            other = rng.choice([c for c in CONTRACTS_BY_ID.values() if c is not contract])
            self._resend(
                PROVIDER_EVIDENCE,
                when,
                base,
                evidence_id=self._next_id("evd"),
                sender=other.provider_id,
            )
        elif choice == "job_end_before_start":
            self._emit(
                PROVIDER_PLACEMENTS,
                when,
                JobEnded(
                    **self._stamp(when),
                    provider_id=contract.provider_id,
                    placement_id=placement.placement_id,
                    end_date=placement.job_start_date - timedelta(days=1),
                ),
            )
        elif choice == "placement_reused":
            self._resend(PROVIDER_PLACEMENTS, when, placement)  # same content: no effect
            self._resend(
                PROVIDER_PLACEMENTS,
                when + timedelta(days=1),
                placement,
                weekly_hours=placement.weekly_hours + 1,
            )
        elif choice == "second_leaver":
            leave_date = self._later(self._last_published(job), 1, 30)
            leaver = self._leaver_event(person, leave_date, leave_date)
            self._resend(PROVIDER_INTAKE, leave_date + timedelta(days=2), leaver)  # no effect
            self._resend(
                PROVIDER_INTAKE,
                leave_date + timedelta(days=3),
                leaver,
                end_date=leave_date + timedelta(days=10),
            )
        elif choice == "invalid_lower_version" and job.evidence:
            ev = job.evidence[0]
            v2 = self._resend(
                PROVIDER_EVIDENCE, when, ev, version=2, reported_on=max(when, ev.period_end)
            )
            self._resend(
                PROVIDER_EVIDENCE,
                when + timedelta(days=1),
                v2,
                version=1,
                reported_on=ev.period_end - timedelta(days=1),
            )
        elif choice == "same_event_id" and job.evidence:
            ev = job.evidence[-1]
            again = ev.produced_at.date()  # same day, so the copy is byte for byte the same
            # The very same message again (an at-least-once producer): silently a no-op.
            self._emit(PROVIDER_EVIDENCE, again, ev)
            # The same event_id with other content: duplicate_event_id, changes nothing.
            self._emit(
                PROVIDER_EVIDENCE,
                again,
                ev.model_copy(update={"gross_earnings_pence": ev.gross_earnings_pence + 100}),
            )
        elif choice == "outside_window":
            for day in (455, 456):  # day 455 is the last day a job may start
                self._job(
                    person,
                    person.start_date + timedelta(days=day),
                    "short",
                    self_employed=False,
                    with_evidence=False,
                )

    def _bad_referrals(self, referral: ReferralMade) -> None:
        """Re-sends of a referral and referrals of other people, rejected at intake."""
        rng = self.rng
        when = referral.referral_date
        choice = self._in_turn(
            "bad_referrals",
            (
                "same_again",
                "conflicting",
                "not_working_age",
                "borough",
                "already_started",
                "start_before_referral",
                "provider_not_on_contract",
                "start_outside_contract",
                "leaver_before_start",
            ),
        )
        if choice == "same_again":  # the same content under a new event_id: no effect
            self._resend(PROVIDER_INTAKE, when + timedelta(days=1), referral)
        elif choice == "conflicting":
            self._resend(
                PROVIDER_INTAKE,
                when + timedelta(days=1),
                referral,
                referral_source=(
                    ReferralSource.NHS
                    if referral.referral_source is not ReferralSource.NHS
                    else ReferralSource.SELF
                ),
            )
        elif choice == "not_working_age":
            self._resend(
                PROVIDER_INTAKE,
                when,
                referral,
                referral_id=self._next_id("ref"),
                nino=self._nino(),
                date_of_birth=self._date_of_birth(when, rng.choice((15, 66, 70))),
            )
        elif choice == "borough":
            contract = CONTRACTS_BY_ID[referral.contract_id]
            other = rng.choice([r for r in BOROUGHS if r is not contract.sub_region])
            self._resend(
                PROVIDER_INTAKE,
                when,
                referral,
                referral_id=self._next_id("ref"),
                nino=self._nino(),
                borough=rng.choice(BOROUGHS[other]),
            )
        elif choice == "already_started" and self.idle_people:
            # Someone who started and never works is referred again and started again.
            earlier, started = self.idle_people.pop(0)
            again_on = started + timedelta(days=rng.randint(1, 60))
            contract = CONTRACTS_BY_ID[earlier.contract_id]
            if again_on + timedelta(days=MAX_START_LAG_DAYS) > contract.starts_until:
                return
            again = self._resend(
                PROVIDER_INTAKE,
                again_on,
                earlier,
                referral_id=self._next_id("ref"),
                referral_date=again_on,
            )
            self._emit(
                PROVIDER_INTAKE,
                again_on + timedelta(days=1),
                ProgrammeStarted(
                    **self._stamp(again_on + timedelta(days=1)),
                    provider_id=again.provider_id,
                    referral_id=again.referral_id,
                    start_date=again_on + timedelta(days=1),
                ),
            )
        elif choice == "start_before_referral":
            other = self._resend(
                PROVIDER_INTAKE,
                when,
                referral,
                referral_id=self._next_id("ref"),
                nino=self._nino(),
            )
            self._emit(
                PROVIDER_INTAKE,
                when,
                ProgrammeStarted(
                    **self._stamp(when),
                    provider_id=other.provider_id,
                    referral_id=other.referral_id,
                    start_date=when - timedelta(days=1),
                ),
            )
        else:
            self._more_bad_referrals(referral, choice)

    def _other_person(self, referral: ReferralMade, when: date) -> ReferralMade:
        """A new person's referral like ``referral``, referred on ``when``."""
        other: ReferralMade = self._resend(
            PROVIDER_INTAKE,
            when,
            referral,
            referral_id=self._next_id("ref"),
            nino=self._nino(),
            referral_date=when,
        )
        return other

    def _start_event(self, referral: ReferralMade, on: date, published: date) -> None:
        self._emit(
            PROVIDER_INTAKE,
            published,
            ProgrammeStarted(
                **self._stamp(published),
                provider_id=referral.provider_id,
                referral_id=referral.referral_id,
                start_date=on,
            ),
        )

    def _more_bad_referrals(self, referral: ReferralMade, choice: str) -> None:
        rng = self.rng
        when = referral.referral_date
        contract = CONTRACTS_BY_ID[referral.contract_id]
        if choice == "provider_not_on_contract":  # another provider refers to this contract
            holder = rng.choice([c for c in CONTRACTS_BY_ID.values() if c is not contract])
            self._resend(
                PROVIDER_INTAKE,
                when,
                referral,
                referral_id=self._next_id("ref"),
                nino=self._nino(),
                provider_id=holder.provider_id,
            )
        elif choice == "start_outside_contract":  # starts the day after the start period
            last = contract.starts_until
            other = self._other_person(referral, last - timedelta(days=rng.randint(0, 20)))
            self._start_event(other, last + timedelta(days=1), last + timedelta(days=1))
        elif choice == "leaver_before_start":  # invalid_period; the person stays on
            other = self._other_person(referral, when)
            on = when + timedelta(days=rng.randint(1, 20))
            self._start_event(other, on, on)
            self._emit(
                PROVIDER_INTAKE,
                on + timedelta(days=2),
                ProgrammeEnded(
                    **self._stamp(on + timedelta(days=2)),
                    provider_id=other.provider_id,
                    referral_id=other.referral_id,
                    end_date=on - timedelta(days=1),
                    reason="other_provision",
                ),
            )

    def _in_turn(self, name: str, choices: tuple[str, ...]) -> str:
        """Each of ``choices`` in turn, so that a small feed still has every one."""
        self.counters["turn:" + name] += 1
        return choices[(self.counters["turn:" + name] - 1) % len(choices)]

    def _job_start(self, person: _Person) -> date:
        return person.start_date + timedelta(days=self.rng.randint(10, 200))


@dataclass(frozen=True)
class Feed:
    """A generated feed: provider events in their natural publication order.

    ``items`` are sorted by publication date, then generation order, so each key's
    events are in the order a provider would send them.
    """

    participants: int
    seed: int
    items: tuple[FeedItem, ...]


def generate(
    participants: int, seed: int, start: date = DEFAULT_START, hard_share: float = 0.3
) -> Feed:
    """The feed of ``participants`` synthetic people (a share ``hard_share`` on hard paths).

    Referral dates fall from ``start`` (or the contract's first start date, if later)
    to the end of the third year after ``start``, inside each contract's start period.
    Everything derives from ``random.Random(seed)``: the same arguments give the same
    feed, byte for byte.
    """
    if participants < 0:
        raise ValueError("participants must be >= 0")
    if not 0 <= hard_share <= 1:
        raise ValueError("hard_share must be between 0 and 1")
    gen = _Generator(seed, start, hard_share)
    for _ in range(participants):
        gen.person()
    return Feed(participants, seed, tuple(draft.item for draft in sorted(gen.drafts)))


def generate_feed(
    participants: int, seed: int, start: date = DEFAULT_START, hard_share: float = 0.3
) -> list[FeedItem]:
    """The items of :func:`generate`, as a list."""
    return list(generate(participants, seed, start, hard_share).items)

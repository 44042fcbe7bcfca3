"""The rule book (domain.md v3), read independently of the services, for a feed's expectation.

:func:`expected` takes a feed's provider events (in any order that keeps each key's own
order, as the topics do) and says, per (contract, participant, milestone), the net
amount due, and which milestones stand, and how many events are rejected for each
reason. Nothing here imports ``services``: the tables are the feed's own
(:mod:`tools.feed.world`), written from domain.md. Events are judged as a *set*
(domain.md §10): only conflicts between events of one key are decided by their order.

Deliberately out of scope (the feed never produces them, so the model need not decide
them): events still unresolved when the hold time runs out (``unknown_*`` rejections),
schema errors, and evidence naming a withdrawn or rejected placement. The job starts and
evidence of a start that does not stand (v3 §4: not the person's earliest) are counted
as ``unresolved``: they wait for a start that never comes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind, MilestoneKind
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from tools.feed.world import (
    CONTRACTS_BY_ID,
    LLW,
    NINO_BAD_PREFIXES,
    NINO_FIRST,
    NINO_SECOND,
    NLW,
    OUTCOME_WINDOW_DAYS,
    SELF_EMPLOYMENT_DAYS,
    SUSTAINED_WEEKS,
    THRESHOLD_HOURS,
    FeedContract,
    age_on,
    sub_region_of,
)

DEVELOPMENT_KEY = "local-development-key-change-me"
PLACEMENT_WINDOW_DAYS = 456
MAX_EVIDENCE_DAYS = 35
HOURS_PER_DAY = 24
CLAIM_DAYS = 90
CLAIM_LAST_DAY = 700
UPLIFTED = frozenset({MilestoneKind.EARNINGS_OUTCOME, *SUSTAINED_WEEKS})


class PaymentKey(NamedTuple):
    """What finance nets payments by: contract, participant, milestone."""

    contract_id: str
    participant_id: str
    milestone: MilestoneKind


@dataclass(frozen=True)
class Standing:
    """A milestone that stands on the accepted events, and what it is worth now."""

    reached_on: date
    amount_pence: int  # 0 when not payable or priced at 0
    base_pence: int
    uplift_pence: int
    not_payable: str | None = None  # "claim_late" / "superseded"
    placement_id: str | None = None


class OnTopicOf(NamedTuple):
    """A provider event published on the topic of ``provider``, not of the provider it
    names: ``provider_mismatch`` (§9), and no effect on the named provider's entities."""

    event: Any
    provider: str


@dataclass(frozen=True)
class Expectation:
    """What a feed should produce, per payment key (see :func:`expected`)."""

    standing: Mapping[PaymentKey, Standing]
    rejections: Mapping[str, int]  # reason -> count, every rejection topic together
    referral_of: Mapping[str, str]  # participant_id -> referral_id (for messages)
    unresolved: int = 0  # events that wait for the hold time (the feed's: a losing start's)
    accepted: Mapping[str, int] = field(default_factory=dict)  # what the services announce

    @property
    def milestones(self) -> dict[PaymentKey, int]:
        """Milestones that stand, as reached-minus-revoked counts (1 each)."""
        return dict.fromkeys(self.standing, 1)

    @property
    def due(self) -> dict[PaymentKey, int]:
        """Net amount due per key, for the keys that are owed anything."""
        return {k: s.amount_pence for k, s in self.standing.items() if s.amount_pence}

    @property
    def net_pence(self) -> int:
        return sum(self.due.values())


# ------------------------------------------------------------------------------- rules


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def rate_on(table: Iterable[tuple[date, int]], on: date) -> int | None:
    found: int | None = None
    for effective, pence in table:
        if effective <= on:
            found = pence
    return found


def normalise_nino(raw: str) -> str | None:
    """domain.md §4: the normalised NINO, or None when it is not valid."""
    n = raw.replace(" ", "").upper()
    if len(n) != 9 or not (n[2:8].isascii() and n[2:8].isdigit()) or n[8] not in "ABCD":
        return None
    if n[0] not in NINO_FIRST or n[1] not in NINO_SECOND or n[:2] in NINO_BAD_PREFIXES:
        return None
    return n


def participant_id(normalised_nino: str, key: str) -> str:
    """domain.md §4: keyed HMAC-SHA256 of the normalised NINO, as hex."""
    return hmac.new(key.encode(), normalised_nino.encode(), hashlib.sha256).hexdigest()


def hundredths(value: Decimal) -> int | None:
    scaled = Fraction(value) * 100
    return scaled.numerator if scaled.denominator == 1 else None


def _content(event: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = event.model_dump(exclude={"event_id", "produced_at"})
    return dumped


# ----------------------------------------------------------------------------- records


@dataclass
class _Person:
    referral: ReferralMade
    nino: str
    start: date | None = None
    leave: date | None = None

    @property
    def contract(self) -> FeedContract:
        return CONTRACTS_BY_ID[self.referral.contract_id]


@dataclass
class _Evidence:
    owner_provider: str
    placement_id: str
    current: EvidenceSubmitted
    retracted: bool = False


Key = tuple[str, str]
"""(provider_id, id): referral, placement and evidence ids are the sender's own (§9 v3),
so another provider's event naming an id names another entity (unknown: unresolved)."""


@dataclass
class _State:
    key: str
    reasons: Counter[str] = field(default_factory=Counter)
    unresolved: int = 0
    referrals: dict[Key, _Person] = field(default_factory=dict)
    placements: dict[Key, JobStarted] = field(default_factory=dict)
    evidence: dict[Key, _Evidence] = field(default_factory=dict)
    job_ends: set[Key] = field(default_factory=set)

    def reject(self, reason: str) -> None:
        self.reasons[reason] += 1


def _referral(state: _State, event: ReferralMade) -> None:
    nino = normalise_nino(event.nino)
    contract = CONTRACTS_BY_ID.get(event.contract_id)
    if nino is None:
        return state.reject("invalid_nino")
    age = age_on(event.date_of_birth, event.referral_date)
    if not 16 <= age < 66:
        return state.reject("not_working_age")
    if contract is None or sub_region_of(event.borough) is not contract.sub_region:
        return state.reject("borough_outside_contract")
    if contract.provider_id != event.provider_id:
        return state.reject("provider_not_on_contract")
    known = state.referrals.get((event.provider_id, event.referral_id))
    if known is not None:
        if _content(known.referral) != _content(event):
            state.reject("conflicting_referral")
        return None
    state.referrals[(event.provider_id, event.referral_id)] = _Person(event, nino)
    return None


def _start(state: _State, event: ProgrammeStarted) -> None:
    person = state.referrals.get((event.provider_id, event.referral_id))
    if person is None:
        state.unresolved += 1
        return
    if person.start is not None:
        if person.start != event.start_date:
            state.reject("already_started")
        return None
    contract = person.contract
    if event.start_date < person.referral.referral_date:
        return state.reject("start_before_referral")
    if not contract.starts_from <= event.start_date <= contract.starts_until:
        return state.reject("start_outside_contract")
    person.start = event.start_date
    return None


def _one_start_per_person(state: _State) -> None:
    """domain.md v3 §4: of a person's valid starts, the earliest start date stands (ties:
    earlier referral date, then lower referral id, the provider id first, §9); every
    other is already_started, whichever arrived first (a later-arriving earlier start
    displaces the other: the same in the end)."""
    starts: dict[str, list[_Person]] = defaultdict(list)
    for person in state.referrals.values():
        if person.start is not None:
            starts[person.nino].append(person)
    for people in starts.values():
        people.sort(
            key=lambda p: (
                p.start,
                p.referral.referral_date,
                p.referral.provider_id,
                p.referral.referral_id,
            )
        )
        for other in people[1:]:
            other.start = None
            state.reject("already_started")


def _end(state: _State, event: ProgrammeEnded) -> None:
    person = state.referrals.get((event.provider_id, event.referral_id))
    if person is None or person.start is None:
        state.unresolved += 1
        return
    if event.end_date < person.start:
        return state.reject("invalid_period")
    if person.leave is not None:
        if person.leave != event.end_date:
            state.reject("after_programme_end")
        return None
    person.leave = event.end_date
    return None


def _job_invalid(event: JobStarted) -> bool:
    hours = hundredths(event.weekly_hours)
    if hours is None or not 0 < hours <= 100 * 100:
        return True
    if event.employment_type is EmploymentType.EMPLOYED:
        if event.hourly_wage_pence is None or event.hourly_wage_pence <= 0:
            return True
    elif event.hourly_wage_pence is not None:
        return True
    return rate_on(NLW, event.job_start_date) is None or rate_on(LLW, event.job_start_date) is None


def _job_start(state: _State, event: JobStarted) -> None:
    if _job_invalid(event):  # needs nothing else: checked before any hold (§10)
        return state.reject("invalid_job")
    person = state.referrals.get((event.provider_id, event.referral_id))
    if person is None or person.start is None:
        state.unresolved += 1
        return None
    if person.leave is not None and event.job_start_date > person.leave:
        # Rejected on arrival, or withdrawn when a later leaver arrives (§5): the same.
        return state.reject("after_programme_end")
    days = (event.job_start_date - person.start).days
    if not 0 <= days < PLACEMENT_WINDOW_DAYS:
        return state.reject("placement_outside_window")
    known = state.placements.get((event.provider_id, event.placement_id))
    if known is not None:
        if _content(known) != _content(event):
            state.reject("invalid_job")
        return None
    state.placements[(event.provider_id, event.placement_id)] = event
    return None


def _job_end(state: _State, event: JobEnded) -> None:
    job = state.placements.get((event.provider_id, event.placement_id))
    if job is None:
        state.unresolved += 1
        return
    if event.end_date < job.job_start_date:
        return state.reject("invalid_job")
    state.job_ends.add((event.provider_id, event.placement_id))
    return None


def _evidence(state: _State, event: EvidenceSubmitted) -> None:
    days = (event.period_end - event.period_start).days + 1
    if not 1 <= days <= MAX_EVIDENCE_DAYS:
        return state.reject("invalid_period")
    worked = hundredths(event.hours_worked)
    if (
        event.reported_on < event.period_end
        or worked is None
        or worked < 0
        or event.gross_earnings_pence < 0
        or worked > HOURS_PER_DAY * 100 * days  # v3 §6: at most 24 hours a day of the period
    ):
        return state.reject("invalid_evidence")
    job = state.placements.get((event.provider_id, event.placement_id))
    if job is None:
        state.unresolved += 1
        return None
    self_employed = job.employment_type is EmploymentType.SELF_EMPLOYED
    if (event.kind is EvidenceKind.SELF_EMPLOYMENT) != self_employed:
        return state.reject("invalid_evidence")
    known = state.evidence.get((event.provider_id, event.evidence_id))
    if known is None:
        state.evidence[(event.provider_id, event.evidence_id)] = _Evidence(
            event.provider_id, job.placement_id, event
        )
        return None
    if known.placement_id != event.placement_id:
        return state.reject("invalid_evidence")
    if not known.retracted and event.version > known.current.version:
        known.current = event
    return None


def _retraction(state: _State, event: EvidenceRetracted) -> None:
    known = state.evidence.get((event.provider_id, event.evidence_id))
    if known is None:
        state.unresolved += 1
        return
    known.retracted = True
    return None


# -------------------------------------------------------------------------- milestones


def _sundays_in_work(evidence: list[EvidenceSubmitted], minimum: int) -> list[date]:
    """Sundays of the calendar weeks whose summed weekly hours reach ``minimum`` (§6, §9)."""
    per_week: dict[date, Fraction] = defaultdict(Fraction)
    for ev in evidence:
        days = (ev.period_end - ev.period_start).days + 1
        weekly = Fraction(ev.hours_worked) * 7 / days
        sunday = ev.period_start + timedelta(days=6 - ev.period_start.weekday())
        while sunday - timedelta(days=6) <= ev.period_end:
            per_week[sunday] += weekly
            sunday += timedelta(days=7)
    return sorted(s for s, hours in per_week.items() if hours >= minimum)


def _pays_llw(job: JobStarted) -> bool:
    if job.hourly_wage_pence is None:
        return False
    llw = rate_on(LLW, job.job_start_date)
    return llw is not None and job.hourly_wage_pence >= llw


def _below_minimum(job: JobStarted) -> bool:
    if job.hourly_wage_pence is None:
        return False
    nlw = rate_on(NLW, job.job_start_date)
    return nlw is not None and job.hourly_wage_pence < nlw


class _Reached(NamedTuple):
    on: date
    job: JobStarted | None  # the job whose LLW flag decides the uplift
    not_payable: str | None = None


def _milestones(
    person: _Person, jobs: list[JobStarted], evidence: list[EvidenceSubmitted]
) -> dict[MilestoneKind, _Reached]:
    assert person.start is not None
    start = person.start
    window_end = start + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
    if person.leave is not None:
        window_end = min(window_end, person.leave)
    by_id = {j.placement_id: j for j in jobs}
    reached: dict[MilestoneKind, _Reached] = {}
    first_job = min(jobs, key=lambda j: (j.job_start_date, j.placement_id), default=None)
    if first_job is not None:
        reached[MilestoneKind.JOB_START] = _Reached(first_job.job_start_date, first_job)
    counting = sorted(
        (
            ev
            for ev in evidence
            if start <= ev.period_end <= window_end
            and ev.period_end >= by_id[ev.placement_id].job_start_date
        ),
        key=lambda ev: (ev.period_end, ev.evidence_id),
    )
    earning = [ev for ev in counting if ev.gross_earnings_pence > 0]
    if earning:
        reached[MilestoneKind.FIRST_EARNINGS] = _Reached(earning[0].period_end, None)
    employed = [
        ev for ev in counting if by_id[ev.placement_id].employment_type is EmploymentType.EMPLOYED
    ]
    nlw = rate_on(NLW, start)
    assert nlw is not None
    total = 0
    for ev in employed:
        total += ev.gross_earnings_pence
        if total >= THRESHOLD_HOURS * nlw:
            reached[MilestoneKind.EARNINGS_OUTCOME] = _Reached(
                ev.period_end, by_id[ev.placement_id]
            )
            break
    covered: dict[date, list[EvidenceSubmitted]] = defaultdict(list)
    for ev in counting:
        if ev.kind is EvidenceKind.SELF_EMPLOYMENT:
            day = max(ev.period_start, by_id[ev.placement_id].job_start_date, start)
            while day <= min(ev.period_end, window_end):
                covered[day].append(ev)
                day += timedelta(days=1)
    if len(covered) >= SELF_EMPLOYMENT_DAYS:
        day = sorted(covered)[SELF_EMPLOYMENT_DAYS - 1]
        completing = min(covered[day], key=lambda ev: (ev.reported_on, ev.evidence_id))
        on_time = completing.reported_on <= day + timedelta(days=CLAIM_DAYS) and (
            completing.reported_on <= start + timedelta(days=CLAIM_LAST_DAY)
        )
        reached[MilestoneKind.SELF_EMPLOYMENT_OUTCOME] = _Reached(
            day, None, None if on_time else "claim_late"
        )
    weeks = [
        s
        for s in _sundays_in_work(employed, person.contract.weekly_hours_min)
        if start <= s <= window_end
    ]
    for kind, needed in SUSTAINED_WEEKS.items():
        if len(weeks) >= needed:
            reached[kind] = _Reached(weeks[needed - 1], first_job)
    return reached


def _price(
    contract: FeedContract, group: EligibilityGroup, kind: MilestoneKind, reached: _Reached
) -> tuple[int, int]:
    base = contract.price(group, kind)
    uplift = 0
    if kind in UPLIFTED and reached.job is not None and _pays_llw(reached.job):
        uplift = round_half_up(base * contract.llw_uplift_percent, 100)
    return base, uplift


def _settle(
    person: _Person, pid: str, reached: dict[MilestoneKind, _Reached]
) -> dict[PaymentKey, Standing]:
    contract = person.contract
    group = person.referral.eligibility_group
    priced = {kind: _price(contract, group, kind, r) for kind, r in reached.items()}
    # §7: at most one of the two outcomes is paid, the one reached first (earnings on a
    # tie), compared between those that would otherwise be paid.
    outcomes = [
        kind
        for kind in (MilestoneKind.EARNINGS_OUTCOME, MilestoneKind.SELF_EMPLOYMENT_OUTCOME)
        if kind in reached and reached[kind].not_payable is None and priced[kind][0] > 0
    ]
    superseded: set[MilestoneKind] = set()
    if len(outcomes) == 2:
        earnings_on = reached[MilestoneKind.EARNINGS_OUTCOME].on
        self_on = reached[MilestoneKind.SELF_EMPLOYMENT_OUTCOME].on
        if earnings_on <= self_on:
            superseded.add(MilestoneKind.SELF_EMPLOYMENT_OUTCOME)
        else:
            superseded.add(MilestoneKind.EARNINGS_OUTCOME)
    out: dict[PaymentKey, Standing] = {}
    for kind, r in reached.items():
        base, uplift = priced[kind]
        not_payable = r.not_payable or ("superseded" if kind in superseded else None)
        amount = 0 if not_payable else base + uplift
        out[PaymentKey(contract.contract_id, pid, kind)] = Standing(
            reached_on=r.on,
            amount_pence=amount,
            base_pence=base,
            uplift_pence=uplift,
            not_payable=not_payable,
            placement_id=r.job.placement_id if r.job is not None else None,
        )
    return out


# ------------------------------------------------------------------------------- entry


def expected(events: Iterable[Any], participant_key: str = DEVELOPMENT_KEY) -> Expectation:
    """What the pipeline should make of ``events`` (provider events, each key in order;
    an :class:`OnTopicOf` for one published on another provider's topic).

    Intake events are read first, then job starts and ends, then evidence: the result of
    domain.md v3 does not depend on the order between topics, only within a key.
    """
    state = _State(participant_key)
    intake: list[Any] = []
    placements: list[Any] = []
    evidence: list[Any] = []
    seen: dict[Any, dict[str, Any]] = {}  # (topic's provider, event_id) -> content (§9, §10)
    for sent in events:
        event, topic_provider = sent if isinstance(sent, OnTopicOf) else (sent, sent.provider_id)
        content = event.model_dump()
        first = seen.setdefault((topic_provider, event.event_id), content)
        if first is not content:
            if first != content:
                state.reject("duplicate_event_id")
            continue  # the same message again: no effect
        if topic_provider != event.provider_id:
            state.reject("provider_mismatch")
            continue
        if isinstance(event, ReferralMade | ProgrammeStarted | ProgrammeEnded):
            intake.append(event)
        elif isinstance(event, JobStarted | JobEnded):
            placements.append(event)
        else:
            evidence.append(event)
    # A start waits for its referral, a leaver for its start, a job end for its job,
    # evidence for its placement (held, §6 "Order"), so each kind is applied after what it
    # needs; each kind keeps its own (topic) order.
    for event in intake:
        if isinstance(event, ReferralMade):
            _referral(state, event)
    for event in intake:
        if isinstance(event, ProgrammeStarted):
            _start(state, event)
    _one_start_per_person(state)
    for event in intake:
        if isinstance(event, ProgrammeEnded):
            _end(state, event)
    for event in placements:
        if isinstance(event, JobStarted):
            _job_start(state, event)
    for event in placements:
        if isinstance(event, JobEnded):
            _job_end(state, event)
    for event in evidence:
        if isinstance(event, EvidenceSubmitted):
            _evidence(state, event)
    for event in evidence:
        if isinstance(event, EvidenceRetracted):
            _retraction(state, event)
    jobs_of: dict[Key, list[JobStarted]] = defaultdict(list)
    for job in state.placements.values():
        jobs_of[(job.provider_id, job.referral_id)].append(job)
    evidence_of: dict[Key, list[EvidenceSubmitted]] = defaultdict(list)
    for (provider, _), ev in state.evidence.items():
        if not ev.retracted:
            job = state.placements[(provider, ev.placement_id)]
            evidence_of[(provider, job.referral_id)].append(ev.current)
    standing: dict[PaymentKey, Standing] = {}
    referral_of: dict[str, str] = {}
    for referral, person in state.referrals.items():
        if person.start is None:
            continue
        pid = participant_id(person.nino, participant_key)
        referral_of[pid] = referral[1]
        reached = _milestones(person, jobs_of[referral], evidence_of[referral])
        standing.update(_settle(person, pid, reached))
    started = [p for p in state.referrals.values() if p.start is not None]
    jobs = list(state.placements.values())
    accepted = {
        "referrals": len(state.referrals),
        "starts": len(started),
        "leavers": sum(1 for p in started if p.leave is not None),
        "placements": len(jobs),
        "placements_pay_llw": sum(1 for j in jobs if _pays_llw(j)),
        "placements_below_minimum_wage": sum(1 for j in jobs if _below_minimum(j)),
        "placements_ended": len(state.job_ends),
    }
    return Expectation(
        standing=standing,
        rejections=dict(sorted(state.reasons.items())),
        referral_of=referral_of,
        unresolved=state.unresolved,
        accepted=accepted,
    )

"""The facts the sustainment rules work on (domain.md §6): window, placements, evidence.

Pure values: dates, integer pence and integer hundredths of an hour. No I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from schemas.common import EmploymentType, EvidenceKind, MilestoneKind, RejectionReason
from services.common.pricing import Price

OUTCOME_WINDOW_DAYS = 638
"""456 days on programme + 182 days of in-work support."""

THRESHOLD_HOURS = 416
"""The earnings threshold is this many hours at the NLW in force on the programme start."""


@dataclass(frozen=True)
class ParticipantWindow:
    """One participant's programme dates and the contract figures the rules need."""

    start_date: date
    leaver_date: date | None
    nlw_pence_at_start: int
    weekly_hours_min_hundredths: int

    @property
    def earnings_threshold_pence(self) -> int:
        """T = 416 hours x the NLW in force on the programme start."""
        return THRESHOLD_HOURS * self.nlw_pence_at_start

    @cached_property
    def last_day(self) -> date:
        """The last day of the outcome window (inclusive): day 637, or the leaver date.
        Kept once worked out: every piece of evidence is checked against it."""
        end = self.start_date + timedelta(days=OUTCOME_WINDOW_DAYS - 1)
        if self.leaver_date is not None and self.leaver_date < end:
            return self.leaver_date
        return end

    def allows_job_start(self, day: date) -> bool:
        """A job may start on the leaver date, not after it (§5, §9 "Dates")."""
        return self.leaver_date is None or day <= self.leaver_date

    def contains(self, day: date) -> bool:
        """``S <= day < S + 638 days`` and, for a leaver, ``day <= L``."""
        return self.start_date <= day <= self.last_day


@dataclass(frozen=True)
class PlacementFacts:
    placement_id: str
    job_start_date: date
    employment_type: EmploymentType
    pays_llw: bool


@dataclass(frozen=True)
class EvidenceFacts:
    """The current accepted version of one ``evidence_id`` (retracted evidence is absent)."""

    evidence_id: str
    placement_id: str
    kind: EvidenceKind
    period_start: date
    period_end: date
    gross_earnings_pence: int
    hours_hundredths: int
    reported_on: date

    @property
    def period_days(self) -> int:
        """Days in the period, both ends included."""
        return (self.period_end - self.period_start).days + 1


@dataclass(frozen=True)
class MilestoneFacts:
    """A milestone as computed from the whole evidence set, with its lineage.

    ``evidence_ids`` are sorted by plain string comparison. ``payable``,
    ``not_payable_reason`` and ``amount_due_pence`` are the money the milestone is due
    under its contract (``money.settle``; 0 until settled); ``price`` is what the
    contract pays for it (None: nothing), decided there too and carried to payments.
    """

    milestone: MilestoneKind
    reached_on: date
    job_pays_llw: bool
    placement_id: str | None
    evidence_ids: tuple[str, ...]
    payable: bool = True
    not_payable_reason: RejectionReason | None = None
    amount_due_pence: int = 0
    price: Price | None = None

    @property
    def money(self) -> tuple[int, bool, RejectionReason | None]:
        """What decides the payment: a change of any of these is paid again (§7)."""
        return (self.amount_due_pence, self.payable, self.not_payable_reason)


def kind_fits_employment(kind: EvidenceKind, employment_type: EmploymentType) -> bool:
    """``self_employment`` evidence names a self-employed placement, other kinds an employed one."""
    if kind is EvidenceKind.SELF_EMPLOYMENT:
        return employment_type is EmploymentType.SELF_EMPLOYED
    return employment_type is EmploymentType.EMPLOYED


def first_placement(placements: Sequence[PlacementFacts]) -> PlacementFacts | None:
    """The earliest job start; ties broken by the lowest placement_id."""
    if not placements:
        return None
    return min(placements, key=lambda p: (p.job_start_date, p.placement_id))

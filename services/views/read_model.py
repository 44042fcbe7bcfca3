"""What the read API returns: frozen values, one per thing a page shows (domain.md §11).

Money is integer pence, hours ``Decimal``; dates are ``date``. Nothing here carries a
NINO or a date of birth: they never leave intake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from schemas.common import MilestoneKind
from services.views.projections import Outlook

MAX_PAGE_SIZE = 200
"""A page never holds more rows than this, whatever is asked."""
MAX_EXPORT_ROWS = 100_000
"""A CSV export stops here (a provider's whole caseload fits)."""
MAX_SEARCH = 64


class Stage(StrEnum):
    """Where a participant stands (§11): started, or in work (a confirmed placement not
    withdrawn). Milestones reached are listed beside it (they are not a ladder)."""

    STARTED = "started"
    IN_WORK = "in_work"


class CaseloadSort(StrEnum):
    REFERRAL_ID = "referral_id"
    START_DATE = "start_date"
    NEXT_PROJECTED_ON = "next_projected_on"
    EVIDENCE_DUE_SINCE = "evidence_due_since"
    WINDOW_LAST_DAY = "window_last_day"
    """Fewest days left in the outcome window first."""


@dataclass(frozen=True)
class CaseloadFilters:
    """What the adviser narrowed the list to (all optional; they combine with AND)."""

    stage: Stage | None = None
    milestone: MilestoneKind | None = None
    """Participants who have reached this milestone (standing, not revoked)."""
    evidence_due: bool = False
    attention: bool = False
    """Only participants with rejected (or withdrawn) events of theirs."""
    left: bool | None = None
    """True: leavers only; False: current participants only; None: both."""
    search: str | None = None
    """A referral_id (exact, or its beginning) or a participant_id (exact)."""


@dataclass(frozen=True)
class PageRequest:
    number: int = 1
    size: int = 50

    def bounded(self) -> PageRequest:
        return PageRequest(max(1, self.number), max(1, min(self.size, MAX_PAGE_SIZE)))

    @property
    def offset(self) -> int:
        b = self.bounded()
        return (b.number - 1) * b.size


@dataclass(frozen=True)
class CurrentJob:
    """An open placement (confirmed, not ended, not withdrawn); the earliest if several."""

    placement_id: str
    employer_name: str | None
    sic_sector: str | None
    employment_type: str
    job_start_date: date
    hourly_wage_pence: int | None
    weekly_hours: Decimal
    pays_llw: bool
    below_minimum_wage: bool


@dataclass(frozen=True)
class NextMilestone:
    milestone: MilestoneKind
    projected_on: date | None
    outlook: Outlook
    """projected (show the date), overdue (evidence needed), not_on_track."""


@dataclass(frozen=True)
class Attention:
    """An event of the participant's that a service rejected (or a withdrawn job), with
    what the provider can do about it."""

    rejected_at: datetime
    reason: str
    message: str
    what_to_do: str
    event_type: str | None
    source_event_id: str | None
    rejection_event_id: str


@dataclass(frozen=True)
class CaseloadRow:
    participant_id: str
    referral_id: str
    contract_id: str
    borough: str
    eligibility_group: str
    age_band: str
    referral_source: str
    start_date: date
    left_on: date | None
    leaver_reason: str | None
    stage: Stage
    milestones_reached: tuple[MilestoneKind, ...]
    current_job: CurrentJob | None
    next_milestone: NextMilestone | None
    """None: no projection (left, outside the window, no open placement, nothing left)."""
    window_days_left: int | None
    """Days after today to the window's last day; None outside the window."""
    evidence_due_since: date | None
    """Set only when evidence is due today (§11)."""
    attention: tuple[Attention, ...] = ()


@dataclass(frozen=True)
class CaseloadPage:
    rows: tuple[CaseloadRow, ...]
    total: int
    """Rows matching the filters, across all pages."""
    page: PageRequest
    today: date


class TimelineKind(StrEnum):
    STARTED = "started"
    LEFT = "left"
    JOB_STARTED = "job_started"
    JOB_ENDED = "job_ended"
    JOB_WITHDRAWN = "job_withdrawn"
    EVIDENCE = "evidence"
    EVIDENCE_RETRACTED = "evidence_retracted"
    MILESTONE_REACHED = "milestone_reached"
    MILESTONE_REVOKED = "milestone_revoked"
    MILESTONE_NOT_PAID = "milestone_not_paid"
    PAYMENT = "payment"
    REVERSAL = "reversal"
    REJECTED = "rejected"


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened. ``on`` is the business date (start date, job start,
    evidence period end, reached date...); ``at`` when the platform recorded it.
    ``details`` are plain label -> value pairs for display; ``links`` name related
    entries (a reversal names its payment, a payment its reversal, a milestone its
    evidence)."""

    on: date
    at: datetime
    kind: TimelineKind
    title: str
    details: tuple[tuple[str, str], ...] = ()
    ref: str | None = None
    """This entry's own id (payment_id, placement_id, evidence_id:version, ...)."""
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timeline:
    participant: CaseloadRow
    entries: tuple[TimelineEntry, ...]
    """In time order: (on, at)."""
    projections: tuple[NextMilestone, ...] = field(default=())
    """Every projected milestone (§11), not only the next."""


@dataclass(frozen=True)
class FunnelRow:
    """One participant, for the commissioners' funnel (they aggregate)."""

    participant_id: str
    provider_id: str
    contract_id: str
    sub_region: str
    borough: str
    eligibility_group: str
    age_band: str
    referral_source: str
    start_date: date
    ever_in_work: bool
    milestones: tuple[tuple[MilestoneKind, date], ...]
    """Standing milestones with the date each was first reached."""


@dataclass(frozen=True)
class MinimumWageRow:
    """A confirmed employed placement paid below the NLW (not withdrawn)."""

    provider_id: str
    placement_id: str
    participant_id: str
    sub_region: str
    borough: str
    age_band: str
    employer_name: str | None
    sic_sector: str | None
    job_start_date: date
    hourly_wage_pence: int
    weekly_hours: Decimal


@dataclass(frozen=True)
class PaymentLine:
    """A payment or reversal with the provider's referral_id beside the participant_id."""

    payment_id: str
    provider_id: str
    contract_id: str
    contract_version: str
    participant_id: str
    referral_id: str | None
    milestone: MilestoneKind
    occurrence: int
    reached_on: date
    amount_pence: int
    base_pence: int
    uplift_pence: int
    reverses: str | None
    issued_at: datetime

"""Pure rules of the sustainment service: in-work evidence to milestones (domain.md §6).

No I/O, no clock: the standard library and ``schemas.common`` only. The rules live in
small modules; this module is the public API.
"""

from __future__ import annotations

from .counting import CountingEvidence, counting_evidence
from .evidence_rules import (
    MAX_PERIOD_DAYS,
    EvidenceOwner,
    KnownPlacement,
    Rejection,
    accept_version,
    check_evidence,
    check_evidence_alone,
    decide_evidence,
    decide_retraction,
    evidence_facts,
    evidence_subject,
    hours_to_hundredths,
)
from .facts import (
    OUTCOME_WINDOW_DAYS,
    THRESHOLD_HOURS,
    EvidenceFacts,
    MilestoneFacts,
    ParticipantWindow,
    PlacementFacts,
    first_placement,
    kind_fits_employment,
)
from .milestones import compute_milestones, earnings_outcome, first_earnings, job_start
from .money import settle
from .reconcile import MilestoneChange, RecordedMilestone, reconcile, recorded_after
from .self_employment import (
    CLAIM_DAYS_AFTER_REACHED,
    CLAIM_LAST_PROGRAMME_DAY,
    SELF_EMPLOYMENT_DAYS,
    self_employment_outcome,
)
from .weeks import SUSTAINED_TARGETS, in_work_weeks, monday_of, sustained_milestones

__all__ = [
    "CLAIM_DAYS_AFTER_REACHED",
    "CLAIM_LAST_PROGRAMME_DAY",
    "MAX_PERIOD_DAYS",
    "OUTCOME_WINDOW_DAYS",
    "SELF_EMPLOYMENT_DAYS",
    "SUSTAINED_TARGETS",
    "THRESHOLD_HOURS",
    "CountingEvidence",
    "EvidenceFacts",
    "EvidenceOwner",
    "KnownPlacement",
    "MilestoneChange",
    "MilestoneFacts",
    "ParticipantWindow",
    "PlacementFacts",
    "RecordedMilestone",
    "Rejection",
    "accept_version",
    "check_evidence",
    "check_evidence_alone",
    "compute_milestones",
    "counting_evidence",
    "decide_evidence",
    "decide_retraction",
    "earnings_outcome",
    "evidence_facts",
    "evidence_subject",
    "first_earnings",
    "first_placement",
    "hours_to_hundredths",
    "in_work_weeks",
    "job_start",
    "kind_fits_employment",
    "monday_of",
    "reconcile",
    "recorded_after",
    "self_employment_outcome",
    "settle",
    "sustained_milestones",
]

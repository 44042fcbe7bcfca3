"""A caseload row as a person reads it: one text per column, shared by the table and the
CSV export so that the export is exactly what the page shows. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from schemas.common import MilestoneKind
from services.views.projections import Outlook
from services.views.read_model import CaseloadRow, CurrentJob, NextMilestone, Stage
from services.web.formatting import hours, label, short_date, wage

COLUMNS: Final = (
    "Referral ID",
    "Participant ID",
    "Borough",
    "Group",
    "Age band",
    "Stage",
    "Current job",
    "Next milestone",
    "Projected date",
    "Days left in window",
    "Evidence due since",
    "Held or rejected",
)

MILESTONE_NAMES: Final = {
    MilestoneKind.JOB_START: "Job start",
    MilestoneKind.FIRST_EARNINGS: "First earnings",
    MilestoneKind.EARNINGS_OUTCOME: "Earnings outcome",
    MilestoneKind.SELF_EMPLOYMENT_OUTCOME: "Self-employment outcome",
    MilestoneKind.SUSTAINED_13W: "Sustained 13 weeks",
    MilestoneKind.SUSTAINED_26W: "Sustained 26 weeks",
    MilestoneKind.SUSTAINED_52W: "Sustained 52 weeks",
}
OVERDUE_TEXT: Final = "Overdue: evidence needed"
NOT_ON_TRACK_TEXT: Final = "Not on track"


@dataclass(frozen=True)
class CaseloadLine:
    row: CaseloadRow
    texts: tuple[str, ...]
    """One per column of :data:`COLUMNS`."""

    @property
    def cells(self) -> dict[str, str]:
        return dict(zip(COLUMNS, self.texts, strict=True))


def stage_text(row: CaseloadRow) -> str:
    parts = ["In work" if row.stage is Stage.IN_WORK else "Started"]
    parts += [MILESTONE_NAMES[m] for m in row.milestones_reached if m in MILESTONE_NAMES]
    if row.left_on is not None:
        reason = f" ({row.leaver_reason})" if row.leaver_reason else ""
        parts.append(f"Left {short_date(row.left_on)}{reason}")
    return ", ".join(parts)


def job_text(job: CurrentJob | None) -> str:
    if job is None:
        return ""
    self_employed = job.employment_type == "self_employed"
    pay = "Self-employed" if self_employed else wage(job.hourly_wage_pence)
    flags = []
    if job.pays_llw:
        flags.append("London Living Wage")
    if job.below_minimum_wage:
        flags.append("Below minimum wage")
    text = f"{pay}, {hours(job.weekly_hours)} hours a week"
    return f"{text} ({', '.join(flags)})" if flags else text


def projected_text(next_milestone: NextMilestone | None) -> str:
    if next_milestone is None:
        return ""
    if next_milestone.outlook is Outlook.OVERDUE:
        return OVERDUE_TEXT
    if next_milestone.outlook is Outlook.NOT_ON_TRACK:
        return NOT_ON_TRACK_TEXT
    return short_date(next_milestone.projected_on)


def held_text(row: CaseloadRow) -> str:
    if not row.attention:
        return ""
    latest = row.attention[0]
    more = f" (and {len(row.attention) - 1} more)" if len(row.attention) > 1 else ""
    return f"{label(latest.reason)}: {latest.what_to_do}{more}"


def caseload_line(row: CaseloadRow) -> CaseloadLine:
    milestone = row.next_milestone
    return CaseloadLine(
        row,
        (
            row.referral_id,
            row.participant_id,
            row.borough,
            label(row.eligibility_group),
            row.age_band,
            stage_text(row),
            job_text(row.current_job),
            "" if milestone is None else MILESTONE_NAMES[milestone.milestone],
            projected_text(milestone),
            "" if row.window_days_left is None else str(row.window_days_left),
            short_date(row.evidence_due_since),
            held_text(row),
        ),
    )


def caseload_lines(rows: Sequence[CaseloadRow]) -> list[CaseloadLine]:
    return [caseload_line(r) for r in rows]

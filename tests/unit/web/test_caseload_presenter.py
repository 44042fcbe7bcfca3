"""A caseload row as it reads in the table and the CSV (one text per column)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from schemas.common import MilestoneKind
from services.views.projections import Outlook
from services.views.read_model import Attention, CurrentJob, NextMilestone, Stage
from services.web.csv_export import csv_text, safe_cell
from services.web.presenters.caseload import COLUMNS, caseload_line
from tests.unit.web.builders import row


def test_a_participant_in_work_reads_as_the_adviser_sees_it() -> None:
    assert caseload_line(row()).cells == {
        "Referral ID": "REF-1",
        "Participant ID": "p" * 64,
        "Borough": "Camden",
        "Group": "Long term unemployed",
        "Age band": "25-49",
        "Stage": "In work, Job start, First earnings",
        "Current job": "£15.00 an hour, 37.5 hours a week (London Living Wage)",
        "Next milestone": "Earnings outcome",
        "Projected date": "13 Jan 2025",
        "Days left in window": "120",
        "Evidence due since": "",
        "Held or rejected": "",
    }


def test_overdue_not_on_track_left_due_and_rejected_read_as_words() -> None:
    overdue = caseload_line(
        row(
            next_milestone=NextMilestone(
                MilestoneKind.SUSTAINED_13W, date(2024, 7, 1), Outlook.OVERDUE
            ),
            evidence_due_since=date(2024, 10, 5),
            attention=(
                Attention(
                    rejected_at=datetime(2024, 11, 1, tzinfo=UTC),
                    reason="invalid_evidence",
                    message="hours above 24 a day",
                    what_to_do="Correct the evidence (hours, dates, kind) and resend.",
                    event_type="evidence_submitted",
                    source_event_id=None,
                    rejection_event_id="r-1",
                ),
            )
            * 2,
        )
    ).cells
    assert overdue["Projected date"] == "Overdue: evidence needed"
    assert overdue["Evidence due since"] == "5 Oct 2024"
    assert overdue["Held or rejected"] == (
        "Invalid evidence: Correct the evidence (hours, dates, kind) and resend. (and 1 more)"
    )
    left = caseload_line(
        row(
            stage=Stage.STARTED,
            milestones_reached=(),
            left_on=date(2024, 9, 30),
            leaver_reason="moved away",
            current_job=None,
            next_milestone=NextMilestone(
                MilestoneKind.EARNINGS_OUTCOME, None, Outlook.NOT_ON_TRACK
            ),
        )
    ).cells
    assert left["Stage"] == "Started, Left 30 Sep 2024 (moved away)"
    assert left["Current job"] == ""
    assert left["Projected date"] == "Not on track"


def test_a_self_employed_job_below_minimum_wage_flags() -> None:
    job = CurrentJob(
        placement_id="plc-2",
        employer_name=None,
        sic_sector=None,
        employment_type="self_employed",
        job_start_date=date(2024, 5, 1),
        hourly_wage_pence=None,
        weekly_hours=Decimal("20"),
        pays_llw=False,
        below_minimum_wage=False,
    )
    assert caseload_line(row(current_job=job)).cells["Current job"] == (
        "Self-employed, 20 hours a week"
    )


def test_the_csv_has_the_columns_of_the_table_and_no_formula() -> None:
    text = csv_text(COLUMNS, [caseload_line(row(referral_id="=HYPERLINK()")).texts])
    lines = text.splitlines()
    assert lines[0].split(",")[:3] == ["Referral ID", "Participant ID", "Borough"]
    assert lines[1].startswith("'=HYPERLINK()")
    assert safe_cell("-12") == "-12"
    assert safe_cell("@cmd") == "'@cmd"

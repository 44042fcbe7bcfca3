"""Values of the read model for the web app's unit tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from schemas.common import MilestoneKind
from services.views.projections import Outlook
from services.views.read_model import CaseloadRow, CurrentJob, NextMilestone, Stage


def row(**changes: object) -> CaseloadRow:
    values: dict[str, object] = {
        "participant_id": "p" * 64,
        "referral_id": "REF-1",
        "contract_id": "whp-central",
        "borough": "Camden",
        "eligibility_group": "long_term_unemployed",
        "age_band": "25-49",
        "referral_source": "jobcentre",
        "start_date": date(2024, 4, 1),
        "left_on": None,
        "leaver_reason": None,
        "stage": Stage.IN_WORK,
        "milestones_reached": (MilestoneKind.JOB_START, MilestoneKind.FIRST_EARNINGS),
        "current_job": CurrentJob(
            placement_id="plc-1",
            employer_name=None,
            sic_sector=None,
            employment_type="employed",
            job_start_date=date(2024, 5, 1),
            hourly_wage_pence=1500,
            weekly_hours=Decimal("37.50"),
            pays_llw=True,
            below_minimum_wage=False,
        ),
        "next_milestone": NextMilestone(
            MilestoneKind.EARNINGS_OUTCOME, date(2025, 1, 13), Outlook.PROJECTED
        ),
        "window_days_left": 120,
        "evidence_due_since": None,
        "attention": (),
    }
    values.update(changes)
    return CaseloadRow(**values)  # type: ignore[arg-type]

"""What a signed-in user may read, in the read model's terms: the provider whose
participants an adviser sees, and the caseload query a page's filters mean."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from schemas.common import MilestoneKind
from services.views.read_model import CaseloadFilters as ViewsFilters
from services.views.read_model import CaseloadSort, Stage
from services.web.adapters.users import User
from services.web.forms.caseload import CaseloadFilters

SORTS = {
    "referral": CaseloadSort.REFERRAL_ID,
    "start": CaseloadSort.START_DATE,
    "projected": CaseloadSort.NEXT_PROJECTED_ON,
    "window": CaseloadSort.WINDOW_LAST_DAY,
    "due": CaseloadSort.EVIDENCE_DUE_SINCE,
}


def provider_of(user: User) -> str:
    """The provider whose participants ``user`` sees; 404 for anyone else (a page of
    participants does not exist for them)."""
    provider_id = user.role.provider_id
    if provider_id is None:
        raise HTTPException(404)
    return provider_id


STAGES = {"started": Stage.STARTED, "in_work": Stage.IN_WORK}
MILESTONES = {m.value: m for m in MilestoneKind}


def caseload_query(filters: CaseloadFilters) -> tuple[ViewsFilters, CaseloadSort]:
    """The read model's filters and sort for the page's (the form's "stage" names a
    stage, a milestone reached, or "left")."""
    stage = filters.stage or ""
    return (
        ViewsFilters(
            stage=STAGES.get(stage),
            milestone=MILESTONES.get(stage),
            evidence_due=filters.evidence_due,
            attention=filters.held,
            left=True if stage == "left" else None,
            search=filters.referral_id,
        ),
        SORTS[filters.sort],
    )

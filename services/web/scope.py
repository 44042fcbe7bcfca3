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


def caseload_query(filters: CaseloadFilters) -> tuple[ViewsFilters, CaseloadSort]:
    stage = filters.stage
    milestone = None
    if stage is not None and stage in {m.value for m in MilestoneKind}:
        milestone = MilestoneKind(stage)
    return (
        ViewsFilters(
            stage=Stage.STARTED if stage == "started" else Stage.IN_WORK if stage == "in_work" else None,
            milestone=milestone,
            evidence_due=filters.evidence_due,
            attention=filters.held,
            left=True if stage == "left" else None,
            search=filters.referral_id,
        ),
        SORTS[filters.sort],
    )

"""The caseload's filters, sort and page, read from the query string (bounded: anything
unknown or too long falls back to the default rather than reaching the database)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

PAGE_SIZE: Final = 50
PAGE_MAX: Final = 10_000
SEARCH_MAX: Final = 64
SEARCH: Final = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")

STAGES: Final = {
    "started": "Started, not in work",
    "in_work": "In work",
    "job_start": "Job start",
    "first_earnings": "First earnings",
    "earnings_outcome": "Earnings outcome",
    "self_employment_outcome": "Self-employment outcome",
    "sustained_13w": "Sustained 13 weeks",
    "sustained_26w": "Sustained 26 weeks",
    "sustained_52w": "Sustained 52 weeks",
    "left": "Left the programme",
}
SORTS: Final = {
    "referral": "Referral ID",
    "start": "Start date",
    "projected": "Projected date",
    "window": "Days left in window",
    "due": "Evidence due since",
}


@dataclass(frozen=True)
class CaseloadFilters:
    stage: str | None = None
    evidence_due: bool = False
    held: bool = False
    referral_id: str | None = None
    sort: str = "referral"
    page: int = 1

    @property
    def any_filter(self) -> bool:
        return bool(self.stage or self.evidence_due or self.held or self.referral_id)

    def query(self, **changes: object) -> str:
        """The query string of these filters with ``changes`` (links to pages, sorts)."""
        filters = replace(self, **changes)  # type: ignore[arg-type]
        pairs: list[tuple[str, str]] = []
        if filters.stage:
            pairs.append(("stage", filters.stage))
        if filters.evidence_due:
            pairs.append(("due", "1"))
        if filters.held:
            pairs.append(("held", "1"))
        if filters.referral_id:
            pairs.append(("q", filters.referral_id))
        if filters.sort != "referral":
            pairs.append(("sort", filters.sort))
        if filters.page != 1:
            pairs.append(("page", str(filters.page)))
        return urlencode(pairs)


def read_filters(params: QueryParams) -> CaseloadFilters:
    stage = params.get("stage")
    search = (params.get("q") or "").strip()[: SEARCH_MAX + 1]
    sort = params.get("sort") or "referral"
    page_text = (params.get("page") or "1")[:6]
    page = int(page_text) if page_text.isdigit() else 1
    return CaseloadFilters(
        stage=stage if stage in STAGES else None,
        evidence_due=params.get("due") == "1",
        held=params.get("held") == "1",
        referral_id=search if SEARCH.fullmatch(search) else None,
        sort=sort if sort in SORTS else "referral",
        page=min(max(page, 1), PAGE_MAX),
    )

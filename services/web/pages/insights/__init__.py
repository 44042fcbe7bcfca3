"""The insights areas (issue 15, domain.md §11): commissioners' outcomes and cohort
curves, the minimum-wage feed, finance, the what-if and the ops page. Registered with one
line in ``services/web/pages/__init__.py``."""

from __future__ import annotations

from services.web.areas import Area
from services.web.pages.insights import finance, minimum_wage, ops, outcomes, what_if

AREAS: tuple[Area, ...] = (
    *outcomes.AREAS,
    *minimum_wage.AREAS,
    *what_if.AREAS,
    *finance.AREAS,
    *ops.AREAS,
)

"""Every area of pages of the web app: one module each, registered here (one line each).

A new area is a module that exports ``AREA`` (see ``services.web.areas.Area``) and its
templates under ``templates/views/<area>/``.
"""

from __future__ import annotations

from services.web.areas import Area
from services.web.pages import caseload, insights, live, participant, sign_in

AREAS: tuple[Area, ...] = (
    sign_in.AREA,
    caseload.AREA,
    participant.AREA,
    live.AREA,
    *insights.AREAS,
)

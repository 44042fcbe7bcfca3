"""A participant's timeline (a provider's advisers): everything that happened, in time
order, with the projected dates. Another provider's participant, or an id that names
none, is 404 (existence is not leaked). Every view is written to the audit."""

from __future__ import annotations

from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.views import read
from services.web.adapters.audit import record_participant_view
from services.web.areas import Area, user_of
from services.web.pages.caseload import is_adviser
from services.web.presenters.caseload import caseload_line
from services.web.presenters.timeline import ORIGINAL_SHOWN, timeline_sections
from services.web.scope import provider_of
from services.web.state import state_of

ID_MAX: Final = 200


async def participant(request: Request) -> Response:
    state = state_of(request)
    user = user_of(request)
    participant_id = request.path_params["participant_id"]
    if len(participant_id) > ID_MAX:
        raise HTTPException(404)
    async with state.views().acquire() as conn:
        timeline = await read.participant_timeline(
            conn, provider_of(user), participant_id, state.today()
        )
    if timeline is None or timeline.participant.participant_id != participant_id:
        raise HTTPException(404)
    async with state.db().acquire() as conn:
        await record_participant_view(conn, user, participant_id, state.clock())
    return state.pages.render(
        request,
        "views/participant/timeline.html",
        {
            "timeline": timeline,
            "line": caseload_line(timeline.participant),
            "sections": timeline_sections(timeline),
            "original_label": ORIGINAL_SHOWN,
            "today": state.today(),
        },
    )


AREA = Area(
    name="participant",
    routes=(
        Route("/participants/{participant_id}", participant, methods=["GET"], name="participant"),
    ),
    visible_to=is_adviser,
)

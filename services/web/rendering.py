"""Templates: Jinja2 with the GOV.UK Frontend macros (govuk-frontend-jinja), and what
every page is given (user, navigation, CSRF token, CSP nonce)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from services.web import formatting
from services.web.areas import Area, navigation, session_of
from services.web.presenters import timeline

TEMPLATES_DIR: Final = Path(__file__).parent / "templates"
SERVICE_NAME: Final = "Employment support outcomes"


def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(formatting.FILTERS)
    env.filters.update(timeline.FILTERS)
    return env


class Pages:
    """Renders a page template with the context every page needs."""

    def __init__(self, areas: Sequence[Area]) -> None:
        self.areas = areas
        self.templates = Jinja2Templates(env=environment())

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        session = session_of(request)
        user = None if session is None else session.user
        base = {
            "serviceName": SERVICE_NAME,
            "user": user,
            "navigation": navigation(self.areas, None if user is None else user.role),
            "csrf_token": None if session is None else session.csrf_token,
            "cspNonce": request.scope.get("state", {}).get("csp_nonce"),
            "current_path": request.url.path,
        }
        return self.templates.TemplateResponse(
            request, template, {**base, **(context or {})}, status_code=status_code
        )


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages

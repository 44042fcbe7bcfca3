"""Sign in, sign out, and the start page (which sends each user to their first area)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from services.web import accounts
from services.web.areas import SIGN_IN_PATH, Area, navigation, session_of
from services.web.cookies import clear_session_cookie, set_session_cookie
from services.web.forms.sign_in import SignInForm, local_path, read_sign_in
from services.web.state import state_of


async def start(request: Request) -> Response:
    session = session_of(request)
    if session is None or session.user is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    state = state_of(request)
    areas = navigation(state.pages.areas, session.user.role)
    if not areas:
        return state.pages.render(request, "views/no_pages.html")
    return RedirectResponse(areas[0].href, status_code=303)


async def sign_in_page(request: Request) -> Response:
    session = session_of(request)
    if session is not None and session.user is not None:
        return RedirectResponse("/", status_code=303)
    form = SignInForm("", "", local_path(request.query_params.get("next", "")))
    return await _form(request, form, signed_out=request.query_params.get("signed-out") == "1")


async def sign_in(request: Request) -> Response:
    state = state_of(request)
    form = read_sign_in(await request.form())
    if form.errors:
        return await _form(request, form, status_code=400)
    now = state.clock()
    async with state.db().acquire() as conn:
        result = await accounts.sign_in(
            conn,
            form.username,
            form.password,
            request.client.host if request.client else "unknown",
            now,
            limits=state.settings.sign_in_limits(),
            lifetime=state.settings.session_lifetime(),
            previous=session_of(request),
        )
    if isinstance(result, accounts.TooManyAttempts):
        minutes = -(-int(result.wait.total_seconds()) // 60)
        return state.pages.render(
            request, "views/sign_in/too_many_attempts.html", {"minutes": minutes}, status_code=429
        )
    if isinstance(result, accounts.Refused):
        message = "Enter a correct username and password"
        refused = SignInForm(form.username, "", form.next_path, {"password": message})
        return await _form(request, refused, status_code=400)
    response = RedirectResponse(form.next_path, status_code=303)
    set_session_cookie(response, result.session, state.key, now)
    return response


async def sign_out(request: Request) -> Response:
    state = state_of(request)
    async with state.db().acquire() as conn:
        await accounts.sign_out(conn, session_of(request))
    response = RedirectResponse(f"{SIGN_IN_PATH}?signed-out=1", status_code=303)
    clear_session_cookie(response)
    return response


async def _form(
    request: Request, form: SignInForm, *, status_code: int = 200, signed_out: bool = False
) -> Response:
    """The sign-in form, with a session to carry its CSRF token (made if there is none)."""
    state = state_of(request)
    session = session_of(request)
    new_session = None
    if session is None:
        async with state.db().acquire() as conn:
            new_session = await accounts.form_session(conn, state.clock())
        request.scope["state"]["session"] = new_session
    response = state.pages.render(
        request,
        "views/sign_in/sign_in.html",
        {"form": form, "signed_out": signed_out},
        status_code=status_code,
    )
    if new_session is not None:
        set_session_cookie(response, new_session, state.key, state.clock())
    return response


AREA = Area(
    name="sign-in",
    routes=(
        Route("/", start, methods=["GET"], name="start"),
        Route(SIGN_IN_PATH, sign_in_page, methods=["GET"], name="sign_in_page"),
        Route(SIGN_IN_PATH, sign_in, methods=["POST"], name="sign_in"),
        Route("/sign-out", sign_out, methods=["POST"], name="sign_out"),
    ),
    visible_to=None,
)

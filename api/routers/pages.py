"""The login page and the page session (cookie) that the app's HTML pages use."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from api.deps import SESSION_COOKIE, LoginRequired, PagePrincipalDep, SessionDep, SettingsDep
from api.problems import problem_responses
from api.schemas.users import Me
from gis import auth
from gis.choices import label
from maps.pages import STATIC_DIR, STATIC_URL, home_page, render_page, static_url

router = APIRouter(tags=["pages"])


class SessionStart(BaseModel):
    """A token to open a page session with."""

    token: str = Field(min_length=1, max_length=200, description="An API token.",
                       examples=["tgis_3q2k5yW0d8zXc1mN7pR4sT6uV9aB2cD5eF8gH1jK4lM"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(principal: PagePrincipalDep, session: SessionDep) -> HTMLResponse:
    """The signed-in user's starting page: links to the viewer, maps, dashboard and docs."""
    user = auth.describe_user(session, principal.username)
    return HTMLResponse(home_page(user.full_name, label(user.role)))


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page() -> HTMLResponse:
    """The login form (Vietnamese by default, English switch)."""
    return HTMLResponse(render_page("login.html"))


@router.post("/session", response_model=Me, summary="Open a page session (cookie)",
             responses=problem_responses(401, 422))
def open_session(body: SessionStart, session: SessionDep, settings: SettingsDep,
                 response: Response) -> Me:
    """Check ``token`` and set the ``telecom_gis_session`` cookie (HttpOnly, SameSite=Strict,
    expiring with the token) that lets the browser load the maps, viewer and dashboard.
    The cookie is honoured for GET requests only: writes still need the bearer header."""
    principal = auth.authenticate(session, body.token)
    expires = auth.token_expiry(session, body.token)
    max_age = None
    if expires is not None:
        max_age = max(0, int((expires - datetime.now(UTC)).total_seconds()))
    response.set_cookie(SESSION_COOKIE, body.token, max_age=max_age, httponly=True,
                        samesite="strict", secure=settings.cookie_secure, path="/")
    return Me.of(auth.describe_user(session, principal.username))


@router.delete("/session", status_code=204, summary="Close the page session",
               responses=problem_responses())
def close_session(settings: SettingsDep) -> Response:
    """Remove the page cookie (the token itself stays valid until it expires or is revoked)."""
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=settings.cookie_secure)
    return response


def install(app: FastAPI) -> None:
    """Serve ``/static``, the login redirect of the pages, and ``/docs`` from local assets."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title="telecom-gis API",
            swagger_js_url=static_url("vendor/swagger-ui-dist/swagger-ui-bundle.js"),
            swagger_css_url=static_url("vendor/swagger-ui-dist/swagger-ui.css"),
            swagger_favicon_url=static_url("vendor/swagger-ui-dist/favicon-32x32.png"))

"""Request dependencies: one session and one transaction per request, committed before the
response is sent; the caller's identity from the bearer token; role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from gis.auth import AuthError, Principal, authenticate, bind_principal, require_role
from gis.choices import Role
from gis.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session whose transaction commits when the route succeeds (before the response
    is sent, so a client never sees a success that was not committed)."""
    with request.app.state.sessions() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer = HTTPBearer(
    auto_error=False, description="API token issued with `telecom-gis users token`."
)


#: Cookie set by ``POST /session`` for the app's pages (HttpOnly, SameSite=Strict). It holds
#: the same token as the bearer header and is accepted for GET and HEAD requests only, so a
#: write always needs the header and a cross-site form cannot act as the user.
SESSION_COOKIE = "telecom_gis_session"
_COOKIE_METHODS = frozenset({"GET", "HEAD"})


def request_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> str | None:
    """The caller's token: the bearer header, else (GET/HEAD only) the page cookie."""
    if credentials is not None:
        return credentials.credentials
    if request.method in _COOKIE_METHODS:
        return request.cookies.get(SESSION_COOKIE) or None
    return None


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Authenticate the bearer token (or, for a GET, the page cookie) and bind the caller to
    this request's transaction (audit actor; row-level security for operator users). 401 when
    missing or invalid."""
    token = request_token(request, credentials)
    if token is None:
        raise AuthError("this needs a bearer token (Authorization: Bearer <token>)")
    principal = authenticate(session, token)
    bind_principal(session, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class LoginRequired(Exception):
    """A page was asked for without a valid session: answered with a redirect to ``/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def get_page_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Like :func:`get_principal`, for HTML pages: without a valid token the browser is sent
    to the login page, which brings it back here afterwards."""
    try:
        return get_principal(request, session, credentials)
    except AuthError as exc:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target) from exc


PagePrincipalDep = Annotated[Principal, Depends(get_page_principal)]


def roles(*allowed: Role) -> Callable[[Principal], Principal]:
    """Dependency: the caller, if they have one of ``allowed`` roles (403 otherwise)."""

    def check(principal: PrincipalDep) -> Principal:
        require_role(principal, *allowed)
        return principal

    check.__name__ = "role_" + "_or_".join(r.value for r in allowed)
    return check


Inspector = Annotated[Principal, Depends(roles(Role.ADMIN, Role.INSPECTOR))]
Planner = Annotated[Principal, Depends(roles(Role.ADMIN, Role.PLANNER))]
Admin = Annotated[Principal, Depends(roles(Role.ADMIN))]
#: Operators' own reports (remediation, placement changes), or an administrator on their behalf.
OperatorOrAdmin = Annotated[Principal, Depends(roles(Role.ADMIN, Role.OPERATOR))]


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]

"""Request dependencies: one session and one transaction per request, committed before the
response is sent; the caller's identity from the bearer token; role checks.

Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in its
thread pool, and each such hop costs more than the check itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from gis.auth import AuthError, Principal, require_role, sign_in
from gis.choices import Role
from gis.settings import Settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session whose transaction commits when the route succeeds (before the response
    is sent, so a client never sees a success that was not committed) and rolls back when it
    fails. Opening the session does no I/O (the connection is taken at the first query); the
    commit or rollback runs in the thread pool. A route may commit itself, at its end, in its
    own thread (one thread-pool hop less); then nothing is left to do here."""
    session = request.app.state.sessions()
    try:
        yield session
    except BaseException:  # an error, or the request cancelled: roll back, give it back
        await run_in_threadpool(session.close)
        raise
    await _finish(session)


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """Like :func:`get_session`, on the read replica when one is configured
    (``TELECOM_GIS_READ_DATABASE_URL``), else on the primary: for the routes whose answer may
    lag the primary by the replica's delay (maps, tiles, exports, OGC API) and that write
    nothing (a replica refuses writes)."""
    session = request.app.state.read_sessions()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(session.close)
        raise
    await _finish(session)


async def _finish(session: Session) -> None:
    if session.in_transaction():
        await run_in_threadpool(_commit, session)
    else:
        session.close()  # no I/O: the commit gave the connection back to the pool


def _commit(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]

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


def required_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> str:
    """:func:`request_token`, or :class:`AuthError` (401) when the request carries none."""
    token = request_token(request, credentials)
    if token is None:
        raise AuthError("this needs a bearer token (Authorization: Bearer <token>)")
    return token


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Authenticate the bearer token (or, for a GET, the page cookie) and bind the caller to
    this request's transaction (audit actor; row-level security for operator users). 401 when
    missing or invalid."""
    return sign_in(session, required_token(request, credentials))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_read_principal(
    request: Request,
    session: ReadSessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """:func:`get_principal` on the read session: a route reading from the replica must sign
    in there, so that row-level security confines an operator's user on that connection."""
    return sign_in(session, required_token(request, credentials))


ReadPrincipalDep = Annotated[Principal, Depends(get_read_principal)]


async def get_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The caller's token, not checked yet (no I/O; 401 when there is none). For the busiest
    read routes (tiles, OGC items), which check it with :func:`gis.auth.sign_in` on their own
    (read) session in their own thread: one thread-pool hop less than
    :data:`ReadPrincipalDep`, whose check runs in a thread of its own before the route's."""
    return required_token(request, credentials)


TokenDep = Annotated[str, Depends(get_token)]


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
    return _page_sign_in(request, session, credentials)


def get_read_page_principal(
    request: Request,
    session: ReadSessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """:func:`get_page_principal` on the read session (the pages that read the replica)."""
    return _page_sign_in(request, session, credentials)


def _page_sign_in(request: Request, session: Session,
                  credentials: HTTPAuthorizationCredentials | None) -> Principal:
    try:
        return sign_in(session, required_token(request, credentials))
    except AuthError as exc:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target) from exc


PagePrincipalDep = Annotated[Principal, Depends(get_page_principal)]
ReadPagePrincipalDep = Annotated[Principal, Depends(get_read_page_principal)]


def roles(*allowed: Role) -> Callable[[Principal], Principal]:
    """Dependency: the caller, if they have one of ``allowed`` roles (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        require_role(principal, *allowed)
        return principal

    check.__name__ = "role_" + "_or_".join(r.value for r in allowed)
    return check


Inspector = Annotated[Principal, Depends(roles(Role.ADMIN, Role.INSPECTOR))]
Planner = Annotated[Principal, Depends(roles(Role.ADMIN, Role.PLANNER))]
Admin = Annotated[Principal, Depends(roles(Role.ADMIN))]
#: Operators' own reports (remediation, placement changes), or an administrator on their behalf.
OperatorOrAdmin = Annotated[Principal, Depends(roles(Role.ADMIN, Role.OPERATOR))]


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]

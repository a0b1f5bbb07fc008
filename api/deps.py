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


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Authenticate the bearer token and bind the caller to this request's transaction
    (audit actor; row-level security for operator users). 401 when missing or invalid."""
    if credentials is None:
        raise AuthError("this needs a bearer token (Authorization: Bearer <token>)")
    principal = authenticate(session, credentials.credentials)
    bind_principal(session, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


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

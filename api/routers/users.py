"""Who am I (any user); users and their tokens (administrators only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from api.deps import Admin, PrincipalDep, SessionDep, SettingsDep
from api.problems import fields_at, problem_responses
from api.schemas.common import id_path, labelled
from api.schemas.users import (
    Me,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from gis import auth
from gis.choices import Role

router = APIRouter(tags=["users"])

UsernamePath = Annotated[str, Path(description="The user's username.", examples=["vnpt.tb"])]


def _public(session: SessionDep, username: str) -> UserPublic:
    return UserPublic.of(auth.user_info(session, username))


@router.get("/me", response_model=Me, summary="Who the bearer token belongs to",
            responses=problem_responses(401))
def me(principal: PrincipalDep, session: SessionDep) -> Me:
    """Your username, full name, role (with its Vietnamese and English label) and, for an
    operator's user, the operator's code."""
    return Me.of(auth.describe_user(session, principal.username))


@router.get("/users", response_model=list[UserPublic], summary="List users",
            responses=problem_responses(401, 403, 422))
def list_users(
    _: Admin,
    session: SessionDep,
    role: Annotated[labelled(Role) | None, Query(description="Only this role.")] = None,
    active: Annotated[bool | None, Query(description="Only active (or inactive) users.")] = None,
) -> list[UserPublic]:
    """Every user by username, with the number of tokens still valid. Administrators only."""
    return [UserPublic.of(info) for info in auth.list_users(session, role=role, active=active)]


@router.post("/users", response_model=UserPublic, status_code=201, summary="Create a user",
             responses=problem_responses(401, 403, 409, 422))
def create_user(_: Admin, session: SessionDep, body: UserCreate) -> UserPublic:
    """Create a user with one role; an operator's user names its operator by code. Issue it a
    token with `POST /users/{username}/tokens`. Administrators only."""
    with fields_at("body"):
        user = auth.create_user(session, body.username, body.full_name, body.role, body.operator)
    return _public(session, user.username)


@router.get("/users/{username}", response_model=UserPublic, summary="One user",
            responses=problem_responses(401, 403, 404))
def get_user(_: Admin, session: SessionDep, username: UsernamePath) -> UserPublic:
    """A user with its operator and number of valid tokens. Administrators only."""
    return _public(session, username)


@router.patch("/users/{username}", response_model=UserPublic, summary="Change a user",
              responses=problem_responses(401, 403, 404, 409, 422))
def update_user(
    admin: Admin, session: SessionDep, username: UsernamePath, body: UserUpdate
) -> UserPublic:
    """Change the full name, or (de)activate: a deactivated user's tokens are refused at once.
    You cannot deactivate yourself (409). Administrators only."""
    with fields_at("body"):
        auth.update_user(session, username, full_name=body.full_name, active=body.active,
                         acting_user_id=admin.user_id)
    return _public(session, username)


@router.post("/users/{username}/tokens", response_model=TokenIssued, status_code=201,
             summary="Issue a token", responses=problem_responses(401, 403, 404, 409, 422))
def issue_token(
    _: Admin,
    session: SessionDep,
    settings: SettingsDep,
    username: UsernamePath,
    body: Annotated[TokenCreate | None, Body()] = None,
) -> TokenIssued:
    """Issue a bearer token valid `days` days. The response holds the token itself: it is shown
    this once and cannot be shown again (only its SHA-256 is stored). Administrators only."""
    body = body or TokenCreate()
    with fields_at("body"):
        plaintext, row = auth.issue_token(session, username, body.days or settings.token_days,
                                          body.label)
    public = TokenPublic.of(row, username, datetime.now(UTC))
    return TokenIssued(**public.model_dump(), token=plaintext)


@router.get("/users/{username}/tokens", response_model=list[TokenPublic],
            summary="List a user's tokens", responses=problem_responses(401, 403, 404))
def list_tokens(_: Admin, session: SessionDep, username: UsernamePath) -> list[TokenPublic]:
    """The user's tokens, newest first, revoked and expired ones included (never the token or
    its hash). Administrators only."""
    now = datetime.now(UTC)
    return [TokenPublic.of(t, username, now) for t in auth.list_tokens(session, username)]


@router.delete("/tokens/{token_id}", response_model=TokenPublic, summary="Revoke a token",
               responses=problem_responses(401, 403, 404, 409, 422))
def revoke_token(
    _: Admin,
    session: SessionDep,
    token_id: id_path("token", example=12),
) -> TokenPublic:
    """Revoke a token: it is refused from now on; the row stays for the audit trail. 409 when it
    was already revoked. Administrators only."""
    token = auth.revoke_token(session, token_id)
    return TokenPublic.of(token, token.user.username, datetime.now(UTC))

"""Users and bearer tokens. A token is shown once when issued and stored only as its SHA-256.

Tokens are 256-bit random strings (``tg_`` + 43 URL-safe characters), so a plain SHA-256 is
enough to store them: unlike passwords they cannot be guessed from a dictionary.

Bad input raises :class:`~gis.errors.ValidationFailed` whose ``problems`` are
:class:`~gis.errors.FieldIssue` (``field`` is the input's name, e.g. ``operator``); a duplicate
or a change the stored state forbids raises :class:`~gis.errors.ConflictError`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from gis.choices import Role
from gis.errors import ConflictError, GisError, NotFoundError, invalid
from gis.models import ApiToken, Operator, User

TOKEN_PREFIX = "tg_"

#: The database role an operator user's transaction switches to (row-level security applies).
OPERATOR_DB_ROLE = "telecom_gis_operator"

#: Same rule as the ``users.username`` check constraint.
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
FULL_NAME_MAX = 200


class AuthError(GisError):
    """A token is missing, unknown, expired or revoked (HTTP 401).

    ``token_given`` is True when a token was sent but is not valid (RFC 6750 ``invalid_token``).
    """

    def __init__(self, message: str, *, token_given: bool = False) -> None:
        super().__init__(message)
        self.token_given = token_given


class ForbiddenError(GisError):
    """The user is known but not allowed to do this (HTTP 403)."""


@dataclass(frozen=True)
class Principal:
    """Who is making a request: the user's id, name, role and (for operator users) operator."""

    user_id: int
    username: str
    role: Role
    operator_id: int | None

    @property
    def is_operator(self) -> bool:
        """True for an operator's user, whose view is confined to its own operator."""
        return self.role is Role.OPERATOR


@dataclass(frozen=True)
class UserInfo:
    """A user as shown to people: ``operator_code`` for operator users; ``active_tokens`` (not
    revoked, not expired) only where the caller may read tokens (admin, CLI), else None."""

    id: int
    username: str
    full_name: str
    role: Role
    operator_code: str | None
    active: bool
    created_at: datetime
    active_tokens: int | None = None


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _operator_id(session: Session, code: str) -> int:
    operator_id = session.scalar(
        select(Operator.id).where(func.upper(Operator.code) == code.strip().upper())
    )
    if operator_id is None:
        known = ", ".join(session.scalars(select(Operator.code).order_by(Operator.code)))
        raise invalid("operator", f"unknown operator {code!r}; known operators: {known or '-'}")
    return operator_id


def _check_full_name(full_name: str) -> str:
    name = full_name.strip()
    if not 1 <= len(name) <= FULL_NAME_MAX:
        raise invalid("full_name", f"the full name must have 1 to {FULL_NAME_MAX} characters")
    return name


def create_user(
    session: Session, username: str, full_name: str, role: Role, operator_code: str | None = None
) -> User:
    """Create a user; an operator user needs ``operator_code``, other roles must not have one.

    Raises ValidationFailed (field ``username``, ``full_name`` or ``operator``) for bad input and
    ConflictError when the username is taken.
    """
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise invalid("username", "a username has 2 to 64 characters: lower-case letters, "
                                  "digits, '.', '_' or '-', starting with a letter or digit")
    full_name = _check_full_name(full_name)
    operator_id = None
    if role is Role.OPERATOR:
        if not operator_code:
            raise invalid("operator", "an operator user needs its operator's code (e.g. VNPT)")
        operator_id = _operator_id(session, operator_code)
    elif operator_code:
        raise invalid("operator", f"a {role.value} user does not belong to an operator; "
                                  "give an operator only for the role operator")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} already exists")
    user = User(username=username, full_name=full_name, role=role.value, operator_id=operator_id)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    """The user called ``username`` (NotFoundError if none, or invisible to the caller)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"unknown user {username!r}")
    return user


def _active_token_clause():
    return (ApiToken.revoked_at.is_(None)) & (
        ApiToken.expires_at.is_(None) | (ApiToken.expires_at > func.now())
    )


def describe_user(session: Session, username: str) -> UserInfo:
    """The user ``username`` with its operator's code (no token count: operator users may not
    read tokens)."""
    row = session.execute(
        select(User, Operator.code)
        .outerjoin(Operator, Operator.id == User.operator_id)
        .where(User.username == username)
    ).first()
    if row is None:
        raise NotFoundError(f"unknown user {username!r}")
    return _info(row[0], row[1])


def list_users(
    session: Session,
    *,
    role: Role | None = None,
    active: bool | None = None,
    username: str | None = None,
) -> list[UserInfo]:
    """Every user (optionally of one ``role`` / activity / ``username``), by username, with the
    number of active tokens. Reads ``api_tokens``: staff only."""
    tokens = (
        select(ApiToken.user_id, func.count().label("n"))
        .where(_active_token_clause())
        .group_by(ApiToken.user_id)
        .subquery()
    )
    query = (
        select(User, Operator.code, func.coalesce(tokens.c.n, 0))
        .outerjoin(Operator, Operator.id == User.operator_id)
        .outerjoin(tokens, tokens.c.user_id == User.id)
        .order_by(User.username)
    )
    if role is not None:
        query = query.where(User.role == role.value)
    if active is not None:
        query = query.where(User.active.is_(active))
    if username is not None:
        query = query.where(User.username == username)
    return [_info(user, code, count) for user, code, count in session.execute(query)]


def user_info(session: Session, username: str) -> UserInfo:
    """One user with its operator's code and number of active tokens (staff only)."""
    found = list_users(session, username=username)
    if not found:
        raise NotFoundError(f"unknown user {username!r}")
    return found[0]


def _info(user: User, operator_code: str | None, active_tokens: int | None = None) -> UserInfo:
    return UserInfo(
        id=user.id, username=user.username, full_name=user.full_name, role=Role(user.role),
        operator_code=operator_code, active=user.active, created_at=user.created_at,
        active_tokens=active_tokens,
    )


def update_user(
    session: Session,
    username: str,
    *,
    full_name: str | None = None,
    active: bool | None = None,
    acting_user_id: int | None = None,
) -> User:
    """Change a user's full name and/or activity. A deactivated user's tokens stop working at
    once (and work again if it is reactivated). ``acting_user_id`` cannot deactivate itself
    (ConflictError), so an administrator never locks themself out."""
    user = get_user(session, username)
    if full_name is not None:
        user.full_name = _check_full_name(full_name)
    if active is not None:
        if not active and user.id == acting_user_id:
            raise ConflictError("you cannot deactivate yourself; ask another administrator")
        user.active = active
    session.flush()
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    """(De)activate ``username``: a deactivated user's tokens are refused. ConflictError when
    it already is in that state."""
    user = get_user(session, username)
    if user.active is active:
        state = "active" if active else "deactivated"
        raise ConflictError(f"user {username!r} is already {state}")
    return update_user(session, username, active=active)


def deactivate_user(session: Session, username: str) -> User:
    """Deactivate ``username`` (its tokens are refused from now on)."""
    return set_active(session, username, False)


def issue_token(
    session: Session, username: str, days: int, label: str | None = None
) -> tuple[str, ApiToken]:
    """Issue a token for ``username`` valid ``days`` days; returns (plaintext, row).

    The plaintext exists only in the return value: the database keeps its SHA-256."""
    if days < 1:
        raise invalid("days", "a token must be valid for at least 1 day")
    user = get_user(session, username)
    if not user.active:
        raise ConflictError(f"user {username!r} is deactivated; activate it first")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_sha256=hash_token(plaintext),
        label=label,
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    session.refresh(row)
    return plaintext, row


def list_tokens(session: Session, username: str) -> list[ApiToken]:
    """The tokens of ``username``, newest first (revoked and expired ones included)."""
    user = get_user(session, username)
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token by its id and return it (the row stays, for the audit trail).

    NotFoundError when there is no such token; ConflictError when it is already revoked."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"no token with id {token_id}")
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    ).rowcount
    if not done:
        raise ConflictError(f"token {token_id} was already revoked")
    session.refresh(token)
    return token


#: The token's user and the token's state, in one indexed lookup. With ``:bind`` (and only when
#: the database, by its clock, finds the token valid) it also binds the user to the transaction
#: as :func:`bind_principal` does: ``set_config(..., true)`` is ``SET LOCAL``, and ``role`` is
#: what ``SET LOCAL ROLE`` sets. The row is read before the role changes.
_TOKEN_SQL = text(f"""
    SELECT u.id, u.username, u.role, u.operator_id, u.active, t.revoked_at, t.expires_at,
           CASE WHEN :bind AND u.active AND t.revoked_at IS NULL
                     AND (t.expires_at IS NULL OR t.expires_at > clock_timestamp())
                THEN set_config('telecom_gis.actor', 'user:' || u.username, true) IS NOT NULL
                     AND set_config('telecom_gis.operator_scope',
                                    CASE WHEN u.role = '{Role.OPERATOR.value}'
                                         THEN u.operator_id::text ELSE '' END, true) IS NOT NULL
                     AND (u.role <> '{Role.OPERATOR.value}'
                          OR set_config('role', '{OPERATOR_DB_ROLE}', true) IS NOT NULL)
                ELSE false END AS bound
      FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_sha256 = :sha256
""")


def _principal(session: Session, token: str, bind: bool) -> Principal:
    row = session.execute(_TOKEN_SQL, {"sha256": hash_token(token), "bind": bind}).first()
    if row is None:
        raise AuthError("the bearer token is not known", token_given=True)
    if row.revoked_at is not None:
        raise AuthError("the bearer token was revoked", token_given=True)
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        raise AuthError("the bearer token has expired", token_given=True)
    if not row.active:
        raise AuthError("the user is deactivated", token_given=True)
    if bind and not row.bound:  # the database's clock says expired: it is, then
        raise AuthError("the bearer token has expired", token_given=True)
    return Principal(row.id, row.username, Role(row.role), row.operator_id)


def authenticate(session: Session, token: str) -> Principal:
    """Return the principal of a bearer ``token`` or raise :class:`AuthError`."""
    return _principal(session, token, bind=False)


def sign_in(session: Session, token: str) -> Principal:
    """:func:`authenticate` then :func:`bind_principal`, in one round trip to the database:
    what every authenticated request does first. Raises :class:`AuthError` (nothing is bound
    then, or the caller's transaction is rolled back by the error)."""
    return _principal(session, token, bind=True)


def token_expiry(session: Session, token: str) -> datetime | None:
    """When ``token`` expires (None: never, or unknown token)."""
    return session.scalar(
        select(ApiToken.expires_at).where(ApiToken.token_sha256 == hash_token(token)))


def bind_principal(session: Session, principal: Principal) -> None:
    """Make this transaction act as ``principal``: audit rows name them, and an operator's user
    is confined by PostgreSQL row-level security to its own operator's rows (the transaction
    switches to the role ``telecom_gis_operator``, whose policies read the operator scope)."""
    session.execute(
        text(
            "SELECT set_config('telecom_gis.actor', :actor, true),"
            " set_config('telecom_gis.operator_scope', :scope, true)"
        ),
        {
            "actor": f"user:{principal.username}",
            "scope": str(principal.operator_id) if principal.is_operator else "",
        },
    )
    if principal.is_operator:
        session.execute(text(f"SET LOCAL ROLE {OPERATOR_DB_ROLE}"))


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise :class:`ForbiddenError` unless ``principal`` has one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise ForbiddenError(f"this needs the role {allowed}; you are {principal.role.value}")

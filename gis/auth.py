"""Users and bearer tokens. A token is shown once when issued and stored only as its SHA-256.

Tokens are 256-bit random strings (``tg_`` + 43 URL-safe characters), so a plain SHA-256 is
enough to store them: unlike passwords they cannot be guessed from a dictionary.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from gis.choices import Role
from gis.errors import GisError, NotFoundError
from gis.models import ApiToken, Operator, User

TOKEN_PREFIX = "tg_"


class AuthError(GisError):
    """A token is missing, unknown, expired or revoked (HTTP 401)."""


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


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session, username: str, full_name: str, role: Role, operator_code: str | None = None
) -> User:
    """Create a user; an operator user needs ``operator_code``, other roles must not have one."""
    operator_id = None
    if role is Role.OPERATOR:
        if not operator_code:
            raise GisError("an operator user needs --operator (the operator's code)")
        operator_id = session.scalar(
            select(Operator.id).where(func.upper(Operator.code) == operator_code.upper())
        )
        if operator_id is None:
            raise NotFoundError(f"unknown operator {operator_code!r}")
    elif operator_code:
        raise GisError(f"a {role.value} user does not belong to an operator; drop --operator")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise GisError(f"user {username!r} already exists")
    user = User(username=username, full_name=full_name, role=role.value, operator_id=operator_id)
    session.add(user)
    session.flush()
    return user


def issue_token(
    session: Session, username: str, days: int, label: str | None = None
) -> tuple[str, ApiToken]:
    """Issue a token for ``username`` valid ``days`` days; returns (plaintext, row)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"unknown user {username!r}")
    if not user.active:
        raise GisError(f"user {username!r} is deactivated")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_sha256=hash_token(plaintext),
        label=label,
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return plaintext, row


def revoke_token(session: Session, token_id: int) -> None:
    """Revoke a token by its id (the row stays, for the audit trail)."""
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    ).rowcount
    if not done:
        raise NotFoundError(f"no active token with id {token_id}")


def authenticate(session: Session, token: str) -> Principal:
    """Return the principal of a bearer ``token`` or raise :class:`AuthError`."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_sha256 == hash_token(token))
    ).first()
    if row is None:
        raise AuthError("the bearer token is not known")
    api_token, user = row
    if api_token.revoked_at is not None:
        raise AuthError("the bearer token was revoked")
    if api_token.expires_at is not None and api_token.expires_at <= datetime.now(UTC):
        raise AuthError("the bearer token has expired")
    if not user.active:
        raise AuthError("the user is deactivated")
    return Principal(user.id, user.username, Role(user.role), user.operator_id)


#: The database role an operator user's transaction switches to (row-level security applies).
OPERATOR_DB_ROLE = "telecom_gis_operator"


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

"""Users and tokens on the wire. A token's plaintext appears once, in :class:`TokenIssued`;
its hash never leaves the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Label, label_of, labelled
from gis.auth import FULL_NAME_MAX, USERNAME_PATTERN, UserInfo
from gis.choices import Role
from gis.models import ApiToken

RoleField = labelled(Role)
MAX_TOKEN_DAYS = 365

Username = Annotated[str, Field(pattern=USERNAME_PATTERN, examples=["thanhtra.nguyen"],
                                description="2-64 characters: a-z, 0-9, '.', '_', '-'.")]
FullName = Annotated[str, Field(min_length=1, max_length=FULL_NAME_MAX,
                                examples=["Nguyễn Văn An"])]


class Me(BaseModel):
    """Who the bearer token belongs to."""

    username: str = Field(examples=["thanhtra.nguyen"])
    full_name: str = Field(examples=["Nguyễn Văn An"])
    role: RoleField = Field(examples=["inspector"])
    role_label: Label = Field(description="The role in Vietnamese and English.")
    operator: str | None = Field(
        examples=[None], description="Operator code, for an operator's users (else null)."
    )

    @classmethod
    def of(cls, info: UserInfo) -> Me:
        """From a :class:`gis.auth.UserInfo`."""
        return cls(username=info.username, full_name=info.full_name, role=info.role,
                   role_label=label_of(info.role), operator=info.operator_code)


class UserPublic(Me):
    """A user as administrators see it."""

    id: int = Field(examples=[7])
    active: bool = Field(examples=[True], description="False: every token is refused.")
    created_at: datetime = Field(examples=["2025-07-01T08:30:00+07:00"])
    active_tokens: int | None = Field(
        default=None, examples=[1], description="Tokens neither revoked nor expired."
    )

    @classmethod
    def of(cls, info: UserInfo) -> UserPublic:
        """From a :class:`gis.auth.UserInfo`."""
        return cls(id=info.id, username=info.username, full_name=info.full_name, role=info.role,
                   role_label=label_of(info.role), operator=info.operator_code,
                   active=info.active, created_at=info.created_at,
                   active_tokens=info.active_tokens)


class UserCreate(BaseModel):
    """A new user. ``operator`` (the operator's code) is required for the role ``operator``
    and refused for the other roles (checked by :func:`gis.auth.create_user`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"username": "thanhtra.nguyen", "full_name": "Nguyễn Văn An", "role": "inspector"},
            {"username": "vnpt.tb", "full_name": "VNPT Thái Bình", "role": "operator",
             "operator": "VNPT"},
        ]},
    )

    username: Username
    full_name: FullName
    role: RoleField = Field(examples=["inspector"])
    operator: str | None = Field(default=None, max_length=16, examples=["VNPT"])


class UserUpdate(BaseModel):
    """Changes to a user: full name and/or whether it may sign in."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"active": False}, {"full_name": "Trần Thị Bình"}]},
    )

    full_name: FullName | None = None
    active: bool | None = Field(default=None, examples=[False])

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.full_name is None and self.active is None:
            raise ValueError("give full_name and/or active")
        return self


class TokenCreate(BaseModel):
    """A new token; ``days`` defaults to the server's ``TELECOM_GIS_TOKEN_DAYS`` (180)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"days": 90, "label": "tablet 3"}]},
    )

    days: int | None = Field(default=None, ge=1, le=MAX_TOKEN_DAYS, examples=[90])
    label: str | None = Field(default=None, max_length=200, examples=["tablet 3"])


class TokenPublic(BaseModel):
    """A token without its secret: when made, until when valid, whether revoked."""

    id: int = Field(examples=[12])
    username: str = Field(examples=["thanhtra.nguyen"])
    label: str | None = Field(examples=["tablet 3"])
    created_at: datetime = Field(examples=["2025-07-01T08:30:00+07:00"])
    expires_at: datetime | None = Field(examples=["2025-09-29T08:30:00+07:00"])
    revoked_at: datetime | None = Field(examples=[None])
    active: bool = Field(examples=[True], description="Neither revoked nor expired.")

    @classmethod
    def of(cls, token: ApiToken, username: str, now: datetime) -> TokenPublic:
        """From an ``api_tokens`` row (never its hash)."""
        active = token.revoked_at is None and (token.expires_at is None or token.expires_at > now)
        return cls(id=token.id, username=username, label=token.label,
                   created_at=token.created_at, expires_at=token.expires_at,
                   revoked_at=token.revoked_at, active=active)


class TokenIssued(TokenPublic):
    """A token just issued: ``token`` is its plaintext, shown this once and never again."""

    token: str = Field(examples=["tg_3q2-7wZ0kq8m9XbT1yR4uVc5NnA6pL0sDfGhJkLzXcV"],
                       description="Send as `Authorization: Bearer <token>`. Not stored.")

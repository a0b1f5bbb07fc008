"""`telecom-gis users add|token|list|revoke|deactivate|activate`: people and their API tokens.

Exit codes: 0 done; 2 bad input (unknown user or operator, taken username, bad option; nothing
written); 1 the database refused; 3 no database. Every write is one transaction recorded in the
audit log as ``cli:<os user>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from gis import auth
from gis.choices import Role, label
from gis.cli.common import actor, cli_transaction, console, err_console
from gis.settings import get_settings

app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)

T = TypeVar("T")

#: Option names shown in messages, by the domain's field names.
OPTIONS = {"username": "USERNAME", "operator": "--operator", "full_name": "--name",
           "days": "--days"}


@contextmanager
def _writing() -> Iterator[Session]:
    """One transaction as the CLI actor; domain errors exit 2, database errors 1."""
    with cli_transaction(OPTIONS, actor=actor()) as session:
        yield session


def _run(work: Callable[[Session], T]) -> T:
    with _writing() as session:
        return work(session)


@app.command()
def add(
    username: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '.', '_', '-'.")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.",
                                       case_sensitive=False)],
    name: Annotated[str, typer.Option("--name", help="Full name, e.g. \"Nguyễn Văn An\".")],
    operator: Annotated[str | None, typer.Option(
        "--operator", help="Operator code (e.g. VNPT); required for --role operator.")] = None,
) -> None:
    """Create a user. Then give it a token with `telecom-gis users token USERNAME`."""
    user = _run(lambda s: auth.create_user(s, username, name, role, operator))
    where = f", operator {operator.upper()}" if operator else ""
    console.print(escape(f"created user {user.username} ({role.value}: "
                         f"{label(role, 'en')}{where})"), highlight=False)


@app.command()
def token(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    days: Annotated[int | None, typer.Option(
        "--days", min=1, max=365, help="Days the token stays valid [default: "
        "TELECOM_GIS_TOKEN_DAYS, 180].")] = None,
    token_label: Annotated[str | None, typer.Option(
        "--label", help="What the token is for, e.g. \"tablet 3\".")] = None,
) -> None:
    """Issue a bearer token and print it ONCE: it is stored only as a hash."""
    valid_days = days or get_settings().token_days
    plaintext, row = _run(lambda s: auth.issue_token(s, username, valid_days, token_label))
    expires = row.expires_at.astimezone().strftime("%Y-%m-%d %H:%M %Z")
    err_console.print(escape(f"token {row.id} for {username}, valid until {expires}. "
                             "Copy it now: it is not shown again."), highlight=False,
                      soft_wrap=True)
    typer.echo(plaintext)


@app.command("list")
def list_users() -> None:
    """List users: role, operator, whether active, and how many valid tokens each has."""
    with cli_transaction(OPTIONS) as session:
        users = auth.list_users(session)
    table = Table(title=f"{len(users)} users", title_justify="left")
    for column in ("username", "name", "role", "operator", "active", "tokens active"):
        table.add_column(column, justify="right" if column == "tokens active" else "left")
    for u in users:
        table.add_row(escape(u.username), escape(u.full_name), u.role.value,
                      u.operator_code or "", "yes" if u.active else "no", str(u.active_tokens))
    console.print(table)


@app.command()
def revoke(token_id: Annotated[int, typer.Argument(help="The token's id (see the API's "
                                                     "GET /users/{username}/tokens).")]) -> None:
    """Revoke a token: it is refused from now on."""
    row = _run(lambda s: auth.revoke_token(s, token_id))
    console.print(f"token {row.id} revoked", highlight=False)


@app.command()
def deactivate(username: Annotated[str, typer.Argument(help="Who.")]) -> None:
    """Deactivate a user: every token of theirs is refused from now on."""
    _run(lambda s: auth.deactivate_user(s, username))
    console.print(escape(f"user {username} deactivated; its tokens are refused"),
                  highlight=False)


@app.command()
def activate(username: Annotated[str, typer.Argument(help="Who.")]) -> None:
    """Reactivate a deactivated user: its tokens that are neither revoked nor expired work
    again."""
    _run(lambda s: auth.set_active(s, username, True))
    console.print(escape(f"user {username} activated"), highlight=False)

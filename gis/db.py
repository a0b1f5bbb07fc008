"""Engines and sessions. Nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gis.errors import DatabaseUnavailableError


def normalise_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver when a bare ``postgresql://`` URL is given."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


#: Connections an engine keeps open (opened on demand, so a CLI run opens one). The API serves
#: sync routes from a pool of 40 threads: with fewer pooled connections than concurrent
#: requests, each request past the pool opens a new PostgreSQL backend and closes it again,
#: which costs more than the request itself.
POOL_SIZE = 20
#: Connections opened past ``POOL_SIZE`` under bursts (closed when returned).
POOL_OVERFLOW = 20


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url``.

    No pre-ping: checking each pooled connection with ``SELECT 1`` before use is one more
    round trip on every request. When PostgreSQL has restarted, the first statement on a
    stale connection fails instead (the API answers 503 with ``Retry-After``); SQLAlchemy
    then discards every connection opened before the failure, so the requests after it
    reconnect by themselves."""
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    return create_engine(normalise_url(url), **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine``; sessions do not expire on commit."""
    return sessionmaker(engine, expire_on_commit=False)


def check_connection(engine: Engine) -> str:
    """Connect once and return the PostGIS version, or raise DatabaseUnavailableError."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    except Exception as exc:  # noqa: BLE001 - any driver error means the same to a user
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailableError(
            f"cannot use the database at {url}: {exc.__class__.__name__}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}. "
            "Run `make db` to start the local PostGIS, or set TELECOM_GIS_DATABASE_URL."
        ) from exc


def set_actor(session: Session, actor: str) -> None:
    """Name who makes this transaction's changes; history rows record it (``recorded_by``)."""
    session.execute(text("SELECT set_config('telecom_gis.actor', :actor, true)"), {"actor": actor})


@contextmanager
def transaction(engine: Engine, actor: str | None = None) -> Iterator[Session]:
    """Yield a session inside one transaction: committed on success, rolled back on any error."""
    with session_factory(engine)() as session, session.begin():
        if actor:
            set_actor(session, actor)
        yield session

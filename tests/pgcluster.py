"""Private PostgreSQL clusters for the tests that must stop, restart or replicate a server
(the shared cluster serves every other test and must stay up).

A cluster is made with the PostgreSQL 15 binaries as the ``postgres`` user (``initdb`` refuses
root) in a fresh directory under /tmp, listens on 127.0.0.1 on a free port with ``trust``
authentication (loopback only, for the test's lifetime), and is stopped and deleted afterwards.
Databases get PostGIS and the migrated schema like the shared test database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from gis.db import make_engine
from gis.migrate import upgrade

BIN = Path("/usr/lib/postgresql/15/bin")
OS_USER = "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a PostgreSQL binary as the ``postgres`` OS user (``runuser`` when we are root)."""
    command = [str(BIN / args[0]), *args[1:]]
    if os.geteuid() == 0:
        command = ["runuser", "-u", OS_USER, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if check and result.returncode:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}): "
                           f"{result.stderr.strip() or result.stdout.strip()}")
    return result


@dataclass
class Cluster:
    """A running private cluster: its data directory and port."""

    directory: Path
    port: int
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this cluster (user postgres, trust auth)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = " ".join([f"-p {self.port}", "-c listen_addresses=127.0.0.1",
                            f"-c unix_socket_directories={self.directory}",
                            *(f"-c {k}={v}" for k, v in self.settings.items())])
        as_postgres("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w",
                    "-t", "60", "-o", options, *extra)

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self.pg_ctl("restart", "-m", mode)

    def create_database(self, name: str) -> str:
        """A database ``name`` with PostGIS and the schema at head; its URL."""
        admin = make_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        engine = make_engine(self.url(name))
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            upgrade(engine)
        finally:
            engine.dispose()
        return self.url(name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            as_postgres("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w",
                        check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def new_cluster(**settings: str) -> Cluster:
    """initdb and start a private cluster (``settings``: extra server settings, e.g.
    ``wal_level="replica"``). The caller removes it (:meth:`Cluster.remove`)."""
    directory = Path(tempfile.mkdtemp(prefix="telecom-gis-pg-"))
    shutil.chown(directory, OS_USER, OS_USER)
    cluster = Cluster(directory, free_port(), {"fsync": "off", **settings})
    try:
        as_postgres("initdb", "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")
        cluster.start()
    except BaseException:
        cluster.remove()
        raise
    return cluster


def new_replica(primary: Cluster) -> Cluster:
    """A hot-standby streaming replica of ``primary``: ``pg_basebackup -R`` (which writes the
    primary's address and ``standby.signal``), then started on a port of its own. The caller
    removes it."""
    directory = Path(tempfile.mkdtemp(prefix="telecom-gis-pg-replica-"))
    shutil.chown(directory, OS_USER, OS_USER)
    replica = Cluster(directory, free_port(), {"fsync": "off", "hot_standby": "on"})
    try:
        as_postgres("pg_basebackup", "-D", str(replica.data), "-h", "127.0.0.1",
                    "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream",
                    "--checkpoint=fast", "--no-sync")
        replica.start()
    except BaseException:
        replica.remove()
        raise
    return replica

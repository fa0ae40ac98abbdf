"""A real PostgreSQL for the test session: one cluster per session, one database per test.

The cluster is Debian's ``postgresql`` package run by ``initdb``/``pg_ctl`` in a temporary directory,
listening on a free port of 127.0.0.1 only, with trust authentication and durability switched off
(a test cluster loses nothing that matters when the machine stops). Each test gets its own database,
created from a template (``CREATE DATABASE … TEMPLATE``), which takes tens of milliseconds.

Binaries are found on ``PATH``, else in ``/usr/lib/postgresql/<major>/bin`` (where Debian puts them;
``.ci/run`` installs the package when they are missing). Without them the fixtures skip and say so.
PostgreSQL refuses to run as root: as root, the cluster runs as the ``postgres`` system user (which
Debian's package creates).

Use from a test module or a ``conftest.py`` (the root conftest registers this module as a plugin)::

    def test_x(postgres_dsn: str) -> None: ...         # libpq "dbname=… host=… port=… user=…"
    def test_y(pg_cluster: PgCluster) -> None: ...      # pg_cluster.new_database() → dsn
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: the database every test database is copied from (empty; a test may create its own templates)
TEMPLATE = "pressroom_template"


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``psql`` of one PostgreSQL installation."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        bindir = Path(found).resolve().parent
        if (bindir / "pg_ctl").exists() and (bindir / "psql").exists():
            return bindir
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    for initdb in reversed(debian):
        if (initdb.parent / "pg_ctl").exists() and (initdb.parent / "psql").exists():
            return initdb.parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgCluster:
    """A running cluster: ``dsn(dbname)`` for libpq, ``sql()`` to run statements as the superuser."""

    bindir: Path
    root: Path
    port: int
    user: str = "postgres"
    _names: Iterator[int] = field(default_factory=itertools.count)

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={self.user}"

    def sql(self, statement: str, *, dbname: str = "postgres") -> str:
        """Run one statement with ``psql`` (outside a transaction block, so ``CREATE DATABASE`` works)."""
        done = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", dbname, "-c", statement],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed ({done.returncode}): {statement}\n{done.stderr}")
        return done.stdout

    def new_database(self, *, template: str = TEMPLATE) -> str:
        """A fresh database copied from ``template``; returns its libpq connection string."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.dsn(name)


def _as_cluster_user(command: list[str], owner: str | None) -> list[str]:
    if owner is None:
        return command
    return ["runuser", "-u", owner, "--", *command]


def start_cluster(bindir: Path, root: Path) -> PgCluster:
    """initdb + pg_ctl start in ``root`` (which must be empty or absent); the caller stops it."""
    owner: str | None = None
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no `postgres` system user to run PostgreSQL as "
                               "(install Debian's postgresql package, which creates it)") from None
        owner = "postgres"
        root.mkdir(parents=True, exist_ok=True)
        os.chown(root, account.pw_uid, account.pw_gid)
    data = root / "data"
    run = subprocess.run(
        _as_cluster_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                          "--no-sync", "-E", "UTF8", "--locale=C"], owner),
        capture_output=True, text=True, timeout=120, check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"initdb failed: {run.stderr or run.stdout}")
    port = _free_port()
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    start = subprocess.run(
        _as_cluster_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                          "-o", options, "-w", "-t", "60", "start"], owner),
        capture_output=True, text=True, timeout=90, check=False,
    )
    if start.returncode != 0:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {start.stderr or start.stdout}\n{log}")
    cluster = PgCluster(bindir=bindir, root=root, port=port)
    cluster.sql(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE template0')
    return cluster


def stop_cluster(cluster: PgCluster) -> None:
    owner = "postgres" if os.geteuid() == 0 else None
    subprocess.run(
        _as_cluster_user([str(cluster.bindir / "pg_ctl"), "-D", str(cluster.root / "data"),
                          "-m", "immediate", "-w", "stop"], owner),
        capture_output=True, timeout=60, check=False,
    )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the whole test session (started on first use, ~2 s)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl, psql) on PATH or in /usr/lib/postgresql/*/bin; "
                    "install Debian's postgresql package (.ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="pressroom-pg-"))
    cluster = start_cluster(bindir, root)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
        with contextlib.suppress(OSError):
            shutil.rmtree(root)


@pytest.fixture
def postgres_dsn(pg_cluster: PgCluster) -> str:
    """A new, empty database of the session's cluster, as a libpq connection string."""
    return pg_cluster.new_database()

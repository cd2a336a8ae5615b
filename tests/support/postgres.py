"""A throwaway PostgreSQL cluster for the tests: no root, no system service, no TCP.

The session fixture :func:`postgres_url` makes a cluster with Debian's ``initdb`` (the newest
``/usr/lib/postgresql/<version>/bin``, else the one on the PATH) in a new temporary folder,
starts it with ``pg_ctl`` listening on a Unix socket in that folder only
(``-k <folder> -c listen_addresses=''``), waits until it accepts connections by polling
(connecting, never a fixed sleep), creates a database and yields its SQLAlchemy URL
(``postgresql+psycopg://presence@/presence_test?host=<folder>``); at the end of the session
the cluster is stopped (``pg_ctl stop -m fast``) and its folder removed. :func:`new_database`
makes more databases in it (one per test that needs an empty store).

PostgreSQL refuses to run as root. When the tests run as root (CI does), ``initdb``,
``pg_ctl`` and the server run as the system user ``postgres`` (made by Debian's ``postgresql``
package; ``nobody`` if it is absent), through ``subprocess``'s ``user=``/``group=`` (no
``su``/``sudo`` needed); the temporary folder is given to that user. Authentication is ``trust``
on the private socket (the folder is 0700: only that user and root reach it). The cluster is a
test's: ``fsync`` and synchronous commits are off.

Without ``initdb`` the fixture fails (it does not skip) and says to run ``make setup-test``,
which installs Debian's ``postgresql`` package.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url

#: the cluster's superuser (trust authentication on the private socket)
SUPERUSER = "presence"
DATABASE = "presence_test"
#: seconds to wait for the server to accept connections
READY_TIMEOUT = 60.0
MISSING = ("PostgreSQL introuvable : pas d'initdb dans /usr/lib/postgresql/*/bin ni dans le "
           "PATH. Lancez `make setup-test` (installe le paquet Debian postgresql). / PostgreSQL's "
           "initdb not found: run `make setup-test`.")
#: while the server starts, connections are refused with this line in its log: not a failure
_STARTING = "the database system is starting up"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest version, else the PATH's."""
    def version(path: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", Path(path).parent.name))

    found = [p for p in glob.glob("/usr/lib/postgresql/*/bin")
             if os.access(Path(p) / "initdb", os.X_OK) and os.access(Path(p) / "pg_ctl", os.X_OK)]
    if found:
        return Path(max(found, key=version))
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl", path=str(Path(initdb).resolve().parent)):
        return Path(initdb).resolve().parent
    return None


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the cluster: None (the tests' user) unless the tests run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("tests run as root and neither user postgres nor nobody exists")


class Cluster:
    """One PostgreSQL cluster in ``base`` (data in ``base/data``, socket and log in ``base``)."""

    def __init__(self, bin_path: Path) -> None:
        self.bin = bin_path
        self.user = _server_user()
        self.base = Path(tempfile.mkdtemp(prefix="presence-pg-"))  # 0700
        if self.user is not None:
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.started = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """A PostgreSQL program, as the server's user, in the cluster's folder, without the
        caller's PG* variables."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C", HOME=str(self.base))
        kw = {}
        if self.user is not None:
            kw = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=self.base, env=env,
                              capture_output=True, text=True, timeout=120, **kw)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}\n{self.log_tail()}")
        return done

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.base}"

    def connect(self, database: str = "postgres", timeout: int = 5):
        import psycopg

        return psycopg.connect(host=str(self.base), user=SUPERUSER, dbname=database,
                               connect_timeout=timeout, autocommit=True)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        options = (f"-k {self.base} -c listen_addresses='' -c unix_socket_permissions=0700 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=100")
        self._run("pg_ctl", "start", "-W", "-D", str(self.data), "-l", str(self.log),
                  "-o", options)
        self.started = True
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Poll: connect until the server answers; fail at once if its log shows it died."""
        import psycopg

        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                self.connect(timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                failed = [line for line in self.log_tail(200).splitlines()
                          if ("FATAL" in line or "PANIC" in line) and _STARTING not in line]
                if failed or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start ({exc}):\n"
                                       f"{self.log_tail()}") from exc
                time.sleep(0.05)  # the polling interval

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are ended) and remove the folder."""
        try:
            if self.started:
                done = self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w",
                                 check=False)
                if done.returncode != 0:  # still running: immediate shutdown
                    self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w",
                              check=False)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        return new_database(self.url(), name)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A started cluster, stopped and removed on exit; fails when PostgreSQL is not installed."""
    found = bin_dir()
    if found is None:
        pytest.fail(MISSING, pytrace=False)
    cluster = Cluster(found)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def new_database(url: str, name: str) -> str:
    """Another empty database in the cluster of ``url`` (a URL from :func:`postgres_url`)."""
    import psycopg

    if not _NAME.fullmatch(name):
        raise ValueError(f"bad database name {name!r}")
    u = make_url(url)
    with psycopg.connect(host=u.query["host"], user=u.username, dbname=u.database,
                         autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return u.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The SQLAlchemy URL of an empty database in a throwaway cluster (one per test session)."""
    with throwaway_cluster() as cluster:
        yield cluster.create_database(DATABASE)

"""A throwaway PostgreSQL server for the tests and the benchmarks.

``temporary_server()`` runs ``initdb`` in a fresh temporary directory, starts ``postgres``
on a free port of 127.0.0.1 with password-less (trust) access, yields an admin URL, and
on exit stops the server and deletes the directory. PostgreSQL refuses to run as root, so
when the tests run as root the server runs as the ``postgres`` account (``runuser``).

``fresh_database()`` creates an empty database on a server and drops it afterwards.

The tests use one server per session through the ``postgres_admin_url`` fixture in
``conftest.py``; setting ``FORECAST_TEST_POSTGRES`` to an admin URL uses that server instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

ADMIN_ENV = "FORECAST_TEST_POSTGRES"
SERVER_ACCOUNT = "postgres"  # the OS account Debian's package creates, used when we are root
NEEDED = ("initdb", "pg_ctl", "postgres")
START_ATTEMPTS = 3  # a free port can be taken by someone else between choosing and binding
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections

# Throwaway data needs no crash safety; skipping fsync makes CREATE DATABASE and each commit
# much cheaper. ``durable=True`` keeps PostgreSQL's defaults, for honest benchmark figures.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class Unavailable(RuntimeError):
    """No PostgreSQL server programs on this machine."""


def server_programs() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None if there is none."""
    on_path = [shutil.which(name) for name in NEEDED]
    if all(on_path):
        return Path(os.path.realpath(on_path[0] or "")).parent
    # Debian keeps the server programs off the PATH, one directory per major version.
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    for directory in sorted(versions, key=_major_version, reverse=True):
        if all((Path(directory) / name).exists() for name in NEEDED):
            return Path(directory)
    return None


def unavailable_reason() -> str | None:
    """Why no server can be started here (None if one can)."""
    if os.environ.get(ADMIN_ENV):
        return None
    if server_programs() is None:
        return (
            f"no PostgreSQL server programs ({', '.join(NEEDED)}): install Debian's "
            f"`postgresql` package or set {ADMIN_ENV} to an admin URL"
        )
    return None


@contextlib.contextmanager
def temporary_server(*, durable: bool = False) -> Iterator[str]:
    """Start a private PostgreSQL server; yield its admin URL; stop and delete it afterwards."""
    programs = server_programs()
    if programs is None:
        raise Unavailable(unavailable_reason() or "no PostgreSQL server programs")
    as_account = _account_prefix()
    workdir = Path(tempfile.mkdtemp(prefix="forecast-pg-"))
    try:
        if as_account:
            account = pwd.getpwnam(SERVER_ACCOUNT)
            os.chown(workdir, account.pw_uid, account.pw_gid)
        data = workdir / "data"
        _initdb(programs, as_account, workdir)
        port = _start(programs, as_account, workdir, durable)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            # Immediate: the data is about to be deleted, so a clean shutdown buys nothing.
            _pg_ctl(programs, as_account, data, "-m", "immediate", "stop")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """Create an empty database on the server at ``admin_url``; yield its URL; drop it after."""
    from sqlalchemy import create_engine, make_url

    from forecast.store import to_url

    name = f"forecast_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(to_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield make_url(to_url(admin_url)).set(database=name).render_as_string(False)
        finally:
            with admin.connect() as conn:
                # FORCE: a test that failed may have left a connection open.
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


def client_program(name: str) -> str | None:
    """A client program (pg_dump, pg_restore, psql) matching the server's version if possible."""
    programs = server_programs()
    if programs is not None and (programs / name).exists():
        return str(programs / name)
    return shutil.which(name)


# ---------------------------------------------------------------------- internals


def _major_version(directory: str) -> int:
    part = Path(directory).parent.name
    return int(part) if part.isdigit() else 0


def _account_prefix() -> list[str]:
    """The command prefix that runs the server as an unprivileged account when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        raise Unavailable(
            f"running as root and there is no {SERVER_ACCOUNT!r} account to run PostgreSQL as"
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root and `runuser` is missing")
    return [runuser, "-u", SERVER_ACCOUNT, "--"]


def _start(programs: Path, as_account: list[str], workdir: Path, durable: bool) -> int:
    settings = [] if durable else list(FAST_SETTINGS)
    failure = ""
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        options = [
            "-p", str(port), "-c", "listen_addresses=127.0.0.1",
            # The socket goes into our directory: /var/run/postgresql may not exist.
            "-k", str(workdir),
        ]  # fmt: skip
        for setting in settings:
            options += ["-c", setting]
        log = workdir / f"server-{port}.log"
        wait = ("-w", "-t", str(START_TIMEOUT))
        started = _pg_ctl(
            programs, as_account, workdir / "data", "-l", str(log), *wait,
            "-o", shlex.join(options), "start",
        )  # fmt: skip
        if started.returncode == 0:
            return port
        failure = _tail(log) or started.stderr.strip()
    raise RuntimeError(f"PostgreSQL did not start: {failure}")


def _pg_ctl(
    programs: Path, as_account: list[str], data: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    command = [*as_account, str(programs / "pg_ctl"), "-D", str(data), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=data.parent)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _initdb(programs: Path, as_account: list[str], workdir: Path) -> None:
    # C.UTF-8 keeps sorting and case rules the same on every machine; --no-sync because
    # the cluster is thrown away. cwd: the server account may not enter the caller's folder.
    command = [
        *as_account, str(programs / "initdb"), "-D", str(workdir / "data"), "-U", "postgres",
        "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=workdir)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()}")


def _tail(log: Path, lines: int = 5) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""

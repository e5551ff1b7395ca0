"""Throwaway PostgreSQL clusters for tests: start, bootstrap like Supabase, migrate, stop.

`PostgresCluster.start()` runs initdb and pg_ctl from /usr/lib/postgresql/*/bin
in a fresh temp dir (as the `postgres` user when we are root, since initdb
refuses root), listening on 127.0.0.1 on a free port with its socket in the
temp dir. It raises `PostgresError` with the server log's tail when anything
fails: tests that need the database must fail loudly, never skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_ROOT / "supabase" / "migrations"
BOOTSTRAP_SQL = Path(__file__).with_name("supabase_bootstrap.sql")

_SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "timezone=UTC",
    "max_connections=100",
)


class PostgresError(RuntimeError):
    """PostgreSQL could not be set up; the message carries the log tail."""


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name.split(".")[0]),
    )
    if not candidates:
        on_path = shutil.which("initdb")
        if on_path:
            return Path(on_path).parent
        raise PostgresError(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
            "(Debian: apt-get install postgresql-15 postgresql-client-15)"
        )
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """The project's migrations in the order Supabase applies them (by name)."""
    return sorted(directory.glob("*.sql"), key=lambda p: p.name)


@dataclass
class PostgresCluster:
    """One running cluster; `dsn` connects as the superuser `postgres`."""

    root: Path
    bindir: Path
    port: int = 0
    host: str = "127.0.0.1"
    dbname: str = "postgres"
    _owner: str | None = field(default=None, repr=False)

    # -- life cycle -------------------------------------------------------

    @classmethod
    def start(cls, bindir: Path | None = None) -> PostgresCluster:
        root = Path(tempfile.mkdtemp(prefix="mt5tray-pg-"))
        cluster = cls(root=root, bindir=bindir or find_bindir())
        try:
            cluster._prepare_dir()
            cluster._initdb()
            cluster._start_server()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def stop(self) -> None:
        """Stop the server (immediate mode: it holds only test data)."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                 "-w", "stop"],
                check=False,
            )

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- connection details -------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def dsn_for(self, user: str = "postgres", dbname: str | None = None) -> str:
        return (
            f"host={self.host} port={self.port} user={user} "
            f"dbname={dbname or self.dbname} connect_timeout=10"
        )

    @property
    def dsn(self) -> str:
        return self.dsn_for("postgres")

    @property
    def authenticator_dsn(self) -> str:
        """How the gateway connects, like PostgREST (exists after bootstrap)."""
        return self.dsn_for("authenticator")

    def connect(self, user: str = "postgres", **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.dsn_for(user), **kwargs)  # type: ignore[arg-type]

    # -- schema -------------------------------------------------------------

    def apply_sql_file(self, path: Path, dbname: str | None = None) -> None:
        """Run one SQL file with psql, stopping at the first error."""
        psql = self.bindir / "psql"
        cmd = [
            str(psql if psql.exists() else "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "--single-transaction", "-d", self.dsn_for("postgres", dbname), "-f", str(path),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise PostgresError(f"{path.name} failed to apply:\n{proc.stderr.strip()}")

    def apply_files(self, paths: Iterable[Path], dbname: str | None = None) -> None:
        for path in paths:
            self.apply_sql_file(path, dbname)

    def bootstrap_and_migrate(self, dbname: str | None = None) -> None:
        """What `supabase db push` sees: Supabase's base, then our migrations in order."""
        self.apply_files([BOOTSTRAP_SQL, *migration_files()], dbname)

    # -- internals ------------------------------------------------------------

    def _prepare_dir(self) -> None:
        if os.geteuid() == 0:
            self._owner = "postgres"
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)

    def _run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        if self._owner:
            cmd = ["runuser", "-u", self._owner, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise PostgresError(
                f"{' '.join(cmd)} exited with {proc.returncode}:\n"
                f"{proc.stdout.strip()}\n{proc.stderr.strip()}\n{self._log_tail()}"
            )
        return proc

    def _initdb(self) -> None:
        self._run([
            str(self.bindir / "initdb"), "-D", str(self.data_dir), "-A", "trust",
            "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync",
        ])

    def _start_server(self, attempts: int = 3) -> None:
        # The port is free when picked but another process may take it before
        # the server binds: try a few.
        for attempt in range(attempts):
            self.port = free_port()
            options = " ".join(
                [f"-k {self.root}", f"-p {self.port}", "-c listen_addresses=127.0.0.1"]
                + [f"-c {setting}" for setting in _SERVER_SETTINGS]
            )
            proc = self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
                 "-l", str(self.log_file), "-w", "-t", "60", "start"],
                check=False,
            )
            if proc.returncode == 0:
                return
            if "could not bind" not in self._log_tail() or attempt == attempts - 1:
                raise PostgresError(
                    f"PostgreSQL did not start (pg_ctl exit {proc.returncode}):\n"
                    f"{proc.stdout.strip()}\n{proc.stderr.strip()}\n{self._log_tail()}"
                )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "server log tail:\n" + "\n".join(text.splitlines()[-lines:])


def start_supabase_like_cluster() -> PostgresCluster:
    """A running cluster with the Supabase bootstrap and all migrations applied."""
    cluster = PostgresCluster.start()
    try:
        cluster.bootstrap_and_migrate()
    except BaseException:
        cluster.destroy()
        raise
    return cluster

"""A damaged journal file is noticed, moved aside and started afresh.

With corrupt data pages every sync used to fail with "Unexpected error" while
`status` still showed the last sync as a success. Now the journal is checked
when it is opened and again after an unexpected database error, with
SQLite's `PRAGMA quick_check` (the cheap form of integrity_check: every page
and record is read, indexes are not matched against their tables; see
tests/benchmarks/bench_journal_check.py for its cost). A damaged file is
renamed to `<name>.damaged-<UTC time><suffix>` (with its -wal/-shm files),
kept for inspection, and a fresh journal started in its place: the next sync
of each account is a first sync that imports the history again from the
terminal, and in Supabase mode the fresh journal queues it for upload again.
What the damaged file's outbox still held was never uploaded from it.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from mt5tray.core.errors import JournalUnavailable

log = logging.getLogger(__name__)

_SIDE_FILES = ("-wal", "-shm")


# SQLITE_CORRUPT and SQLITE_NOTADB: the file itself is bad. Anything else
# (locked, busy, disk full, I/O) is not damage and must never move a file.
_DAMAGE_CODES = (11, 26)


def is_damage(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and \
        getattr(exc, "sqlite_errorcode", None) in _DAMAGE_CODES


def problem_of(conn: sqlite3.Connection) -> str | None:
    """What `PRAGMA quick_check` finds wrong (first few lines), or None if sound."""
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):  # "file is not a database", "database disk image is malformed"
            return str(exc)
        raise
    found = [line for r in rows for line in str(r[0]).splitlines()
             if line and not line.startswith("*** in database")]
    if found == ["ok"]:
        return None
    return f"quick_check found {len(found)}+ problem(s), e.g. {found[0] if found else 'unknown'}"


def check_file(path: Path) -> str | None:
    """The problem of the journal file at `path`, or None (also when it is new)."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        return problem_of(conn)
    finally:
        conn.close()


def move_aside(path: Path) -> Path:
    """Rename the damaged file (and its WAL and shared-memory files); returns its new path."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.stem}.damaged-{stamp}-{counter}{path.suffix}")
    path.replace(target)
    for side in _SIDE_FILES:
        extra = Path(f"{path}{side}")
        if extra.exists():
            extra.replace(Path(f"{target}{side}"))
    return target


def damaged_message(path: Path, moved_to: Path, problem: str) -> str:
    return (f"The journal file {path} is damaged ({problem}); it was moved aside to {moved_to} "
            "and a fresh one started; nothing was uploaded from it. The next sync of each "
            "account imports its history again from the terminal.")


def set_aside_if_damaged(path: Path) -> str | None:
    """On open: check the file; if damaged, move it aside and say so (logged
    as an error, so the console shows it too). Returns the message."""
    problem = check_file(path)
    if problem is None:
        return None
    try:
        moved = move_aside(path)
    except OSError as exc:  # e.g. held open by another process on Windows
        raise JournalUnavailable(
            f"The journal file {path} is damaged ({problem}) and could not be moved aside "
            f"({exc.strerror or exc}). Quit every mt5tray (the tray too) and run it again; "
            "mt5tray then moves it aside and starts a fresh journal.") from None
    message = damaged_message(path, moved, problem)
    log.error("%s", message)
    return message

"""One writer at a time per MT5TRAY_HOME: an OS-level lock file in the data folder.

Why: the tray, `mt5tray sync`, `doctor` and a scheduled `serve-requests --once`
share one journal, one outbox and one keyring entry. Two of them syncing,
uploading, refreshing the Supabase session or creating the outbox key at the
same moment lose data (issue 8). Each of those jobs runs holding this lock;
a process that finds it taken waits (bounded) and says for whom it waits.

The lock is held per job (a sync, an upload, a session refresh, the start-up
repairs), never for a process's whole life, so a CLI command beside the tray
waits at most for the job the tray is doing. It is process-wide and
re-entrant across threads: the flusher's upload threads refresh the session
while the flushing thread holds it. Threads of one process are kept apart by
their own locks (one sync, one flush, one refresh at a time); this lock keeps
processes apart.

`filelock` takes an fcntl/flock lock on Unix and an msvcrt lock on Windows;
the OS drops it when its process dies, so a killed mt5tray never leaves the
home locked. Qt-free: every command and the headless agent use it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from mt5tray.core.errors import TransientError

log = logging.getLogger(__name__)

LOCK_FILE = "mt5tray.lock"
HOLDER_FILE = "mt5tray.lock.json"  # who holds it, for the waiting message only
WAIT_ENV = "MT5TRAY_LOCK_WAIT_S"
DEFAULT_WAIT_S = 300.0  # a first import of a long history takes a minute or two

Notice = Callable[[str], None]


class HomeBusy(TransientError):
    """Another mt5tray held the home for longer than we were willing to wait."""

    title = "mt5tray is busy"


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    command: str

    def describe(self) -> str:
        what = "the tray" if self.command == "tray" else f"`mt5tray {self.command}`"
        return f"the running mt5tray ({what}, pid {self.pid})"


def process_command(argv: list[str] | None = None) -> str:
    """This process's mt5tray command ("tray", "sync", ...), for the holder file.
    Only the command name: arguments may carry an e-mail or a key."""
    argv = sys.argv if argv is None else argv
    words = [a for a in argv[1:] if not a.startswith("-")]
    if "mt5tray" not in Path(argv[0] if argv else "").as_posix():
        return Path(argv[0]).name if argv else "python"
    return words[0] if words else "tray"


def wait_seconds() -> float:
    """How long a job waits for the lock: MT5TRAY_LOCK_WAIT_S, or 5 minutes."""
    try:
        return max(float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_S)), 0.0)
    except ValueError:
        log.warning("Ignoring %s=%r: not a number of seconds", WAIT_ENV,
                    os.environ.get(WAIT_ENV))
        return DEFAULT_WAIT_S


class HomeLock:
    """The lock of one data folder, shared by every thread of this process."""

    def __init__(self, folder: Path, notice: Notice | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / LOCK_FILE
        self._holder_path = folder / HOLDER_FILE
        self._file = FileLock(self.path, thread_local=False)
        self._mutex = threading.Lock()
        self._depth = 0
        self.notice: Notice = notice or log.warning

    @property
    def held_here(self) -> bool:
        return self._depth > 0

    @contextmanager
    def held(self, wait_s: float | None = None) -> Iterator[None]:
        """Hold the home for the block; raises HomeBusy after `wait_s` seconds
        (default: `wait_seconds()`) of waiting for another process."""
        with self._mutex:
            if self._depth == 0:
                self._acquire(wait_seconds() if wait_s is None else wait_s)
            self._depth += 1
        try:
            yield
        finally:
            with self._mutex:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def holder(self) -> Holder | None:
        """Who holds the lock now, as it wrote down (None if unknown)."""
        try:
            data = json.loads(self._holder_path.read_text(encoding="utf-8"))
            return Holder(int(data["pid"]), str(data["command"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    # --- internals -------------------------------------------------------------------

    def _acquire(self, wait_s: float) -> None:
        try:
            self._file.acquire(blocking=False)
        except Timeout:
            self._wait(wait_s)
        self._write_holder()

    def _wait(self, wait_s: float) -> None:
        holder = self.holder()
        who = holder.describe() if holder else "another running mt5tray"
        self.notice(f"Waiting up to {wait_s:g} s for {who} to finish its sync or upload: one "
                    f"mt5tray at a time writes to {self.folder}.")
        started = time.monotonic()
        try:
            self._file.acquire(timeout=wait_s)
        except Timeout:
            raise HomeBusy(
                f"{who[0].upper()}{who[1:]} kept {self.folder} busy for {wait_s:g} s; nothing "
                f"was done here. Try again when it has finished (or set {WAIT_ENV} to wait "
                "longer).") from None
        self.notice(f"Went ahead after waiting {time.monotonic() - started:.1f} s for {who}.")

    def _write_holder(self) -> None:
        try:
            self._holder_path.write_text(
                json.dumps({"pid": os.getpid(), "command": process_command(),
                            "since": time.time()}), encoding="utf-8")
        except OSError:
            log.debug("Could not write %s", self._holder_path, exc_info=True)

    def _release(self) -> None:
        try:
            self._holder_path.unlink(missing_ok=True)
        except OSError:
            log.debug("Could not remove %s", self._holder_path, exc_info=True)
        self._file.release()


_locks: dict[Path, HomeLock] = {}
_registry_lock = threading.Lock()


def home_lock(folder: Path) -> HomeLock:
    """The one HomeLock of `folder` in this process (two objects on one file
    would lock each other out within the process)."""
    key = folder.expanduser().resolve()
    with _registry_lock:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = HomeLock(key)
        return lock

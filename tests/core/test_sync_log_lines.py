"""C3/C6: every sync leaves one log line, every scheduled round a summary,
and a journal another program holds locked is a sentence, not a traceback."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mt5tray.bootstrap import App, Simulation, build_app
from mt5tray.core.models import SyncType, Trigger
from mt5tray.store import local

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "tests" / "scenarios" / "hedging_basic.json"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(local, "BUSY_TIMEOUT_S", 0.3)  # a lock is given up on quickly here
    built = build_app(Simulation(SCENARIO))
    yield built
    built.close()


def sync_lines(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("Sync (")]


def test_each_sync_logs_one_line_with_account_type_result_counts_duration(
        app: App, caplog: Any) -> None:
    caplog.set_level(logging.INFO)
    account = app.service.accounts()[0]
    result = app.service.sync_one(account, trigger=Trigger.CLI)
    lines = sync_lines(caplog)
    assert len(lines) == 1
    text = lines[0].getMessage()
    assert lines[0].levelno == logging.INFO
    assert text == f"Sync (cli): {result.summary()}"
    assert f"{result.login}@{result.server}" in text
    assert "first import succeeded" in text  # the account's first sync, a full one
    assert f"{result.duration_ms} ms" in text
    assert f"imported {result.counts.deals_inserted} deals" in text

    caplog.clear()
    app.service.sync_one(account, SyncType.FULL, Trigger.MANUAL, history_days=None)
    assert len(sync_lines(caplog)) == 1
    assert "Sync (manual):" in sync_lines(caplog)[0].getMessage()
    assert "full" in sync_lines(caplog)[0].getMessage()


def test_a_scheduled_round_ends_with_one_summary_line(app: App, caplog: Any) -> None:
    caplog.set_level(logging.INFO)
    app.service.scheduled_tick()
    rounds = [r.getMessage() for r in caplog.records if "round:" in r.getMessage()]
    assert len(rounds) == 1
    n = len(app.service.accounts())
    assert rounds[0].startswith(f"Scheduled sync round: {n} account{'s' if n != 1 else ''}, "
                                f"{n} succeeded, 0 failed, ")
    assert rounds[0].endswith(" s in all")
    assert len(sync_lines(caplog)) == n


def hold_lock(path: Path, locked: threading.Event, release: threading.Event) -> None:
    """What DB Browser or a backup tool does: hold an exclusive lock on the file."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    locked.set()
    release.wait(30)
    conn.execute("ROLLBACK")
    conn.close()


def test_a_locked_journal_is_a_sentence_and_logs_no_traceback(app: App, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    account = app.service.accounts()[0]
    app.service.sync_one(account, trigger=Trigger.CLI)  # the account exists in the journal
    caplog.clear()
    locked, release = threading.Event(), threading.Event()
    path = Path(app.store.path)
    holder = threading.Thread(target=hold_lock, args=(path, locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        result = app.service.sync_one(account, trigger=Trigger.CLI)
    finally:
        release.set()
        holder.join(10)
    assert not result.ok
    assert result.error == (f"Another program is using the journal file {path}; close it or "
                            "wait (antivirus and backup tools usually let go within a minute). "
                            "mt5tray tries again at the next sync; nothing is lost.")
    assert result.error_title == "Journal in use"
    above_debug = [r for r in caplog.records if r.levelno > logging.DEBUG]
    assert all(r.exc_info is None for r in above_debug), [r.getMessage() for r in above_debug]
    for r in above_debug:
        assert "OperationalError" not in r.getMessage()
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)  # for us
    line = sync_lines(caplog)[-1]
    assert line.levelno == logging.WARNING and "Another program is using" in line.getMessage()
    assert app.service.sync_one(account, trigger=Trigger.CLI).ok  # and it recovers

"""A journal file with corrupt data pages (issue 8): noticed on open and after
an unexpected database error, said plainly, moved aside (the new path named)
and rebuilt from the terminal; `status` never shows success for an account
whose syncs fail."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mt5tray.bootstrap import Simulation, build_app
from mt5tray.core.models import AccountRef, SyncStatus, SyncType, Trigger
from mt5tray.paths import AppPaths
from mt5tray.store.local_status import status_summary
from tests.test_cli import SCENARIO, run

PAGE = 4096


def corrupt_data_pages(path: Path) -> None:
    """Overwrite every page after the first two (the header and the schema
    survive, so the file still opens: only reading its tables fails)."""
    data = bytearray(path.read_bytes())
    for page in range(2, len(data) // PAGE):
        data[page * PAGE : (page + 1) * PAGE] = b"\xff" * PAGE
    data[24:28] = b"\x00\x00\xff\xff"  # file change counter: other connections re-read pages
    with path.open("r+b") as f:
        f.write(data)


def test_a_damaged_journal_is_moved_aside_on_open_and_rebuilt_from_the_terminal(tmp_path):
    home = tmp_path / "home"
    first = run(home, "sync", "--simulate", SCENARIO, "--json")
    assert first.returncode == 0, first.stderr
    journal = home / "data" / f"simulated-{Path(SCENARIO).stem}.sqlite3"
    corrupt_data_pages(journal)

    done = run(home, "sync", "--simulate", SCENARIO, "--json")

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    match = re.search(r"The journal file (\S+) is damaged \(.+\); it was moved aside to (\S+) "
                      r"and a fresh one started; nothing was uploaded from it", done.stderr)
    assert match, done.stderr
    assert Path(match.group(1)) == journal
    assert Path(match.group(2)).exists() and Path(match.group(2)).parent == journal.parent
    (result,) = json.loads(done.stdout)
    scenario = json.loads(Path(SCENARIO).read_text())
    assert result["status"] == "success" and result["sync_type"] == "full"
    assert result["deals_inserted"] == len(scenario["deals"])  # rebuilt from the terminal
    status = json.loads(run(home, "status", "--simulate", SCENARIO, "--json").stdout)
    assert status["totals"]["syncs"] == 1 and status["totals"]["deals_synced"] == len(
        scenario["deals"])


def test_damage_found_mid_run_fails_that_sync_plainly_and_the_next_one_rebuilds(tmp_path):
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "l")
    app = build_app(Simulation(None), None, paths=paths)  # the live demo: many pages
    try:
        assert app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None).ok
        app.store.query("PRAGMA wal_checkpoint(TRUNCATE)")
        corrupt_data_pages(app.store.path)

        failed = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)

        assert failed.status is SyncStatus.FAILED and failed.error_title == "Journal damaged"
        assert f"The journal file {app.store.path} is damaged" in failed.error
        moved = re.search(r"moved aside to (\S+) ", failed.error)
        assert moved and Path(moved.group(1)).exists()
        (account,) = status_summary(app.store)["accounts"]
        assert account["last_sync"]["status"] == "failed"  # never the old success

        rebuilt = app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
        assert rebuilt.ok and rebuilt.sync_type is SyncType.FULL
        assert rebuilt.counts.deals_inserted > 100
    finally:
        app.close()

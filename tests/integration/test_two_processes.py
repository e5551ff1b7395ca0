"""Two real `mt5tray sync` processes started at the same moment on one home
(issue 8): several such pairs at once, in Supabase mode (the gateway and
PostgreSQL) and in local mode. Each pair must end with Supabase equal to the
journal, and the journal equal to a clean single run.

Each Supabase pair gets its own D-Bus session and gnome-keyring, as two
processes on one PC share one keyring: empty at first (both look for the
outbox key at once) apart from the refresh token `mt5tray login` stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mt5tray.store.local import LocalStore
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.sim.scenario_dump import save_scenario
from tests.integration.agent_setup import comparable, write_settings
from tests.integration.test_supabase_sync import (
    DEAL_FIELDS,
    TRADE_FIELDS,
    assert_mirrored,
    local_rows,
)

REPO = Path(__file__).resolve().parents[2]
PAIRS = 3  # local pairs
SUPABASE_PAIRS = 3
TIMEOUT_S = 120
DEALS = 3000

# Both processes start together; the exit status of each lands in a file.
PAIR_SCRIPT = r"""
set -u
if [ -n "${FRESH_KEYRING:-}" ]; then
  echo -n trial-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
fi
if [ -n "${LOGIN_EMAIL:-}" ]; then
  printf '%s\n' "$LOGIN_PASSWORD" | "$PY" -m mt5tray login --email "$LOGIN_EMAIL" \
    > "$MT5TRAY_HOME/login.out" 2>&1 || exit 90
fi
"$PY" -m mt5tray "$@" > "$MT5TRAY_HOME/a.out" 2> "$MT5TRAY_HOME/a.err" & a=$!
"$PY" -m mt5tray "$@" > "$MT5TRAY_HOME/b.out" 2> "$MT5TRAY_HOME/b.err" & b=$!
wait $a; echo $? > "$MT5TRAY_HOME/a.rc"
wait $b; echo $? > "$MT5TRAY_HOME/b.rc"
"""


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "MT5TRAY_HOME": str(home), "PYTHONPATH": str(REPO),
            "PY": sys.executable, "QT_QPA_PLATFORM": "offscreen", **extra}


def _start_pair(home: Path, args: list[str], fresh_keyring: bool = False,
                **env: str) -> subprocess.Popen[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    command = ["bash", "-c", PAIR_SCRIPT, "pair", *args]
    if fresh_keyring:
        command = ["dbus-run-session", "--", *command]
        # Its own keyring files too: gnome-keyring keeps them in XDG_DATA_HOME.
        env.update(FRESH_KEYRING="1", XDG_DATA_HOME=str(home / "xdg-data"))
    return subprocess.Popen(command, env=_env(home, **env), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _finish(pairs: list[tuple[Path, subprocess.Popen[bytes]]]) -> None:
    for home, process in pairs:
        _, stderr = process.communicate(timeout=TIMEOUT_S)
        login = home / "login.out"
        assert process.returncode == 0, (stderr.decode(), login.exists() and login.read_text())
        for who in ("a", "b"):
            out, err = (home / f"{who}.out").read_text(), (home / f"{who}.err").read_text()
            assert (home / f"{who}.rc").read_text().strip() == "0", (home, who, out, err)
            assert "Traceback" not in err, err


def _journal(home: Path) -> LocalStore:
    return LocalStore(home / "data" / "simulated-history.sqlite3")  # the scenario's journal


def _same_as_a_clean_run(store: LocalStore, clean: LocalStore) -> None:
    """Deals and trades as one process alone writes them; each deal counted once."""
    for table, fields in (("deals", DEAL_FIELDS[:-1]), ("trades", TRADE_FIELDS)):
        assert comparable(local_rows(store, table, "ticket"), fields) == \
            comparable(local_rows(clean, table, "ticket"), fields), table
    logs = local_rows(store, "sync_logs", "started_at")
    assert [log["status"] for log in logs] == ["success", "success"]
    deals = store.query("SELECT count(*) FROM deals")[0][0]
    assert sum(log["deals_inserted"] for log in logs) == deals
    assert store.query("SELECT count(*) FROM outbox")[0][0] == 0


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    """A few thousand deals (the issue saw 6,000 counted for 3,000): long
    enough a sync that two started together overlap."""
    path = tmp_path_factory.mktemp("scenario") / "history.json"
    save_scenario(simulated.synthetic(deals=DEALS, seed=8), path, "issue 8: two processes")
    return path


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, scenario) -> LocalStore:
    home = tmp_path_factory.mktemp("clean")
    subprocess.run([sys.executable, "-m", "mt5tray", "sync", "--simulate", str(scenario)],
                   env=_env(home), cwd=REPO, check=True, capture_output=True,
                   timeout=TIMEOUT_S)
    return _journal(home)


def test_two_local_syncs_at_once_on_one_home_end_as_one_clean_run(tmp_path, scenario,
                                                                  clean_run):
    pairs = [(home, _start_pair(home, ["sync", "--simulate", str(scenario)]))
             for home in (tmp_path / f"home{i}" for i in range(PAIRS))]
    _finish(pairs)
    for home, _ in pairs:
        store = _journal(home)
        try:
            _same_as_a_clean_run(store, clean_run)
        finally:
            store.close()


@pytest.mark.postgres
def test_two_supabase_syncs_at_once_on_one_home_leave_supabase_equal_to_the_journal(
        tmp_path, pg, gateway, make_user, scenario, clean_run):
    pairs = []
    for i in range(SUPABASE_PAIRS):
        home, user = tmp_path / f"home{i}", make_user()
        write_settings(home, gateway.url, gateway.anon_key)
        process = _start_pair(home, ["sync", "--simulate", str(scenario), "--store", "supabase"],
                              fresh_keyring=True, LOGIN_EMAIL=user.email,
                              LOGIN_PASSWORD=user.password)
        pairs.append((home, process, user))
    _finish([(home, process) for home, process, _ in pairs])
    for home, _, user in pairs:
        store = _journal(home)
        try:
            _same_as_a_clean_run(store, clean_run)
            assert_mirrored(pg, store, user.id)
        finally:
            store.close()

"""`mt5tray serve-requests --once` (a scheduled task) while the tray runs on
the same home in Supabase mode (issue 8): it hands the job to the tray over
the single-instance channel, says so, and the tray serves the web journal's
request. Real processes: the tray (offscreen), the CLI, their own D-Bus
session and gnome-keyring, the gateway and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.agent_setup import SCENARIO, write_settings
from tests.integration.test_supabase_sync import remote_rows

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]

# The test drives it through flag files in the home: `go` runs the CLI, `stop` ends the tray.
SESSION = r"""
set -u
H="$MT5TRAY_HOME"
echo -n handover-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
printf '%s\n' "$LOGIN_PASSWORD" | "$PY" -m mt5tray login --email "$LOGIN_EMAIL" \
  > "$H/login.out" 2>&1 || exit 90
"$PY" -m mt5tray tray --simulate "$SCENARIO" --store supabase > "$H/tray.out" 2> "$H/tray.err" &
tray=$!
while [ ! -e "$H/go" ]; do sleep 0.1; done
"$PY" -m mt5tray serve-requests --once > "$H/cli.out" 2> "$H/cli.err"; echo $? > "$H/cli.rc"
while [ ! -e "$H/stop" ]; do sleep 0.1; done
kill -TERM $tray; wait $tray; echo $? > "$H/tray.rc"
"""


def _wait_for(check, what: str, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_requests_once_hands_its_job_to_the_running_tray(tmp_path, pg, gateway,
                                                                 make_user):
    home, user = tmp_path / "home", make_user()
    write_settings(home, gateway.url, gateway.anon_key)
    env = {**os.environ, "MT5TRAY_HOME": str(home), "PYTHONPATH": str(REPO),
           "PY": sys.executable, "QT_QPA_PLATFORM": "offscreen", "SCENARIO": str(SCENARIO),
           "LOGIN_EMAIL": user.email, "LOGIN_PASSWORD": user.password,
           "MT5TRAY_STARTUP_DELAY_S": "0", "MT5TRAY_READY_FILE": str(home / "ready.json"),
           "XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    session = subprocess.Popen(["dbus-run-session", "--", "bash", "-c", SESSION], env=env,
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The tray's start-up sync has put the account into Supabase.
        (account,) = _wait_for(lambda: remote_rows(pg, "trading_accounts", user.id, "login"),
                               "the tray's first upload")
        with pg.connect() as conn:
            conn.execute("insert into sync_requests (user_id, account_id) values (%s, %s)",
                         [user.id, account["id"]])
        (home / "go").touch()
        rc = _wait_for(lambda: (home / "cli.rc").exists() and (home / "cli.rc").read_text(),
                       "serve-requests --once")
        err = (home / "cli.err").read_text()
        assert rc.strip() == "0", err
        assert err.startswith("mt5tray: handed over to the running mt5tray (the tray on this "
                              "PC): it serves the web journal's Sync Now requests itself")
        (request,) = _wait_for(
            lambda: [r for r in remote_rows(pg, "sync_requests", user.id, "requested_at")
                     if r["status"] == "done"], "the tray to serve the request")
        log = (home / "logs" / "mt5tray.log").read_text()
        assert "serve-requests handed its job to the tray" in log
    finally:
        (home / "stop").touch()
        session.wait(timeout=60)
    assert (home / "tray.rc").read_text().strip() == "0"

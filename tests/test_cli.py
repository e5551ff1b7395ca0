"""The command line end to end, as a user runs it: `python -m mt5tray ...`
in a fresh per-user home, on the simulated terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIO = str(REPO / "tests" / "scenarios" / "hedging_basic.json")


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MT5TRAY_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "mt5tray", *args], capture_output=True, text=True, env=env,
        input=stdin, timeout=120, cwd=REPO,
    )


def sync_json(home: Path, *args: str) -> list[dict]:
    done = run(home, "sync", "--simulate", SCENARIO, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sync_then_resync_reports_only_what_is_new(home):
    scenario = json.loads(Path(SCENARIO).read_text())
    (first,) = sync_json(home)
    assert first["status"] == "success" and first["sync_type"] == "full"
    assert first["login"] == scenario["account"]["login"]
    assert first["server"] == scenario["account"]["server"]
    assert first["deals_inserted"] == len(scenario["deals"])
    assert first["positions_created"] == len(scenario["positions"])
    assert first["error"] is None and first["duration_ms"] >= 0
    assert set(first) >= {"sync_id", "login", "server", "sync_type", "status",
                          "positions_created", "positions_updated", "positions_closed",
                          "deals_inserted", "trades_upserted", "duration_ms", "error"}
    (second,) = sync_json(home)
    assert second["sync_type"] == "incremental"
    assert (second["deals_inserted"], second["positions_created"], second["trades_upserted"]) == (
        0, 0, 0)
    assert second["positions_updated"] == len(scenario["positions"])
    assert second["sync_id"] != first["sync_id"]


def test_full_resync_rewrites_nothing_that_is_already_there(home):
    sync_json(home)
    (full,) = sync_json(home, "--full", "--all-history")
    assert full["sync_type"] == "full" and full["deals_inserted"] == 0


def test_status_after_syncs(home):
    sync_json(home)
    sync_json(home)
    done = run(home, "status", "--simulate", SCENARIO, "--json")  # the scenario's journal
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    (account,) = status["accounts"]
    assert account["last_sync"]["status"] == "success"
    assert account["sync_failure_count"] == 0
    assert status["totals"]["syncs"] == 2 and status["totals"]["successful"] == 2
    assert status["totals"]["pending_uploads"] == 0
    human = run(home, "status", "--simulate", SCENARIO)
    assert "Totals: 2 syncs (2 successful, 0 failed)" in human.stdout


def test_text_output_reads_like_a_person_wrote_it(home):
    """P1/C5: currency and separators, local times without microseconds, correct
    plurals, no None; a refresh of open positions is not "positions updated"."""
    import re

    first = run(home, "sync", "--simulate")
    assert first.returncode == 0, first.stderr
    # the first sync of an empty journal is an import, said as one, with separators
    assert re.search(r"first import succeeded in .* - imported \d{1,3}(,\d{3})+ deals",
                     first.stdout), first.stdout
    assert "sqlite:///" not in first.stdout and "local journal " in first.stdout
    second = run(home, "sync", "--simulate")
    assert "positions updated" not in second.stdout and "None" not in second.stdout
    assert re.search(r"sync succeeded in [\d.]+ m?s - .*open positions? refreshed",
                     second.stdout), second.stdout
    status = run(home, "status", "--simulate").stdout
    assert re.search(r"balance \d{1,3}(,\d{3})*\.\d{2} USD · equity ", status), status
    assert "None" not in status and not re.search(r"\d\.\d{6}", status)
    assert re.search(r"last sync \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(just now\)", status)
    assert re.search(r"Totals: 2 syncs .* · \d{1,3}(,\d{3})+ deals · ", status)
    one = json.loads(run(home, "sync", "--simulate", "--json").stdout)[0]
    assert re.fullmatch(r"[\d-]+T[\d:]+\.\d{3}\+00:00", one["started_at"])


def test_simulated_run_never_uses_the_configured_store(home, tmp_path):
    configured = tmp_path / "real-journal.sqlite3"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(
        json.dumps({"store": f"sqlite:///{configured}"}))
    sync_json(home)
    assert not configured.exists()
    assert (home / "data" / f"simulated-{Path(SCENARIO).stem}.sqlite3").exists()
    named = tmp_path / "named.sqlite3"
    sync_json(home, "--store", f"sqlite:///{named}")
    assert named.exists()


def test_corrupt_settings_exit_2_with_file_and_field(home):
    (home / "config").mkdir(parents=True)
    settings = home / "config" / "settings.json"
    settings.write_text(json.dumps({"sync_interval_minutes": "often"}))
    done = run(home, "sync", "--simulate", SCENARIO)
    assert done.returncode == 2
    assert f"{settings}: sync_interval_minutes:" in done.stderr
    assert "Traceback" not in done.stderr
    assert settings.read_text() == json.dumps({"sync_interval_minutes": "often"})


def test_usage_error_exit_2(home):
    done = run(home, "sync", "--history-days", "0")
    assert done.returncode == 2 and "at least 1" in done.stderr
    done = run(home, "sync", "--history-days", "5", "--all-history")
    assert done.returncode == 2


@pytest.mark.skipif(sys.platform == "win32", reason="MetaTrader5 exists on Windows")
def test_real_terminal_missing_exits_1_with_advice_and_logs_the_failure(home):
    added = run(home, "accounts", "add", "--login", "12345", "--server", "Broker-Live")
    assert added.returncode == 0, added.stderr
    done = run(home, "sync", "--json")
    assert done.returncode == 1
    (result,) = json.loads(done.stdout)
    assert result["status"] == "failed" and "simulated demo" in result["error"]
    assert "Traceback" not in done.stderr
    status = json.loads(run(home, "status", "--json").stdout)
    (account,) = status["accounts"]
    assert account["login"] == 12345 and account["sync_failure_count"] == 1
    assert account["last_sync"]["status"] == "failed"


def test_accounts_add_list_remove(home):
    assert run(home, "accounts", "add", "--login", "777", "--server", "Demo-1").returncode == 0
    dup = run(home, "accounts", "add", "--login", "777", "--server", "Demo-1")
    assert dup.returncode == 2 and "already configured" in dup.stderr
    listed = run(home, "accounts", "list")
    assert "777@Demo-1  attach  enabled" in listed.stdout
    assert run(home, "accounts", "remove", "777").returncode == 0
    assert "No accounts configured" in run(home, "accounts", "list").stdout


def test_selecting_an_unconfigured_account_is_a_usage_error(home):
    run(home, "accounts", "add", "--login", "777", "--server", "Demo-1")
    done = run(home, "sync", "--account", "888")
    assert done.returncode == 2 and "888 is not configured" in done.stderr


def test_doctor_on_the_simulator(home):
    done = run(home, "doctor", "--simulate", SCENARIO)
    lines = done.stdout.splitlines()
    assert any(line.startswith("[OK  ] terminal: logged into 1001001@") for line in lines), lines
    assert any("server clock" in line for line in lines)
    assert any("keyring" in line for line in lines)
    assert any(line.startswith("[OK  ] store:") for line in lines)


def test_live_demo_account_syncs_and_then_reads_incrementally(home):
    first = run(home, "sync", "--simulate", "--json")
    assert first.returncode == 0, first.stderr
    (result,) = json.loads(first.stdout)
    assert result["server"] == "MT5Tray-Demo" and result["sync_type"] == "full"
    assert result["deals_inserted"] > 100 and result["positions_created"] >= 1
    second = run(home, "sync", "--simulate", "--json")
    (again,) = json.loads(second.stdout)
    assert again["sync_type"] == "incremental" and again["status"] == "success"
    assert again["positions_created"] + again["positions_updated"] >= 1
    assert again["deals_inserted"] < result["deals_inserted"]


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG autostart file is Linux's mechanism")
def test_autostart_on_off_status_writes_the_xdg_entry(home, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "mt5tray.desktop"
    assert run(home, "autostart", "status").stdout.startswith("off")
    on = run(home, "autostart", "on")
    assert on.returncode == 0, on.stderr
    assert entry.exists() and "tray" in entry.read_text()
    assert run(home, "autostart", "status").stdout.startswith("on")
    settings = json.loads((home / "config" / "settings.json").read_text())
    assert settings["start_at_login"] is True
    assert run(home, "autostart", "off").returncode == 0
    assert not entry.exists() or "Hidden=true" in entry.read_text()
    assert run(home, "autostart", "status").stdout.startswith("off")


@pytest.mark.skipif(sys.platform != "linux", reason="only X11/Wayland systems can lack a display")
def test_tray_without_a_display_says_so_instead_of_aborting(home):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(MT5TRAY_HOME=str(home), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "mt5tray", "tray", "--simulate"],
                          capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert done.returncode == 1
    assert "no graphical session" in done.stderr and "mt5tray sync" in done.stderr
    assert "Traceback" not in done.stderr and "Aborted" not in done.stderr


def test_logout_without_a_supabase_url_still_forgets_the_session(
        tmp_path, monkeypatch, memory_keyring, capsys) -> None:
    """Settings lost their URL (or were reset): logout cannot reach Supabase to
    revoke the session, but the refresh token must still leave this PC."""
    from mt5tray import cli
    from mt5tray.secrets import SERVICE
    from mt5tray.store.supabase.session import REFRESH_TOKEN_KEY

    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path))
    memory_keyring.set_password(SERVICE, REFRESH_TOKEN_KEY, "refresh-token-value")
    assert cli.main(["logout"]) == 0
    assert memory_keyring.get_password(SERVICE, REFRESH_TOKEN_KEY) is None
    out = capsys.readouterr().out
    assert "Signed out on this PC" in out and "could not be revoked" in out
    assert "refresh-token-value" not in out

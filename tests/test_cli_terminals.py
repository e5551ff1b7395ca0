"""The terminal scenario keys end to end: `python -m mt5tray sync --simulate
FILE --json` on several terminals, a closed terminal, and a login-mode
account whose terminal the trader is using; `doctor` says what the build
carries and checks every terminal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import REPO, run

THREE = str(REPO / "tests" / "scenarios" / "three_terminals.json")
HEDGING = json.loads((REPO / "tests" / "scenarios" / "hedging_basic.json").read_text())
OWN_PATH = r"D:\Portable\MT5-1001001\terminal64.exe"


def scenario(tmp_path: Path, **keys) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({**HEDGING, **keys}))
    return str(path)


def sync(home: Path, source: str) -> tuple[int, list[dict]]:
    done = run(home, "sync", "--simulate", source, "--json")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_several_terminals_sync_in_turn_and_a_closed_one_is_reported(tmp_path):
    code, results = sync(tmp_path / "home", THREE)
    assert code == 1  # one account failed
    by_login = {r["login"]: r for r in results}
    assert [r["login"] for r in results] == [7001, 7002, 7003]
    assert by_login[7001]["status"] == "success" and by_login[7001]["deals_inserted"] == 3
    assert by_login[7002]["status"] == "success" and by_login[7002]["positions_created"] == 1
    assert by_login[7003]["status"] == "failed"
    assert r"C:\MT5\FirmC\terminal64.exe) is not running" in by_login[7003]["error"]
    code, again = sync(tmp_path / "home", THREE)
    assert [r["sync_type"] for r in again[:2]] == ["incremental", "incremental"]


def test_attach_mode_reports_a_closed_terminal(tmp_path):
    code, (result,) = sync(tmp_path / "home", scenario(tmp_path, terminal_running=False))
    assert code == 1 and result["status"] == "failed"
    assert "is not running" in result["error"] and "never starts the terminal" in result["error"]


def test_login_mode_will_not_switch_the_traders_terminal(tmp_path):
    busy = scenario(tmp_path, terminal_path=OWN_PATH, terminal_login=555, mode="login")
    code, (result,) = sync(tmp_path / "home", busy)
    assert code == 1 and result["status"] == "failed" and result["login"] == 1001001
    assert "logged into 555@MT5Tray-Sim" in result["error"]
    assert "will not switch it to 1001001@MT5Tray-Sim" in result["error"]


def test_login_mode_switches_a_terminal_it_owns(tmp_path):
    owned = scenario(tmp_path, terminal_path=OWN_PATH, terminal_login=555, mode="login",
                     owns_terminal=True, password=None)
    code, (result,) = sync(tmp_path / "home", owned)
    assert code == 0, result
    assert result["login"] == 1001001 and result["status"] == "success"


def test_doctor_prints_the_build_line_and_checks_every_terminal(tmp_path):
    done = run(tmp_path / "home", "doctor", "--simulate", THREE)
    lines = done.stdout.splitlines()
    build = next(line for line in lines if line.startswith("[INFO] build: mt5tray "))
    assert "MetaTrader5 missing (the package runs only on Windows" in build
    assert "keyring " in build and "store sqlite:///" in build
    assert any(line.startswith(r"[OK  ] terminal C:\MT5\FirmA\terminal64.exe: logged into 7001@")
               for line in lines), lines
    assert any(line.startswith(r"[FAIL] terminal C:\MT5\FirmC\terminal64.exe: MetaTrader 5")
               for line in lines), lines


def test_start_terminal_if_closed_lets_a_vps_launch_the_terminal(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(json.dumps(
        {"start_terminal_if_closed": True, "terminal_timeout_s": 5}))
    code, (result,) = sync(home, scenario(tmp_path, terminal_running=False))
    assert code == 0 and result["status"] == "success", result

"""C1/C2/C6/C9/C11/P9: the CLI's error paths are sentences with an exit code,
never a traceback; scenario runs keep their own journal; doctor's verdicts hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.test_cli import REPO, SCENARIO


def run(home: Path, *args: str, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "MT5TRAY_HOME": str(home), "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "mt5tray", *args], capture_output=True,
                          text=True, env=full, input=stdin, timeout=120, cwd=REPO)


def no_traceback(done) -> None:  # noqa: ANN001 - a CompletedProcess
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr


def test_a_misspelled_scenario_file_is_a_sentence_and_exit_2(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "sync", "--simulate", "nosuch.json")
    no_traceback(done)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "mt5tray: Scenario file problem: scenario nosuch.json: cannot read the file (No such "
        "file or directory). Fix the scenario file, or run --simulate without a file for the "
        "live demo.")


def test_invalid_scenario_json_names_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"account": ', encoding="utf-8")
    done = run(tmp_path / "home", "sync", "--simulate", str(bad))
    no_traceback(done)
    assert done.returncode == 2 and "line 1 column 13: invalid JSON" in done.stderr


def test_accounts_add_with_an_empty_server_is_plain_words(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "accounts", "add", "--login", "123", "--server", "")
    no_traceback(done)
    assert done.returncode == 2
    assert done.stderr.strip() == ("mt5tray: Settings problem: The account was not added. "
                                   "Server: is empty; type the trade server name.")
    assert "pydantic" not in done.stderr and "String should" not in done.stderr


def test_a_bad_settings_file_is_described_in_plain_words(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(
        json.dumps({"sync_interval_minutes": 0, "accounts": [{"login": "abc", "server": "S"}]}))
    done = run(home, "status")
    no_traceback(done)
    assert done.returncode == 2
    assert "sync_interval_minutes: must be 1 or more" in done.stderr
    assert "accounts.0.login: 'abc' is not a whole number; type digits only" in done.stderr
    assert "Input should" not in done.stderr and "pydantic.dev" not in done.stderr


def test_verbose_after_the_command_is_accepted(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "sync", "--simulate", SCENARIO, "-v")
    assert done.returncode == 0, done.stderr
    assert "Sync (cli): 1001001@" in done.stderr  # -v shows the per-sync log line


def test_login_without_a_terminal_says_what_to_pass(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run(home, "login", "--url", "https://x.supabase.co", "--key", "sb_publishable_x",
               stdin="")
    no_traceback(done)
    assert done.returncode == 2
    assert "EOFError" not in done.stderr
    assert "No e-mail to sign in with: pass --email you@example.com" in done.stderr


def test_a_scenario_run_gets_its_own_journal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "sync", "--simulate").returncode == 0  # the live demo
    assert run(home, "sync", "--simulate", SCENARIO).returncode == 0
    demo = json.loads(run(home, "status", "--simulate", "--json").stdout)
    logins = [a["login"] for a in demo["accounts"]]
    assert logins == [5090001], logins  # the scenario's 1001001 is not in the demo's journal
    assert (home / "data" / "simulated.sqlite3").exists()
    assert (home / "data" / "simulated-hedging_basic.sqlite3").exists()


def test_configured_accounts_ignored_by_a_simulated_run_are_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "accounts", "add", "--login", "12345678", "--server",
               "Broker-Live").returncode == 0
    done = run(home, "sync", "--simulate", SCENARIO)
    assert done.returncode == 0, done.stderr
    assert ("This simulated session syncs only its simulated account, not the account in "
            "settings (12345678@Broker-Live); it is synced when mt5tray runs on the real "
            "terminal.") in done.stdout
    log = (home / "logs" / "mt5tray.log")
    text = log.read_text() if log.exists() else "".join(
        p.read_text() for p in home.rglob("mt5tray.log"))
    assert "not the account in settings (12345678@Broker-Live)" in text


def test_doctor_on_the_demo_does_not_fail_on_a_keyring_it_does_not_need(tmp_path: Path) -> None:
    env_home = tmp_path / "home"
    done = run(env_home, "doctor", "--simulate", env={"PYTHON_KEYRING_BACKEND":
                                                      "keyring.backends.fail.Keyring"})
    no_traceback(done)
    assert done.returncode == 0, done.stdout
    keyring_line = next(line for line in done.stdout.splitlines() if "keyring:" in line)
    assert keyring_line.startswith("[INFO] keyring: not needed for this run")
    assert "keyring.backends" not in keyring_line


def test_doctor_checks_a_supabase_host_for_real_and_reports_every_check(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(json.dumps(
        {"supabase": {"url": "https://mt5tray-no-such-project.invalid",
                      "publishable_key": "sb_publishable_x"}}))
    done = run(home, "doctor", "--simulate", "--store", "supabase")
    no_traceback(done)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(line.startswith("[OK  ] terminal:") for line in lines), lines  # went on
    host = next(line for line in lines if "supabase host" in line)
    assert host.startswith("[FAIL] supabase host: https://mt5tray-no-such-project.invalid "
                           "cannot be reached"), host
    assert not any("reachable" in line and line.startswith("[OK") for line in lines), lines
    assert not any("keyring.backends" in line for line in lines if "keyring:" in line)


def test_doctor_keyring_line_uses_a_friendly_name(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "doctor", "--simulate")
    line = next(line for line in done.stdout.splitlines() if "keyring:" in line)
    assert "keyring.backends." not in line and "Keyring" not in line.split(":", 1)[1][:12]



def test_a_reader_that_goes_away_is_no_traceback(tmp_path: Path, monkeypatch: Any,
                                                 capsys: Any) -> None:
    """`mt5tray status --json | head -c 100`: the pipe closes early; the CLI
    stops quietly instead of printing a BrokenPipeError traceback."""
    import sys

    from mt5tray import cli
    from mt5tray.commands import status

    def closed_pipe(_args: Any) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(status, "run", closed_pipe)
    with open(tmp_path / "stdout", "w") as out:
        monkeypatch.setattr(sys, "stdout", out)
        assert cli.main(["status", "--simulate", "--json"]) == 1
    assert "Traceback" not in capsys.readouterr().err

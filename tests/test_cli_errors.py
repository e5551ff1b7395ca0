"""Bad input gives a clear message naming the file or account and what to do,
never a traceback; tracebacks go to the log file only (issue 8, section 3)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.test_cli import SCENARIO, run


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def _scenario_with(tmp_path: Path, change) -> Path:
    data = json.loads(Path(SCENARIO).read_text())
    change(data)
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data))
    return path


def _assert_clear(done, *needles: str, code: int = 2) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "File \"" not in done.stderr, done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def test_a_missing_scenario_file_is_named(home, tmp_path):
    missing = tmp_path / "nope.json"
    _assert_clear(run(home, "sync", "--simulate", str(missing)), str(missing),
                  "cannot read the file", "Fix the scenario file")


def test_duplicate_tickets_in_a_scenario_are_named(home, tmp_path):
    def dup(data):
        data["deals"][1]["ticket"] = data["deals"][0]["ticket"]

    path = _scenario_with(tmp_path, dup)
    _assert_clear(run(home, "sync", "--simulate", str(path)), str(path),
                  "deals[1].ticket: duplicate ticket")


def test_time_disagreeing_with_time_msc_is_named(home, tmp_path):
    def skew(data):
        data["deals"][1]["time"] += 5

    path = _scenario_with(tmp_path, skew)
    _assert_clear(run(home, "sync", "--simulate", str(path)), str(path),
                  "deals[1].time", "does not match time_msc")


def test_settings_nested_past_the_recursion_limit_are_refused_plainly(home):
    settings = home / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    text = "[" * 100_000 + "]" * 100_000
    settings.write_text(text)
    _assert_clear(run(home, "sync", "--simulate"), str(settings), "nested too deeply")
    assert settings.read_text() == text  # never overwritten


def test_settings_saved_with_a_utf8_bom_are_read(home, tmp_path):
    journal = tmp_path / "bom-journal.sqlite3"
    settings = home / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(b"\xef\xbb\xbf" + json.dumps({"store": f"sqlite:///{journal}"}).encode())
    done = run(home, "status", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["store"] == f"sqlite:///{journal}"


def test_an_outbox_key_that_is_not_base64_is_explained(tmp_path, monkeypatch, memory_keyring,
                                                        capsys):
    from mt5tray import cli
    from mt5tray.secrets import SERVICE
    from mt5tray.store.outbox_crypto import OUTBOX_KEY_NAME

    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text(json.dumps(
        {"store": "supabase", "supabase": {"url": "http://127.0.0.1:9",
                                           "publishable_key": "sb_publishable_test"}}))
    memory_keyring.set_password(SERVICE, OUTBOX_KEY_NAME, "not base64 at all!")
    assert cli.main(["sync", "--simulate", SCENARIO, "--store", "supabase"]) == 2
    err = capsys.readouterr().err
    assert "'outbox-key'" in err and "not a 256-bit outbox key in base64" in err
    assert "Delete that entry" in err and "Traceback" not in err
    # A key of the wrong length is refused the same way.
    memory_keyring.set_password(SERVICE, OUTBOX_KEY_NAME, base64.urlsafe_b64encode(b"x" * 5)
                                .decode())
    assert cli.main(["sync", "--simulate", SCENARIO, "--store", "supabase"]) == 2


def test_an_unexpected_sync_error_names_the_account_and_keeps_the_traceback_in_the_log(
        tmp_path, monkeypatch, capsys):
    from mt5tray import cli
    from mt5tray.terminal.mt5api import Mt5ApiTerminal

    def bug(self):  # stands in for a bug anywhere in a sync
        raise RuntimeError("a bug in the test")

    monkeypatch.setattr(Mt5ApiTerminal, "positions", bug)
    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path))
    assert cli.main(["sync", "--simulate", SCENARIO]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "File \"" not in captured.err, captured.err
    assert "unexpected error stopped the sync" in captured.out
    assert "RuntimeError: a bug in the test" in captured.out
    assert "mt5tray.log" in captured.out
    log = (tmp_path / "logs" / "mt5tray.log").read_text()
    assert "Traceback" in log and "a bug in the test" in log

"""The trader's terminal is respected, through Mt5ApiTerminal over the simulator:
attach mode never launches MT5, login mode never switches a terminal that
holds another account, and a hung terminal costs at most its timeout.
Also the real process check (psutil) against a real process named
terminal64.exe."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from mt5tray.core.errors import (
    ActionRequired,
    TerminalInUse,
    TerminalNotRunning,
    TerminalTimeout,
)
from mt5tray.core.models import AccountRef
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.processes import PsutilProcesses
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import FakeClock, make_sim

PATH = r"C:\Program Files\MetaTrader 5\terminal64.exe"
ATTACH = AccountRef(login=1001, server="Sim-Server", terminal_path=PATH)


def terminal(api: Any, **kwargs: Any) -> Mt5ApiTerminal:
    return Mt5ApiTerminal(api, retry_delay_s=0, **kwargs)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedMT5:
    return make_sim(clock)


def two_accounts(sim: SimulatedMT5) -> SimulatedMT5:
    """The terminal holds 1001 (the trader's); 2002 is another account at the broker."""
    other = sim.add_account(2002, server="Sim-Server", password="pw2")
    other.deposit(500)
    return sim


def test_attach_mode_never_launches_a_closed_terminal(sim: SimulatedMT5) -> None:
    sim.running = False
    with terminal(sim) as term, pytest.raises(TerminalNotRunning) as e:
        term.open(ATTACH)
    assert e.value.title == "MT5 terminal not running"
    assert PATH in e.value.message and "start_terminal_if_closed" in e.value.message
    assert sim.launches == 0 and not sim.running
    with terminal(sim) as term, pytest.raises(TerminalNotRunning):
        term.open(AccountRef(login=None))  # no path: no terminal runs at all
    assert sim.launches == 0


def test_start_terminal_if_closed_allows_the_launch(sim: SimulatedMT5) -> None:
    sim.running = False
    with terminal(sim, start_if_closed=True) as term:
        assert term.open(ATTACH).login == 1001
    assert sim.launches == 1 and sim.running


def test_a_running_terminal_is_attached_without_a_launch(sim: SimulatedMT5) -> None:
    with terminal(sim) as term:
        assert term.open(ATTACH).login == 1001
    assert sim.launches == 0


def test_login_mode_launches_and_logs_in_only_its_own_terminal(
        sim: SimulatedMT5, caplog: pytest.LogCaptureFixture) -> None:
    sim.running = False
    sim.broker.password = "pw-1001"
    own = AccountRef(login=1001, server="Sim-Server", terminal_path=PATH, mode="login",
                     owns_terminal=True)
    caplog.set_level(logging.DEBUG)
    with terminal(sim, password_for=lambda login, server: "pw-1001") as term:
        assert term.open(own).login == 1001
    assert sim.launches == 1
    assert "pw-1001" not in caplog.text
    sim.running = False
    not_owned = AccountRef(login=1001, server="Sim-Server", terminal_path=PATH, mode="login")
    with terminal(sim) as term, pytest.raises(TerminalNotRunning):
        term.open(not_owned)
    assert sim.launches == 1  # not launched a second time


def test_login_mode_refuses_to_switch_a_terminal_holding_another_account(
        sim: SimulatedMT5) -> None:
    two_accounts(sim)
    ref = AccountRef(login=2002, server="Sim-Server", terminal_path=PATH, mode="login")
    with terminal(sim, password_for=lambda login, server: "pw2") as term, \
            pytest.raises(TerminalInUse) as e:
        term.open(ref)
    assert isinstance(e.value, ActionRequired)
    assert "logged into 1001@Sim-Server" in e.value.message
    assert "will not switch it to 2002@Sim-Server" in e.value.message
    assert "owns_terminal" in e.value.message and "pw2" not in e.value.message
    assert sim.broker.login == 1001  # the trader's terminal still holds their account


def test_login_mode_switches_a_terminal_it_owns(sim: SimulatedMT5) -> None:
    two_accounts(sim)
    ref = AccountRef(login=2002, server="Sim-Server", terminal_path=PATH, mode="login",
                     owns_terminal=True)
    with terminal(sim, password_for=lambda login, server: "pw2") as term:
        assert term.open(ref).login == 2002
    assert sim.broker.login == 2002


def test_login_mode_logs_in_the_account_it_already_holds(sim: SimulatedMT5) -> None:
    ref = AccountRef(login=1001, server="Sim-Server", terminal_path=PATH, mode="login")
    with terminal(sim, password_for=lambda login, server: "pw") as term:
        assert term.open(ref).login == 1001


def test_login_mode_needs_its_own_terminal_path(sim: SimulatedMT5) -> None:
    from mt5tray.core.errors import SettingsError

    with terminal(sim) as term, pytest.raises(SettingsError, match="terminal_path"):
        term.open(AccountRef(login=1001, server="Sim-Server", mode="login"))


def test_a_hung_terminal_costs_at_most_its_timeout(sim: SimulatedMT5) -> None:
    sim.inject_fault("hang")
    started = time.monotonic()
    with terminal(sim, timeout_ms=300) as term, pytest.raises(TerminalTimeout):
        term.open(ATTACH)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.9  # one wait of 300 ms; no second one after it


def test_psutil_sees_a_real_terminal64_process(tmp_path: Path) -> None:
    """The real process check, against a real process named terminal64.exe."""
    install = tmp_path / "MT5 A"
    install.mkdir()
    exe = install / "terminal64.exe"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", exe)
    processes = PsutilProcesses()
    assert processes.is_installed(str(exe)) and processes.is_installed(str(install))
    assert not processes.is_installed(str(tmp_path / "elsewhere" / "terminal64.exe"))
    assert not processes.is_running(str(exe))
    proc = subprocess.Popen([str(exe), "30"])
    try:
        deadline = time.monotonic() + 5
        while not processes.is_running(str(exe)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes.is_running(str(exe))
        assert processes.is_running(str(install))  # the folder names the same install
        assert processes.is_running(str(exe).upper())  # Windows compares case-blind
        assert processes.is_running(None)  # "any terminal"
        assert not processes.is_running(str(tmp_path / "MT5 B" / "terminal64.exe"))
    finally:
        proc.kill()
        proc.wait()
    assert not processes.is_running(str(exe))

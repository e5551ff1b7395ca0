"""Several terminals on one PC behind one MetaTrader5 module, through the real
adapter: each account's sync reaches its own terminal by path, one terminal at
a time (shutdown + initialize(path=...)), and a hung or closed terminal never
delays the others beyond its timeout."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.health import overall_health
from mt5tray.core.service import SyncService
from mt5tray.store.local import LocalStore
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.sim.machine import SimulatedMachine

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "three_terminals.json"
A, B, C = (rf"C:\MT5\Firm{x}\terminal64.exe" for x in "ABC")


class Recorder:
    """Passes calls through, noting (name, kwargs) of each."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.api, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.calls.append((name, kwargs))
            return attr(*args, **kwargs)

        return call

    def connects(self) -> list[str]:
        return [kw.get("path") for name, kw in self.calls if name == "initialize"]


@pytest.fixture
def machine() -> SimulatedMachine:
    api = simulated.from_scenario(SCENARIO)
    assert isinstance(api, SimulatedMachine)
    return api


def service_over(api: Any, store: LocalStore, machine: SimulatedMachine,
                 timeout_ms: int = 60000) -> SyncService:
    factory = lambda: Mt5ApiTerminal(api, timeout_ms=timeout_ms, retry_delay_s=0)  # noqa: E731
    engine = SyncEngine(store, factory, AgentInfo("test", "host"), clock=machine.clock.utc)
    return SyncService(engine, accounts=lambda: machine.accounts_to_sync)


@pytest.fixture
def store(tmp_path: Path):
    s = LocalStore(tmp_path / "journal.sqlite3")
    yield s
    s.close()


def test_the_scenario_names_each_terminal_and_its_account(machine: SimulatedMachine) -> None:
    refs = machine.accounts_to_sync
    assert [(r.login, r.server, r.terminal_path, r.mode) for r in refs] == [
        (7001, "FirmA-Live", A, "attach"), (7002, "FirmB-Live", B, "attach"),
        (7003, "FirmC-Live", C, "attach")]
    assert machine.processes.is_running(A) and not machine.processes.is_running(C)
    assert machine.terminal_at(C).running is False


def test_each_account_syncs_from_its_own_terminal_one_at_a_time(
        machine: SimulatedMachine, store: LocalStore) -> None:
    api = Recorder(machine)
    a, b, c = service_over(api, store, machine).sync_all()
    assert (a.login, a.status.value, a.counts.deals_inserted) == (7001, "success", 3)
    assert (b.login, b.status.value, b.counts.positions_created) == (7002, "success", 1)
    assert c.status.value == "failed" and c.error_title == "MT5 terminal not running"
    assert C in (c.error or "")
    # The tray shows the state it promises: "terminal not running" (after the grace period).
    assert overall_health([a, b, c], False, False, uptime_s=600).state == "terminal_off"
    # Re-initialized per terminal: shutdown, then initialize(path=...) of the next.
    assert api.connects() == [A, B]  # C is closed: asked about, never initialized
    names = [name for name, _ in api.calls if name in ("initialize", "shutdown")]
    assert names[:4] == ["initialize", "shutdown", "initialize", "shutdown"]
    assert names.count("initialize") == 2
    assert machine.terminal_at(C).launches == 0
    # The rows went to the right accounts (same tickets on different servers).
    per_account = dict(store.query(
        "SELECT a.login, count(*) FROM deals d JOIN trading_accounts a ON a.id = d.account_id "
        "GROUP BY a.login"))
    assert per_account == {7001: 3, 7002: 2}


def test_a_hung_terminal_delays_the_others_by_its_timeout_at_most(
        machine: SimulatedMachine, store: LocalStore) -> None:
    machine.terminal_at(A).inject_fault("hang")  # the first one hangs (a modal dialog)
    started = time.monotonic()
    a, b, c = service_over(machine, store, machine, timeout_ms=400).sync_all()
    elapsed = time.monotonic() - started
    assert a.error_title == "MT5 terminal timed out" and "within 0 s" not in (a.error or "")
    assert b.ok and b.counts.deals_inserted == 2
    assert c.error_title == "MT5 terminal not running"
    assert 0.4 <= elapsed < 1.2, elapsed  # one 400 ms wait, no retry, nothing else waits
    machine.terminal_at(A).clear_faults()
    again = service_over(machine, store, machine).sync_all()
    assert again[0].ok and again[1].ok  # the hung terminal answers again later


def test_a_terminal_closed_mid_run_does_not_stop_the_next(
        machine: SimulatedMachine, store: LocalStore) -> None:
    machine.terminal_at(A).inject_fault("terminal_closed", after_calls=3)
    a, b, _ = service_over(machine, store, machine).sync_all()
    assert a.error_title == "MT5 terminal not running"
    assert b.ok


def test_the_module_talks_to_one_terminal_at_a_time(machine: SimulatedMachine) -> None:
    assert machine.account_info() is None and machine.last_error()[0] == -10004
    assert machine.initialize(path=A) and machine.account_info().login == 7001
    assert not machine.initialize(path=B)  # the pipe is a module global
    assert machine.last_error() == (-10003,
                                    "IPC initialize failed, CInterClient already initialized")
    assert machine.shutdown() and machine.initialize(path=B)
    assert machine.account_info().login == 7002
    machine.shutdown()
    assert not machine.initialize(path=r"D:\Nowhere\terminal64.exe")
    assert machine.last_error()[0] == -10003
    assert machine.initialize() and machine.account_info().login == 7001  # no path: the first


def test_a_scenario_with_two_terminals_in_one_folder_is_refused(tmp_path: Path) -> None:
    data = json.loads(SCENARIO.read_text())
    data["terminals"][1]["terminal_path"] = A.lower()
    with pytest.raises(simulated.ScenarioError, match=r"terminals\[1\]\.terminal_path"):
        simulated.from_scenario(data)

"""Mt5ApiTerminal over the simulator: connection, checks, reads, errors, threads."""

from __future__ import annotations

import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mt5tray.core.errors import (
    AccountMismatch,
    ActionRequired,
    AuthorizationFailed,
    BrokerNotConnected,
    SettingsError,
    TerminalCallFailed,
    TerminalNotRunning,
    TerminalTimeout,
    TerminalUnavailable,
    TransientError,
)
from mt5tray.core.models import AccountRef, TerminalDeal, TerminalPosition
from mt5tray.terminal.metatrader import load_metatrader5, real_terminal
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.sim.simulator import SimulatedMT5
from mt5tray.terminal.translate import translate_error
from tests.terminal.conftest import MAX, NOW_UTC, OFFSET_MIN, FakeClock, make_sim

PATH = r"C:\Program Files\MetaTrader 5\terminal64.exe"
ATTACH = AccountRef(login=1001, server="Sim-Server", terminal_path=PATH)
LOGIN = AccountRef(login=1001, server="Sim-Server", terminal_path=PATH, mode="login")


class Recorder:
    """Passes calls through to an API object, noting the thread and arguments."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.calls: list[tuple[int, str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.api, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((threading.get_ident(), name, args, kwargs))
            return attr(*args, **kwargs)

        return call

    def names(self) -> list[str]:
        return [c[1] for c in self.calls if c[1] != "last_error"]


@pytest.fixture
def api(clock: FakeClock) -> Recorder:
    return Recorder(make_sim(clock))


def terminal(api: Any, **kwargs: Any) -> Mt5ApiTerminal:
    return Mt5ApiTerminal(api, retry_delay_s=0, **kwargs)


def test_open_attach_reads_everything(api: Recorder) -> None:
    with terminal(api) as term:
        account = term.open(ATTACH)
        assert (account.login, account.server, account.balance) == (1001, "Sim-Server", 10020.0)
        init = api.calls[0]
        assert init[1] == "initialize" and init[3] == {"path": PATH, "timeout": 60000}
        assert term.account() == account
        assert term.status().connected is True
        positions = term.positions()
        assert len(positions) == 3 and isinstance(positions[0], TerminalPosition)
        deals = term.deals(0, MAX)
        assert [d.ticket for d in deals] == [d.ticket for d in api.api.history_deals_get(0, MAX)]
        assert isinstance(deals[0], TerminalDeal)
        eur = positions[0].identifier
        assert [d.entry for d in term.position_deals(eur)] == [0, 1]
        assert term.position_deals(123) == []
    assert api.names()[-1] == "shutdown"


def test_deals_window_is_inclusive_and_clamped(api: Recorder) -> None:
    with terminal(api) as term:
        term.open(ATTACH)
        third = term.deals(0, MAX)[2]
        assert term.deals(third.time, third.time) == [third]
        assert len(term.deals(-10, 2**40)) == 6  # clamped to 32 bits: no SystemError
        assert api.calls[-1][2] == (0, MAX)
        assert term.deals(third.time + 1, third.time - 1) == []


def test_tick_time(api: Recorder) -> None:
    with terminal(api) as term:
        term.open(ATTACH)
        api.api.broker.symbols["GBPUSD"].selected = False  # not in Market Watch
        assert term.tick_time("GBPUSD") == int(NOW_UTC) + OFFSET_MIN * 60
        assert api.names()[-2:] == ["symbol_select", "symbol_info_tick"]
        assert term.tick_time("NOPE") is None


def test_login_mode_passes_credentials_and_hides_the_password(
        api: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    asked: list[tuple[int, str | None]] = []
    api.api.broker.password = "s3cret-pass"

    def password_for(login: int, server: str | None) -> str:
        asked.append((login, server))
        return "s3cret-pass"

    caplog.set_level(logging.DEBUG)
    with terminal(api, password_for=password_for, timeout_ms=5000) as term:
        assert term.open(LOGIN).login == 1001
    assert asked == [(1001, "Sim-Server")]
    # The terminal runs: attach first (no credentials), then log in.
    assert api.calls[0][3] == {"path": PATH, "timeout": 5000}
    login = next(c for c in api.calls if c[1] == "login")
    assert login[3] == {"timeout": 5000, "login": 1001, "server": "Sim-Server",
                        "password": "s3cret-pass"}
    assert "s3cret-pass" not in caplog.text


def test_login_mode_wrong_password(api: Recorder) -> None:
    api.api.broker.password = "right"
    term = terminal(api, password_for=lambda login, server: "wrong")
    with term, pytest.raises(AuthorizationFailed) as e:
        term.open(LOGIN)
    assert isinstance(e.value, ActionRequired)
    assert "Check the password" in e.value.message and "wrong" not in e.value.message


def test_login_mode_needs_a_login(api: Recorder) -> None:
    with terminal(api) as term, pytest.raises(SettingsError):
        term.open(AccountRef(login=None, mode="login"))


def test_account_mismatch(api: Recorder) -> None:
    with terminal(api) as term:
        with pytest.raises(AccountMismatch) as e:
            term.open(AccountRef(login=456))
        assert "MT5 is logged into 1001@Sim-Server, not 456" in e.value.message
        assert api.names()[-1] == "shutdown"  # no half-open pipe is left
        assert term.open(AccountRef(login=None)).login == 1001  # "whatever is logged in"


def test_account_rereads_and_sees_a_switch(api: Recorder) -> None:
    with terminal(api) as term:
        term.open(ATTACH)
        api.api.inject_fault("account_switched")
        assert term.account().login == 1002


def test_retries_once_after_ipc_timeout(api: Recorder) -> None:
    api.api.inject_fault("ipc_timeout_once")
    with terminal(api) as term:
        assert term.open(ATTACH).login == 1001
    assert api.names()[:3] == ["initialize", "shutdown", "initialize"]


def test_gives_up_after_the_second_ipc_timeout(api: Recorder) -> None:
    api.api.inject_fault("ipc_timeout")
    with terminal(api, timeout_ms=30000) as term, pytest.raises(TerminalTimeout) as e:
        term.open(ATTACH)
    assert isinstance(e.value, TransientError)
    assert api.names().count("initialize") == 2
    assert "within 30 s" in e.value.message


def test_retry_sleeps_between_attempts(api: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("mt5tray.terminal.mt5api.time.sleep", slept.append)
    api.api.inject_fault("ipc_timeout_once")
    with Mt5ApiTerminal(api, retry_delay_s=1.5) as term:
        term.open(ATTACH)
    assert slept == [1.5]


def test_already_initialized_in_this_process(api: Recorder) -> None:
    api.api.initialize()  # someone left the module connected
    with terminal(api) as term:
        assert term.open(ATTACH).login == 1001
    assert api.names()[:3] == ["initialize", "shutdown", "initialize"]


def test_not_connected(api: Recorder) -> None:
    api.api.inject_fault("not_connected")
    with terminal(api) as term, pytest.raises(BrokerNotConnected, match="Sim-Server"):
        term.open(ATTACH)


def test_auth_failed(api: Recorder) -> None:
    api.api.inject_fault("auth_failed")
    with terminal(api) as term, pytest.raises(AuthorizationFailed):
        term.open(ATTACH)


def test_terminal_not_found(api: Recorder) -> None:
    ref = AccountRef(login=1001, terminal_path=r"D:\MT5\terminal64.exe")
    with terminal(api) as term, pytest.raises(TerminalUnavailable) as e:
        term.open(ref)
    assert r"D:\MT5\terminal64.exe" in e.value.message
    assert api.names().count("initialize") == 0  # known missing before initialize


def test_terminal_closed_mid_sync(api: Recorder) -> None:
    with terminal(api) as term:
        term.open(ATTACH)
        api.api.inject_fault("terminal_closed")
        for read in (term.positions, lambda: term.deals(0, MAX), term.account, term.status,
                     lambda: term.position_deals(1), lambda: term.tick_time("EURUSD")):
            with pytest.raises(TerminalNotRunning) as e:
                read()
            assert "Start MetaTrader 5 and log into account 1001@Sim-Server" in e.value.message
        with pytest.raises(TerminalNotRunning):
            term.open(ATTACH)
        api.api.clear_faults()
        assert term.open(ATTACH).login == 1001


class Broken:
    """An API whose data calls fail the way the terminal sometimes does."""

    def __init__(self, sim: SimulatedMT5, error: tuple[int, str]) -> None:
        self.sim, self.error, self.failing = sim, error, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sim, name)

    def positions_get(self, **kwargs: Any) -> Any:
        return None if self.failing else self.sim.positions_get(**kwargs)

    def last_error(self) -> tuple[int, str]:
        return self.error if self.failing else self.sim.last_error()


def test_none_is_an_error_and_empty_is_empty(clock: FakeClock) -> None:
    sim = make_sim(clock)
    api = Broken(sim, (-1, "Terminal: Call failed"))
    with terminal(api) as term:
        term.open(ATTACH)
        for pid in list(sim.broker.positions):
            sim.broker.close(pid)
        assert term.positions() == []
        api.failing = True
        with pytest.raises(TerminalCallFailed, match="positions_get: -1 Terminal: Call failed"):
            term.positions()


@pytest.mark.parametrize(("code", "message", "call", "kind"), [
    (-6, "Terminal: Authorization failed", "initialize", AuthorizationFailed),
    (-6, "Terminal: Authorization failed", "login", AuthorizationFailed),
    (-7, "Unsupported authorization mode", "initialize", AuthorizationFailed),
    (-7, "Terminal: Unsupported function", "history_deals_get", TerminalCallFailed),
    (-10005, "IPC timeout", "initialize", TerminalTimeout),
    (-10004, "No IPC connection", "positions_get", TerminalNotRunning),
    (-10001, "IPC send failed", "account_info", TerminalNotRunning),
    (-10002, "IPC recv failed", "account_info", TerminalNotRunning),
    (-10003, "IPC initialize failed, MetaTrader 5 x64 not found", "initialize",
     TerminalUnavailable),
    (-10003, "IPC initialize failed, Process create failed", "initialize", TerminalNotRunning),
    (-10000, "IPC call failed", "history_deals_get", TerminalCallFailed),
    (-1, "Terminal: Call failed", "history_deals_get", TerminalCallFailed),
    (-2, "Invalid arguments", "history_deals_get", TerminalCallFailed),
    (-3, "Terminal: Out of memory", "history_deals_get", TerminalCallFailed),
    (-4, "Terminal: Not found", "history_deals_get", TerminalCallFailed),
    (-5, "Terminal: Incompatible versions", "initialize", TerminalCallFailed),
    (1, "Success", "account_info", TerminalCallFailed),
])
def test_translation_of_every_code(code: int, message: str, call: str, kind: type) -> None:
    error = translate_error(code, message, call, AccountRef(login=123))
    assert type(error) is kind
    assert f"({call}: {code} {message})" in error.message
    assert error.title and error.message[0].isupper()


def test_messages_say_what_to_do() -> None:
    ref = AccountRef(login=123)
    assert translate_error(-10004, "No IPC connection", "initialize", ref).message.startswith(
        "Start MetaTrader 5 and log into account 123 (or set the terminal path in settings).")
    assert "set the correct terminal path" in translate_error(
        -10003, "IPC initialize failed, MetaTrader 5 x64 not found", "initialize").message


def test_all_calls_run_on_one_worker_thread(api: Recorder) -> None:
    term = terminal(api)
    term.open(ATTACH)

    def work(i: int) -> int:
        reads = (term.positions, lambda: term.deals(0, MAX), term.account,
                 lambda: term.tick_time("EURUSD"), term.status)
        result = reads[i % len(reads)]()
        return 0 if result is None else 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(80)))
    threads = {c[0] for c in api.calls}
    assert len(threads) == 1 and threading.get_ident() not in threads
    worker = next(t for t in threading.enumerate() if t.ident in threads)
    term.close()
    assert api.names()[-1] == "shutdown" and {c[0] for c in api.calls} == threads
    assert not worker.is_alive()
    term.close()  # idempotent
    assert term.open(ATTACH).login == 1001  # a new worker after close
    term.close()


class Overlap:
    """Counts API calls in flight at once."""

    def __init__(self, api: Any) -> None:
        self.api, self.busy, self.most = api, 0, 0
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.api, name)
        if not callable(attr):  # the simulator's process list, constants
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.busy += 1
                self.most = max(self.most, self.busy)
            try:
                time.sleep(0.001)
                return attr(*args, **kwargs)
            finally:
                with self.lock:
                    self.busy -= 1

        return call


def test_adapters_sharing_an_api_take_turns(clock: FakeClock) -> None:
    api = Overlap(make_sim(clock))
    first, second = terminal(api), terminal(api)
    first.open(ATTACH)
    second.open(ATTACH)

    def work(i: int) -> int:
        return len((first if i % 2 else second).deals(0, MAX))

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(work, range(60))) == {6}
    assert api.most == 1
    first.close()
    second.close()


def test_load_metatrader5_off_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "MetaTrader5", None)  # import fails
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(TerminalUnavailable, match="runs only on Windows.*simulated demo terminal"):
        load_metatrader5()
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(TerminalUnavailable, match="pip install MetaTrader5"):
        real_terminal()


def test_load_metatrader5_returns_the_module(monkeypatch: pytest.MonkeyPatch,
                                             clock: FakeClock) -> None:
    sim = make_sim(clock)
    monkeypatch.setitem(sys.modules, "MetaTrader5", sim)
    assert load_metatrader5() is sim
    with real_terminal() as term:
        assert term.open(AccountRef(login=1001)).login == 1001

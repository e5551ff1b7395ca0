"""A simulated MetaTrader 5 terminal with the MetaTrader5 module's API.

`SimulatedMT5` stands in for the `MetaTrader5` module: the same functions as
methods, the same constants and result types as attributes, the quirks of
mt5-api.md sections 1 and 6 (every call resets last_error to (1,'Success');
calls before initialize fail with (-10004,'No IPC connection'); a second
initialize fails with -10003; shutdown() returns True). Its clock is
injectable (`clock()` returns real UTC epoch seconds) and every time it
reports is on the trade server's clock: a rule such as GMT+2/US
(`server_timezone`, issue 10) or a fixed `server_utc_offset_minutes`.

It knows one or more accounts (each a `Broker` with its own history); one is
logged in, and `login()`/`initialize(login=...)` switch it as MT5 does.

Faults, injected with `inject_fault(kind, after_calls=0)`: the fault fires on
the call after `after_calls` more API calls (last_error() does not count) and
stays until `clear_faults()`, unless noted.
- "ipc_timeout": initialize and login fail with (-10005,'IPC timeout').
- "ipc_timeout_once": only the next initialize fails with -10005, then it is gone.
- "auth_failed": initialize and login fail with (-6,'Terminal: Authorization failed').
- "not_connected": terminal_info().connected is False; data calls still answer
  from the cache, the live demo stops growing and ticks stop advancing;
  initialize with credentials and login time out (-10005).
- "account_switched": once: the terminal is now logged into another account
  (the next known one, or a new empty one) and every call answers for it.
- "terminal_closed": the pipe breaks and the process is gone (`running` is
  False): every call fails with -10004 until initialize, and initialize fails
  with (-10003,'... Process create failed') until clear_faults() (the user
  started MT5 again).
- "hang": the terminal does not answer (a modal dialog, frozen): initialize
  and login wait their whole `timeout` (real time, via `sleep`) and then fail
  with (-10005,'IPC timeout'), as the wheel's readiness loop does (G8, G10).

The terminal process (issue 9): `running` says whether terminal64.exe runs
(`processes.is_running(path)` answers from it); `initialize` on a terminal that
is not running launches it, as the real package does (MetaTrader5 docs:
initialize "launches" the terminal when needed; mt5-api.md G7), and counts
it in `launches`, so tests can assert that attach mode never starts MT5.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from mt5tray.core.server_clock import parse_clock
from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.bars import TIMEFRAMES
from mt5tray.terminal.sim.book import ServerClock, SymbolSpec
from mt5tray.terminal.sim.broker import Broker
from mt5tray.terminal.sim.callargs import (
    ALREADY_INITIALIZED,
    AUTH_FAILED,
    INVALID_ARG_COUNT,
    INVALID_LOGIN,
    IPC_TIMEOUT,
    NO_IPC,
    PROCESS_CREATE_FAILED,
    SUCCESS,
    TERMINAL_NOT_FOUND,
    Error,
)
from mt5tray.terminal.sim.faults import Faults
from mt5tray.terminal.sim.processes import SimulatedProcesses
from mt5tray.terminal.sim.queries import QueryCalls
from mt5tray.terminal.sim.rates import RateCalls

DEFAULT_TERMINAL_PATH = r"C:\Program Files\MetaTrader 5\terminal64.exe"
DATA_PATH = r"C:\Users\trader\AppData\Roaming\MetaQuotes\Terminal"
F = TypeVar("F", bound=Callable[..., Any])


def _normpath(path: str) -> str:
    return path.replace("/", "\\").rstrip("\\").lower()


def _locked(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(self: SimulatedMT5, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return fn(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class SimulatedMT5(QueryCalls, RateCalls):
    """The MetaTrader5 module API over simulated accounts (see the module doc)."""

    def __init__(self, *, server_utc_offset_minutes: int = 0,
                 clock: Callable[[], float] | None = None,
                 terminal_path: str | None = DEFAULT_TERMINAL_PATH,
                 build: int = 5120, server_timezone: str | None = None) -> None:
        # server_timezone: a clock spec (core/server_clock.py, e.g. "ny-close");
        # without one the server runs a fixed server_utc_offset_minutes clock.
        rule = parse_clock(server_timezone) if server_timezone else None
        self.clock = ServerClock(clock or time.time, server_utc_offset_minutes, rule)
        self.terminal_path = terminal_path
        self.build = build
        self.accounts: dict[int, Broker] = {}
        self.faults = Faults()
        # Called with the UTC now before each data call (the live demo grows this way).
        self.tickers: list[Callable[[float], None]] = []
        self.synthetic_trader: Any = None  # set by sim.synthetic
        self._lock = threading.RLock()
        self._error: Error = SUCCESS
        self._current: int | None = None
        self._initialized = False
        self._broken = False
        self._frozen_at: float | None = None  # server time when the broker link dropped
        # The terminal process (see the module doc).
        self.running = True
        self.launches = 0
        self.processes = SimulatedProcesses(lambda: [self])
        self.sleep: Callable[[float], None] = time.sleep  # what "hang" waits with
        # The accounts a simulated run syncs and how (AccountRefs), when the
        # scenario says so (terminal_path, terminal_login, mode, terminals).
        self.accounts_to_sync: list[Any] | None = None
        # Price history starts here (UTC seconds; None: years back, as maxbars allows).
        self.bars_from_utc: float | None = None

    # --- set-up -----------------------------------------------------------------

    @property
    def server_utc_offset_minutes(self) -> int:
        return self.clock.offset_minutes

    @server_utc_offset_minutes.setter
    def server_utc_offset_minutes(self, minutes: int) -> None:
        self.clock.offset_minutes = minutes

    def add_account(self, login: int, *, server: str = "MT5Tray-Sim", password: str | None = None,
                    symbols: dict[str, SymbolSpec] | None = None, **fields: Any) -> Broker:
        """Add an account (AccountInfo fields as keywords); the first one is logged in."""
        account = {"login": login, "server": server, "name": "Simulated Trader",
                   "company": "mt5tray simulator", "currency": "USD", "currency_digits": 2,
                   "leverage": 100, "trade_allowed": True, "trade_expert": True,
                   "limit_orders": 200, "margin_so_call": 50.0, "margin_so_so": 30.0,
                   "margin_mode": t.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING, **fields}
        return self.attach(Broker(account, self.clock, symbols, password))

    def attach(self, broker: Broker) -> Broker:
        broker.clock = self.clock
        self.accounts[broker.login] = broker
        if self._current is None:
            self._current = broker.login
        return broker

    @property
    def broker(self) -> Broker:
        """The books of the account the terminal is logged into."""
        if self._current is None:
            raise RuntimeError("the simulator has no account: call add_account() first")
        return self.accounts[self._current]

    def inject_fault(self, kind: str, after_calls: int = 0) -> None:
        with self._lock:
            self.faults.inject(kind, after_calls)

    def clear_faults(self) -> None:
        with self._lock:
            if self.faults.is_active("terminal_closed"):
                self.running = True  # the user started MT5 again
            self.faults.clear()
            self._frozen_at = None

    def installed_at(self, path: str) -> bool:
        """Whether `path` (terminal64.exe or its folder) is this install."""
        return self._path_ok(path)

    # --- plumbing shared with QueryCalls ---------------------------------------

    def _enter(self) -> bool:
        """Prologue of every call but last_error(): reset the error, let faults
        fire, refuse without a pipe, and bring the live demo up to now."""
        self._begin()
        if not self._initialized or self._broken:
            self._error = NO_IPC
            return False
        if self._frozen_at is None:
            now = self.clock.utc()
            for ticker in self.tickers:
                ticker(now)
        return True

    def _begin(self) -> None:
        self._error = SUCCESS
        for kind in self.faults.tick():
            if kind == "account_switched":
                self.faults.consume(kind)
                self._switch_away()
            elif kind == "terminal_closed":
                self._broken = True
                self.running = False
            elif kind == "not_connected" and self._frozen_at is None:
                self._frozen_at = self.clock.server_time()

    def _server_now(self) -> float:
        now = self.clock.server_time()
        return now if self._frozen_at is None else min(now, self._frozen_at)

    def _switch_away(self) -> None:
        others = [login for login in self.accounts if login != self._current]
        if not others:
            fresh = self.add_account(self.broker.login + 1, server=self.broker.account["server"],
                                     name="Other Trader")
            fresh.deposit(5000.0)
            others = [fresh.login]
        self._current = others[0]

    def _authenticate(self, login: Any, password: Any, server: Any) -> Error | None:
        if isinstance(login, bool) or not isinstance(login, int):
            return INVALID_LOGIN
        if self.faults.is_active("auth_failed"):
            return AUTH_FAILED
        if self.faults.is_active("not_connected"):
            return IPC_TIMEOUT  # waits for a trade server that never answers
        book = self.accounts.get(login)
        if (book is None or (server is not None and server != book.account["server"])
                or (password is not None and book.password not in (None, password))):
            return AUTH_FAILED
        self._current = login
        return None

    def _path_ok(self, path: Any) -> bool:
        if self.terminal_path is None:
            return True
        wanted = _normpath(self.terminal_path)
        given = _normpath(str(path))
        return given in (wanted, wanted.rsplit("\\", 1)[0])

    # --- connection -------------------------------------------------------------

    @_locked
    def initialize(self, *args: Any, path: Any = None, login: Any = None, password: Any = None,
                   server: Any = None, timeout: int = 60000, portable: bool = False,
                   **_ignored: Any) -> bool:
        self._begin()
        if len(args) > 1:
            return self._init_failed(INVALID_ARG_COUNT)
        if self._initialized and not self._broken:
            self._error = ALREADY_INITIALIZED
            return False
        path = args[0] if args else path
        if login is not None and (isinstance(login, bool) or not isinstance(login, int)):
            return self._init_failed(INVALID_LOGIN)
        if path is not None and not self._path_ok(path):
            return self._init_failed(TERMINAL_NOT_FOUND)
        if self.faults.is_active("terminal_closed"):
            return self._init_failed(PROCESS_CREATE_FAILED)
        if not self.running:  # no pipe: the package starts terminal64.exe (G7)
            self.running = True
            self.launches += 1
        if self.faults.is_active("hang"):
            self.sleep(max(timeout, 0) / 1000)
            return self._init_failed(IPC_TIMEOUT)
        if self.faults.consume("ipc_timeout_once") or self.faults.is_active("ipc_timeout"):
            return self._init_failed(IPC_TIMEOUT)
        if self.faults.is_active("auth_failed"):
            return self._init_failed(AUTH_FAILED)
        if login is not None:
            error = self._authenticate(login, password, server)
            if error is not None:
                return self._init_failed(error)
        self._initialized, self._broken = True, False
        return True

    def _init_failed(self, error: Error) -> bool:
        self._error = error
        self._initialized = False  # any failure closes the pipe, so a retry is allowed
        return False

    @_locked
    def login(self, *args: Any, login: Any = None, password: Any = None, server: Any = None,
              timeout: int = 60000, **_ignored: Any) -> bool:
        if not self._enter():
            return False
        if len(args) > 3:
            self._error = INVALID_ARG_COUNT
            return False
        login, password, server = (*args, *(login, password, server)[len(args):])[:3]
        if self.faults.is_active("hang"):
            self.sleep(max(timeout, 0) / 1000)
        hung = self.faults.is_active("ipc_timeout") or self.faults.is_active("hang")
        error = IPC_TIMEOUT if hung else None
        error = error or self._authenticate(login, password, server)
        if error is not None:
            self._error = error
            return False
        return True

    @_locked
    def shutdown(self) -> bool:
        self._begin()
        self._initialized = self._broken = False
        return True

    @_locked
    def version(self) -> tuple[int, int, str] | None:
        return (500, self.build, "16 Jun 2025") if self._enter() else None

    def last_error(self) -> tuple[int, str]:
        with self._lock:
            return self._error

    @_locked
    def account_info(self) -> Any:
        return self.broker.account_tuple() if self._enter() else None

    @_locked
    def terminal_info(self) -> Any:
        if not self._enter():
            return None
        install = (self.terminal_path or DEFAULT_TERMINAL_PATH).rsplit("\\", 1)[0]
        info = t.empty_record("TerminalInfo")
        info.update(
            connected=self._frozen_at is None, trade_allowed=True, build=self.build,
            maxbars=100_000, codepage=0, ping_last=35_000,
            company=self.broker.account["company"], name="MetaTrader 5", language="English",
            path=install, data_path=DATA_PATH + r"\D0E8209F77C8CF37AD8BF550E51FF075",
            commondata_path=DATA_PATH + r"\Common",
        )
        return t.TerminalInfo(**info)


# Constants and result types as attributes, so an instance passes for the module.
for _name, _value in {**t.CONSTANTS, **t.TYPES, **TIMEFRAMES}.items():
    setattr(SimulatedMT5, _name, _value)

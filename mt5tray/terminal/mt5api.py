"""The Terminal port over any object with the MetaTrader5 module's API.

`Mt5ApiTerminal(api)` works the same over the real `MetaTrader5` module
(see metatrader.py) and a `SimulatedMT5`, which exercises it in tests. It is
deliberately thin: it connects (retrying once after an IPC timeout), checks
the terminal holds the expected account, reads, and turns every failure
into a typed error of core.errors (translate.py).

The MetaTrader5 package keeps one pipe per process and is not thread-safe,
so every API call runs on one worker thread owned by the adapter, whichever
thread calls it; adapters sharing one API object (one per sync, say) also
take turns on a lock kept per API object, so their calls never overlap.
Passwords come from `password_for(login, server)` and are
never logged.

The trader's terminal is respected (issue 9): `initialize` launches a closed
terminal (MetaTrader5 docs, mt5initialize_py; mt5-api.md G7), so before it the
adapter asks `processes` whether the account's terminal runs and, unless
launching is allowed (ownership.py), reports "MT5 terminal not running"
instead. Login mode never logs a running terminal that holds another account
into a different one unless the account owns that terminal. Connecting never takes
longer than `timeout_ms` in all, so a hung terminal delays the next one by at
most that.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from mt5tray.core.errors import AccountMismatch, BrokerNotConnected
from mt5tray.core.models import (
    AccountRef,
    TerminalAccount,
    TerminalDeal,
    TerminalPosition,
    TerminalStatus,
)
from mt5tray.terminal.ownership import (
    check_may_switch,
    login_credentials,
    may_launch,
    not_installed,
    not_running,
)
from mt5tray.terminal.processes import PsutilProcesses, TerminalProcesses
from mt5tray.terminal.translate import PIPE_BROKEN, translate_error

log = logging.getLogger(__name__)
T = TypeVar("T")
INT32_MAX = 2**31 - 1
MIN_RETRY_MS = 1000  # below this much time left, a retry is not worth delaying the others
PasswordGetter = Callable[[int, str | None], str | None]

_API_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
# API objects whose 2038 date limit was already logged: said once, not every sync.
_SAID_2038: weakref.WeakSet[Any] = weakref.WeakSet()
DATE_LIMIT_WARNING = (
    "The sync window reaches past 2038-01-19 03:14:07 (server clock), the latest date the "
    "MetaTrader5 package can pass to the terminal (it reads dates as a signed 32-bit number; "
    "mt5-api.md section 1.1): deals dated after it cannot be read by date and are not synced.")
_API_LOCKS_GUARD = threading.Lock()


def _lock_for(api: Any) -> threading.Lock:
    """One lock per API object (the MetaTrader5 module is one per process)."""
    with _API_LOCKS_GUARD:
        try:
            return _API_LOCKS.setdefault(api, threading.Lock())
        except TypeError:  # not weak-referenceable: this adapter alone
            return threading.Lock()


class Mt5ApiTerminal:
    """One connection to one MT5 terminal through a MetaTrader5-like `api`."""

    def __init__(self, api: Any, password_for: PasswordGetter | None = None,
                 timeout_ms: int = 60000, retry_delay_s: float = 1.5,
                 processes: TerminalProcesses | None = None,
                 start_if_closed: bool = False) -> None:
        self._api = api
        # The simulator models the process list itself (sim.processes); the
        # real MetaTrader5 module has no such attribute, so psutil answers.
        self._processes: TerminalProcesses = (
            processes or getattr(api, "processes", None) or PsutilProcesses())
        self.start_if_closed = start_if_closed
        self._password_for = password_for
        self.timeout_ms = timeout_ms
        self.retry_delay_s = retry_delay_s  # pause before the one retry (0 in tests)
        self._account: AccountRef | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._worker: int | None = None
        self._guard = threading.Lock()
        self._api_lock = _lock_for(api)

    # --- the Terminal port ----------------------------------------------------

    def open(self, account: AccountRef) -> TerminalAccount:
        return self._on_worker(self._open, account)

    def account(self) -> TerminalAccount:
        return self._on_worker(self._read_account)

    def status(self) -> TerminalStatus:
        return self._on_worker(self._read_status)

    def positions(self) -> list[TerminalPosition]:
        found = self._on_worker(self._data, "positions_get")
        return [TerminalPosition(*p) for p in found]

    def deals(self, date_from: int, date_to: int) -> list[TerminalDeal]:
        if date_to >= INT32_MAX:
            self._say_date_limit_once()
        found = self._on_worker(self._data, "history_deals_get", _clamp(date_from),
                                _clamp(date_to))
        return [TerminalDeal(*d) for d in found]

    def _say_date_limit_once(self) -> None:
        try:
            first = self._api not in _SAID_2038
            _SAID_2038.add(self._api)
        except TypeError:  # not weak-referenceable: say it every time rather than never
            first = True
        if first:
            log.warning("%s", DATE_LIMIT_WARNING)

    def position_deals(self, position_id: int) -> list[TerminalDeal]:
        found = self._on_worker(self._data, "history_deals_get", position=int(position_id))
        return [TerminalDeal(*d) for d in found]

    def tick_time(self, symbol: str) -> int | None:
        return self._on_worker(self._tick_time, symbol)

    def symbol_names(self, group: str) -> list[str]:
        """Names matching a symbols_get group mask (suffixed majors: "*EURUSD*")."""
        return self._on_worker(self._symbol_names, group)

    def bar_times(self, symbol: str, date_from: int, date_to: int) -> list[int]:
        """Open times (server clock) of the symbol's H1 bars in [date_from, date_to],
        via copy_rates_range (the field `time` of its structured array)."""
        return self._on_worker(self._bar_times, symbol, _clamp(date_from), _clamp(date_to))

    def positions_total(self) -> int:
        return self._on_worker(self._total, "positions_total")

    def orders_total(self) -> int:
        return self._on_worker(self._total, "orders_total")

    def deals_total(self, date_from: int, date_to: int) -> int:
        return self._on_worker(self._total, "history_deals_total", _clamp(date_from),
                               _clamp(date_to))

    def close(self) -> None:
        with self._guard:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            executor.submit(self._exclusive, self._api.shutdown).result()
        except Exception:  # closing must not fail; the pipe is gone either way
            log.debug("MT5 shutdown failed", exc_info=True)
        finally:
            executor.shutdown(wait=True)

    def __enter__(self) -> Mt5ApiTerminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the worker thread --------------------------------------------------------

    def _on_worker(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn on the one MT5 thread and wait for its result (or its error)."""
        if threading.get_ident() == self._worker:
            return fn(*args, **kwargs)
        with self._guard:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="mt5-api", initializer=self._mark_worker)
            executor = self._executor
        return executor.submit(self._exclusive, fn, *args, **kwargs).result()

    def _exclusive(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._api_lock:
            return fn(*args, **kwargs)

    def _mark_worker(self) -> None:
        self._worker = threading.get_ident()

    # --- what runs on the worker -------------------------------------------------

    def _open(self, account: AccountRef) -> TerminalAccount:
        self._account = account
        base: dict[str, Any] = {"timeout": self.timeout_ms}
        path = account.terminal_path
        if path:
            base["path"] = path
        login_mode = account.mode == "login"
        credentials = login_credentials(account, self._password_for) if login_mode else {}
        if path and not self._processes.is_installed(path):
            raise not_installed(path)
        running = self._processes.is_running(path)
        if not running and not may_launch(account, self.start_if_closed):
            raise not_running(account)
        # A closed terminal of a login-mode account is launched and logged in
        # at once; a running one is attached first, and only then logged in.
        self._initialize({**base, **credentials} if login_mode and not running else base)
        try:
            if login_mode and running:
                self._log_in(account, credentials)
            if not self._read_status().connected:
                server = f" {account.server}" if account.server else ""
                raise BrokerNotConnected(
                    f"MetaTrader 5 is running but not connected to the trade server{server}. "
                    "Check the internet connection and the login in the terminal; the sync "
                    "will be retried.")
            current = self._read_account()
            if account.login is not None and current.login != account.login:
                raise AccountMismatch(
                    f"MT5 is logged into {current.login}@{current.server}, not "
                    f"{account.describe()}; switch the terminal back to {account.login}, or "
                    "change the account in settings.")
            return current
        except Exception:
            self._api.shutdown()  # leave no half-open pipe behind
            raise

    def _log_in(self, account: AccountRef, credentials: dict[str, Any]) -> None:
        """Log a running terminal into `account`, unless it holds another
        account the user did not hand over to mt5tray (ownership.py)."""
        current = self._api.account_info()
        check_may_switch(account, int(current.login) if current is not None else None,
                         current.server if current is not None else None)
        shown = {k: v for k, v in credentials.items() if k != "password"}
        log.debug("MT5 login(%s)", shown)
        if not self._api.login(timeout=self.timeout_ms, **credentials):
            raise self._fail("login")

    def _initialize(self, kwargs: dict[str, Any]) -> None:
        shown = {k: v for k, v in kwargs.items() if k != "password"}
        deadline = time.monotonic() + self.timeout_ms / 1000
        for attempt in (1, 2):
            log.debug("MT5 initialize(%s), attempt %d", shown, attempt)
            if self._api.initialize(**kwargs):
                return
            code, message = self._api.last_error()
            stale_pipe = code == -10003 and "already initialized" in message
            if attempt == 2 or not (code == -10005 or stale_pipe):
                break
            # One retry: close our side, give the terminal a moment, try again (G8),
            # within what is left of the timeout: a terminal that used all of it
            # (hung, or showing a dialog) must not hold up the next terminal.
            self._api.shutdown()
            if code == -10005:
                left_ms = int((deadline - time.monotonic() - self.retry_delay_s) * 1000)
                if left_ms < MIN_RETRY_MS:
                    break
                kwargs = {**kwargs, "timeout": left_ms}
                if self.retry_delay_s:
                    time.sleep(self.retry_delay_s)
        raise translate_error(code, message, "initialize", self._account, self.timeout_ms)

    def _fail(self, call: str) -> Exception:
        code, message = self._api.last_error()
        return translate_error(code, message, call, self._account, self.timeout_ms)

    def _read_account(self) -> TerminalAccount:
        info = self._api.account_info()
        if info is None:
            raise self._fail("account_info")
        return TerminalAccount(
            login=int(info.login), server=info.server, name=info.name, company=info.company,
            currency=info.currency, leverage=int(info.leverage), trade_mode=int(info.trade_mode),
            margin_mode=int(info.margin_mode), balance=info.balance, credit=info.credit,
            profit=info.profit, equity=info.equity, margin=info.margin,
            margin_free=info.margin_free, margin_level=info.margin_level)

    def _read_status(self) -> TerminalStatus:
        info = self._api.terminal_info()
        if info is None:
            raise self._fail("terminal_info")
        return TerminalStatus(connected=bool(info.connected), build=int(info.build),
                              name=info.name, company=info.company, path=info.path)

    def _data(self, call: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """A tuple-returning call: None is an error, () is "nothing"."""
        found = getattr(self._api, call)(*args, **kwargs)
        if found is None:
            raise self._fail(call)
        return tuple(found)

    def _total(self, call: str, *args: Any) -> int:
        """A `*_total` call: None is an error, not 0 (mt5-api.md 1.1)."""
        found = getattr(self._api, call)(*args)
        if found is None:
            raise self._fail(call)
        return int(found)

    def _symbol_names(self, group: str) -> list[str]:
        found = self._api.symbols_get(group=group)
        if found is None:
            code, _ = self._api.last_error()
            if code in PIPE_BROKEN or code in (-10000, -10005):
                raise self._fail("symbols_get")
            return []
        return [str(info.name) for info in found]

    def _bar_times(self, symbol: str, date_from: int, date_to: int) -> list[int]:
        # The symbol must be in Market Watch for its history (mt5-api.md G15).
        self._api.symbol_select(symbol, True)
        rates = self._api.copy_rates_range(symbol, self._api.TIMEFRAME_H1, date_from, date_to)
        if rates is None:
            code, _ = self._api.last_error()
            if code in PIPE_BROKEN or code in (-10000, -10005):
                raise self._fail("copy_rates_range")
            return []  # no history for it: detection looks at the next symbol
        return _rate_times(rates)

    def _tick_time(self, symbol: str) -> int | None:
        # Symbols outside Market Watch return no tick: select first.
        tick = self._api.symbol_info_tick(symbol) if self._api.symbol_select(symbol, True) \
            else None
        if tick is None:
            code, _ = self._api.last_error()
            if code in PIPE_BROKEN or code in (-10000, -10005):
                raise self._fail("symbol_info_tick")
            return None  # an unknown symbol: no tick, not a failure
        return int(tick.time) or None


def _rate_times(rates: Any) -> list[int]:
    """The `time` column of a copy_rates_* result (a numpy structured array)."""
    return [int(value) for value in rates["time"]]


def _clamp(seconds: int) -> int:
    """Date arguments are a signed 32-bit int in the wheel; stay inside it."""
    return max(0, min(INT32_MAX, int(seconds)))

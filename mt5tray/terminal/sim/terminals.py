"""Scenario keys about the terminal process and the PC (issue 9).

One terminal (top-level keys of a scenario):
    "terminal_path":    the install's terminal64.exe (default: Program Files);
    "terminal_running": false: the terminal is closed, so `initialize` would
                        have to launch it (default true);
    "terminal_login":   the account the running terminal is logged into
                        (default: the scenario's "account"); a login not in
                        the scenario is an empty account on the same server;
    "mode", "owns_terminal": how mt5tray is set up for the scenario's account
                        (settings, not terminal state; defaults "attach" and
                        false). Read only by simulated runs.
Several terminals on one PC:
    {"terminals": [{one terminal's scenario: terminal_path, account, deals,
      ..., terminal_running, terminal_login, mode, owns_terminal}, ...],
     "server_utc_offset_minutes": ..., "server_timezone": ..., "now_utc": ...,
     "description": ...}
The terminals share one trade-server clock. Each needs its own
terminal_path. A simulated run syncs each terminal's "account" with its
path, mode and owns_terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mt5tray.core.models import AccountRef
from mt5tray.terminal.sim.machine import SimulatedMachine
from mt5tray.terminal.sim.simulator import SimulatedMT5

TERMINAL_KEYS = {"terminal_running", "terminal_login", "mode", "owns_terminal"}
MACHINE_KEYS = {"terminals", "server_utc_offset_minutes", "server_timezone", "now_utc",
                "description"}
SHARED_KEYS = ("server_utc_offset_minutes", "server_timezone", "now_utc")
MODES = ("attach", "login")


def apply_terminal_keys(check: Any, data: dict[str, Any], sim: SimulatedMT5,
                        primary: Any) -> None:
    """Set the process state, the logged-in account and the sync set-up."""
    if "terminal_running" in data:
        sim.running = check.value(data["terminal_running"], "b", "terminal_running")
    if "terminal_login" in data:
        login = check.value(data["terminal_login"], "u", "terminal_login")
        if login not in sim.accounts:
            other = sim.add_account(login, server=primary.account["server"], name="Other Trader")
            other.deposit(1000.0)
        sim._current = login
    mode = data.get("mode", "attach")
    if mode not in MODES:
        raise check.fail("mode", f"expected one of {', '.join(MODES)}, got {mode!r}")
    owns = check.value(data.get("owns_terminal", False), "b", "owns_terminal")
    if ({"terminal_path"} | TERMINAL_KEYS) & data.keys():
        path = sim.terminal_path if "terminal_path" in data else None
        sim.accounts_to_sync = [AccountRef(primary.login, primary.account["server"], path,
                                           mode, "", owns)]


def load_machine(data: dict[str, Any], label: str, check: Any,
                 load_one: Callable[..., SimulatedMT5],
                 clock: Callable[[], float] | None) -> SimulatedMachine:
    """A PC with several terminals; `load_one(dict, clock, label=...)` builds one."""
    check.obj(data, "", tuple(MACHINE_KEYS))
    entries = data["terminals"]
    if not isinstance(entries, list) or not entries:
        raise check.fail("terminals", "expected a non-empty list of terminals")
    terminals: list[SimulatedMT5] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = f"terminals[{i}]"
        if not isinstance(entry, dict):
            raise check.fail(where, f"expected an object, got {type(entry).__name__}")
        if "terminal_path" not in entry:
            raise check.fail(f"{where}.terminal_path", "required: each terminal has its own "
                             "install")
        for key in SHARED_KEYS:
            if key in entry:
                raise check.fail(f"{where}.{key}", "set it once, at the top level (the "
                                 "terminals share one clock)")
        path = str(entry["terminal_path"]).lower()
        if path in seen:
            raise check.fail(f"{where}.terminal_path", f"the same install as terminals"
                             f"[{seen[path]}]: two terminals cannot run from one folder")
        seen[path] = i
        shared = {key: data[key] for key in SHARED_KEYS if key in data}
        terminal = load_one({**shared, **entry}, clock, label=f"{label}: {where}")
        if terminal.accounts_to_sync is None:
            ref = next(iter(terminal.accounts.values()))
            terminal.accounts_to_sync = [AccountRef(ref.login, ref.account["server"],
                                                    terminal.terminal_path)]
        terminals.append(terminal)
    return SimulatedMachine(terminals)

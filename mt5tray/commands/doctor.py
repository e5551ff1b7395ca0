"""`mt5tray doctor`: check each part the sync needs and explain, one line each."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

import httpx

from mt5tray.bootstrap import SUPABASE, App, Simulation, account_refs, build_app, load_settings
from mt5tray.buildinfo import startup_line
from mt5tray.commands.beside_tray import command_lock
from mt5tray.commands.options import add_common_source_options
from mt5tray.core.clock_choice import choose_clock
from mt5tray.core.clock_text import server_clock_line
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.models import AccountRef
from mt5tray.paths import app_paths
from mt5tray.secrets import friendly_backend_name, usable_backend_problem


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("doctor", help="check what syncing needs, one line each")
    add_common_source_options(parser)
    parser.set_defaults(handler=run)


class Report:
    def __init__(self) -> None:
        self.failed = False

    def line(self, level: str, what: str, detail: str) -> None:
        self.failed |= level == "FAIL"
        print(f"[{level:<4}] {what}: {detail}")

    def check(self, what: str, probe: Callable[[], str]) -> None:
        try:
            self.line("OK", what, probe())
        except Mt5TrayError as exc:
            self.line("FAIL", what, exc.message)


def run(args: argparse.Namespace) -> int:
    """Every check, each on its own line, even after one failed: a trader
    fixing a PC wants the whole list at once."""
    simulation = Simulation.from_arg(args.simulate)
    report = Report()
    report.check("MetaTrader5 package", lambda: _package(simulation))
    with command_lock().held():  # beside a running tray: wait for its sync, then check
        try:
            app = build_app(simulation, args.store)  # once: opening it recovers and backfills
        except Mt5TrayError as exc:  # e.g. the Supabase store needs a keyring there is not
            report.line("FAIL", "store", exc.message)
            _keyring_check(report, needed=True)
            if args.store == SUPABASE:
                _, settings = load_settings(app_paths())
                if settings.supabase.url:
                    reachable = _host_check(settings.supabase.url.rstrip("/"),
                                            settings.supabase.publishable_key)
                    report.line("OK" if reachable.startswith("reachable") else "FAIL",
                                "supabase host", f"{settings.supabase.url} {reachable}")
            return 1
        try:
            report.line("INFO", "build", startup_line(app.store_label, app.terminal_label()))
            _terminal_checks(report, app)
            _keyring_check(report, needed=_needs_keyring(app))
            count = len(app.store.list_accounts())
            report.line("OK", "store", f"local journal {app.store.path} opened "
                        f"({count} account{'s' if count != 1 else ''} in it)")
            _supabase_checks(report, app)
        finally:
            app.close()
    return 1 if report.failed else 0


def _needs_keyring(app: App) -> bool:
    """Secrets are needed for Supabase (session, outbox key) and login-mode
    passwords; the simulated demo on its own journal needs none."""
    if app.remote is not None:
        return True
    return app.simulation is None and any(a.mode == "login" for a in app.settings.accounts)


def _keyring_check(report: Report, needed: bool) -> None:
    problem = usable_backend_problem()
    if problem is None:
        report.line("OK", "keyring", friendly_backend_name())
    elif needed:
        report.line("FAIL", "keyring", problem)
    else:
        report.line("INFO", "keyring", "not needed for this run (no password or Supabase "
                    f"session to keep); {problem}")


def _package(simulation: Simulation | None) -> str:
    if simulation is not None:
        source = simulation.scenario or "the live demo account"
        return f"not needed: using the simulated terminal ({source})"
    from mt5tray.terminal.metatrader import load_metatrader5

    module = load_metatrader5()
    return f"importable (version {getattr(module, '__version__', 'unknown')})"


def _terminal_checks(report: Report, app: App) -> None:
    """One terminal check per account's terminal (several on a prop-firm PC)."""
    refs = list(app.service.accounts()) or account_refs(app.settings, app.simulation)
    for ref in refs:
        where = ref.terminal_path or ref.describe()
        _terminal_check(report, app, ref, "terminal" if len(refs) == 1 else f"terminal {where}")


def _terminal_check(report: Report, app: App, ref: AccountRef, what: str) -> None:
    try:
        terminal = app.engine.terminal_factory()
        try:
            account = terminal.open(ref)
            status = terminal.status()
            link = "connected to the broker" if status.connected else "NOT connected to the broker"
            who = f"{account.login}@{account.server}"
            report.line("OK" if status.connected else "WARN", what,
                        f"logged into {who}, {link} (build {status.build})")
            _clock_check(report, app, terminal, ref, account.login, account.server)
        finally:
            terminal.close()
    except Mt5TrayError as exc:
        report.line("FAIL", what, exc.message)


def _clock_check(report: Report, app: App, terminal: object, ref: AccountRef, login: int,
                 server: str) -> None:
    """The server clock the next sync would use (detected now, nothing written)."""
    state = app.store.find_account(login, server)
    if state is None:
        from mt5tray.core.models import AccountState
        state = AccountState("", login, server, None, None, 0)
    spec = ref.server_timezone if ref.server_timezone != "auto" else \
        app.settings.default_server_timezone()
    choice = choose_clock(terminal, state, spec, time.time())  # type: ignore[arg-type]
    row = {**dataclasses.asdict(state), **choice.account_columns()}
    level = "WARN" if choice.live == "mismatch" or choice.source == "fallback" else "OK"
    live = {"confirmed": "a fresh tick agrees",
            "stale": "no fresh tick to confirm it now (markets closed?)",
            "mismatch": choice.warning or ""}[choice.live]
    line = server_clock_line(row).removeprefix("Server clock ")  # the label says it
    report.line(level, "server clock", f"{line}; {live}")


def _supabase_checks(report: Report, app: App) -> None:
    """Reachable, signed in as whom, schema present; warn about a secret key."""
    agent = app.remote
    if agent is None:
        return
    warning = agent.service_role_warning()
    if warning:
        report.line("WARN", "supabase key", warning)
    session = agent.session
    reachable = _host_check(session.url, session.key)
    report.line("OK" if reachable.startswith("reachable") else "FAIL", "supabase host",
                f"{session.url} {reachable}")
    try:
        _, email = session.user()
        session.call(lambda: session.client.table("trading_accounts").select("id")
                     .limit(1).execute())
        session.call(lambda: session.client.table("sync_requests").select("id")
                     .limit(1).execute())
        # the web journal's API migration (agents, request_sync, ...)
        session.call(lambda: session.client.table("agents").select("id").limit(1).execute())
    except Mt5TrayError as exc:
        report.line("FAIL", "supabase", exc.message)
        return
    pending = agent.pending_uploads()
    report.line("OK", "supabase", f"signed in as {email}, schema present; {pending} rows "
                "waiting to upload")


def _host_check(url: str, key: str) -> str:
    """Really ask the server (auth's health endpoint, no sign-in needed):
    "reachable (...)" or why not. A name that does not resolve is no host."""
    try:
        response = httpx.get(f"{url}/auth/v1/health", headers={"apikey": key}, timeout=10)
    except httpx.ConnectError as exc:
        reason = "the name does not resolve" if "resolution" in str(exc).lower() or \
            "name or service" in str(exc).lower() or "getaddrinfo" in str(exc).lower() \
            else "the connection was refused or cut"
        return f"cannot be reached ({reason}): check the URL in settings and the network"
    except httpx.TimeoutException:
        return "did not answer within 10 s: check the network"
    except httpx.HTTPError as exc:
        return f"cannot be reached ({type(exc).__name__}): check the URL and the network"
    if response.status_code >= 500:
        return f"answers with a server error (HTTP {response.status_code}); try again later"
    return f"reachable (HTTP {response.status_code})"

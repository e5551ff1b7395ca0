"""`mt5tray doctor`: check each part the sync needs and explain, one line each."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from mt5tray.bootstrap import App, Simulation, account_refs, build_app
from mt5tray.commands.options import add_common_source_options
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.reader import measure_offset
from mt5tray.secrets import describe_backend, usable_backend_problem

_PROBE_SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "BTCUSD")


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
    simulation = Simulation.from_arg(args.simulate)
    report = Report()
    report.check("MetaTrader5 package", lambda: _package(simulation))
    app = build_app(simulation, args.store)  # once: opening it recovers and backfills
    try:
        _terminal_checks(report, app)
        problem = usable_backend_problem()
        report.line("FAIL" if problem else "OK", "keyring", problem or describe_backend())
        count = len(app.store.list_accounts())
        report.line("OK", "store", f"{app.store_label} reachable ({count} account(s) in it)")
        _supabase_checks(report, app)
    finally:
        app.close()
    return 1 if report.failed else 0


def _package(simulation: Simulation | None) -> str:
    if simulation is not None:
        source = simulation.scenario or "the live demo account"
        return f"not needed: using the simulated terminal ({source})"
    from mt5tray.terminal.metatrader import load_metatrader5

    module = load_metatrader5()
    return f"importable (version {getattr(module, '__version__', 'unknown')})"


def _terminal_checks(report: Report, app: App) -> None:
    try:
        ref = account_refs(app.settings, app.simulation)[0]
        terminal = app.engine.terminal_factory()
        try:
            account = terminal.open(ref)
            status = terminal.status()
            link = "connected to the broker" if status.connected else "NOT connected to the broker"
            who = f"{account.login}@{account.server}"
            report.line("OK" if status.connected else "WARN", "terminal",
                        f"logged into {who}, {link} (build {status.build})")
            symbols = [p.symbol for p in terminal.positions()] + list(_PROBE_SYMBOLS)
            offset = measure_offset(terminal, symbols, None, time.time())
            if offset is None:
                fallback = app.settings.server_utc_offset_minutes
                report.line("WARN", "server clock",
                            "not measurable now (no fresh tick: markets closed?); using "
                            + ("the last known offset" if fallback is None
                               else f"the configured {fallback:+d} min"))
            else:
                report.line("OK", "server clock", f"UTC{offset / 60:+g} h ({offset:+d} min)")
        finally:
            terminal.close()
    except Mt5TrayError as exc:
        report.line("FAIL", "terminal", exc.message)


def _supabase_checks(report: Report, app: App) -> None:
    """Reachable, signed in as whom, schema present; warn about a secret key."""
    agent = app.remote
    if agent is None:
        return
    warning = agent.service_role_warning()
    if warning:
        report.line("WARN", "supabase key", warning)
    session = agent.session
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
    report.line("OK", "supabase", f"{session.url} reachable, signed in as {email}, schema "
                f"present; {pending} rows waiting to upload")

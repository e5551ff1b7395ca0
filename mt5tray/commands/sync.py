"""`mt5tray sync`: sync the selected accounts now and report each one."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from mt5tray.bootstrap import Simulation, account_refs, build_app
from mt5tray.commands.beside_tray import command_lock
from mt5tray.commands.options import add_common_source_options
from mt5tray.core.errors import SettingsError
from mt5tray.core.formatting import count, store_words
from mt5tray.core.models import AccountRef, SyncType, Trigger
from mt5tray.core.server_clock import ServerClockError, canonical_spec

EXIT_OK, EXIT_FAILED = 0, 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("sync", help="sync accounts now")
    parser.add_argument("--account", type=int, metavar="LOGIN",
                        help="sync only this account (default: all enabled accounts)")
    parser.add_argument("--full", action="store_true",
                        help="re-import history instead of reading only what is new")
    history = parser.add_mutually_exclusive_group()
    history.add_argument("--history-days", type=_positive_int, metavar="N",
                         help="days of history for a full sync (implies --full; default 30)")
    history.add_argument("--all-history", action="store_true",
                         help="re-import all history (implies --full)")
    add_common_source_options(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the results as one JSON array, one object per account")
    parser.add_argument("--server-timezone", metavar="SPEC", type=_server_timezone,
                        help="the trade server's clock for this run only (ny-close, GMT+2/EU, "
                             "GMT+3, +05:30, an IANA zone, or auto); overrides the setting")
    parser.add_argument("--remote-requests", action="store_true",
                        help="serve pending Sync Now requests from the web journal instead "
                             "(Supabase store)")
    parser.set_defaults(handler=run)


def _server_timezone(text: str) -> str:
    try:
        return canonical_spec(text)
    except ServerClockError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the number of days must be at least 1")
    return value


def select_accounts(args: argparse.Namespace, app_settings, simulation,
                    simulated: list[AccountRef] | None = None) -> list[AccountRef]:
    refs = account_refs(app_settings, simulation, simulated)
    if args.account is None:
        return refs
    if simulation is not None and simulated:
        return [r for r in simulated if r.login == args.account] or [AccountRef(args.account)]
    if simulation is not None or not app_settings.accounts:
        return [AccountRef(login=args.account)]
    chosen = [a.ref() for a in app_settings.accounts if a.login == args.account]
    if not chosen:
        raise SettingsError(
            f"Account {args.account} is not configured. Add it with `mt5tray accounts add` "
            "or leave out --account."
        )
    return chosen


def run(args: argparse.Namespace) -> int:
    if args.remote_requests:
        from mt5tray.commands import serve_requests

        args.once, args.interval = True, 0.0
        return serve_requests.run(args)
    simulation = Simulation.from_arg(args.simulate)
    with command_lock().held():  # beside a running tray: wait for it, then sync here
        app = build_app(simulation, args.store)
        try:
            refs = select_accounts(args, app.settings, simulation, app.simulated_accounts)
            if args.server_timezone:  # this run only (issue 10)
                refs = [dataclasses.replace(r, server_timezone=args.server_timezone)
                        for r in refs]
            full = args.full or args.history_days is not None or args.all_history
            days = None if args.all_history else (args.history_days
                                                  or app.settings.full_resync_days)
            results = app.service.sync_all(
                SyncType.FULL if full else SyncType.INCREMENTAL, Trigger.CLI, days, refs
            )
            upload = _upload_status(app)
            state = app.remote.upload_state() if app.remote is not None else None
        finally:
            app.close()
    if args.json:
        json.dump([{**r.to_json(), "upload": state} for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if simulation is not None:
            print(f"Simulated terminal -> {store_words(app.store_label)}")
            if app.ignored_accounts_note:
                print(app.ignored_accounts_note)
        for result in results:
            print(result.summary())
        if upload:
            print(upload)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def _upload_status(app) -> str | None:
    """One line on the Supabase upload (the service listener already tried it)."""
    if app.remote is None:
        return None
    state = app.remote.upload_state()
    lines = [state["last_repair"]] if state["last_repair"] else []
    if state["quarantined_rows"]:
        reasons = "; ".join(r["reason"] for r in state["reasons"])
        lines.append(f"Supabase: {count(state['quarantined_rows'], 'row')} set aside, not uploaded "
                     f"({reasons}); see `mt5tray uploads status`.")
    pending = state["pending_rows"]
    if not pending:
        lines.append("Supabase: everything else uploaded." if lines
                     else "Supabase: everything uploaded.")
    else:
        reason = f": {app.remote.last_error}" if app.remote.last_error else ""
        lines.append(f"Supabase: {count(pending, 'row')} waiting to upload{reason}")
    return "\n".join(lines)

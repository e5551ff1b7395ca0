"""`mt5tray serve-requests`: remote "Sync Now" without the tray (headless PCs).

Polls Supabase for the web journal's sync requests of this PC's accounts,
serves them, uploads, and heartbeats; `--once` does one round (cron, tests).
Between rounds it listens over Supabase Realtime, so a request is served the
moment it is made (settings `supabase.realtime`).
"""

from __future__ import annotations

import argparse
import threading

from mt5tray.bootstrap import SUPABASE, Simulation, build_app
from mt5tray.commands.beside_tray import command_lock, hand_requests_to_tray
from mt5tray.commands.options import add_common_source_options
from mt5tray.core.errors import SettingsError


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve-requests",
                                 help="serve the web journal's Sync Now requests (Supabase)")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument("--interval", type=float, default=60.0, metavar="S",
                        help="seconds between rounds (default 60)")
    add_common_source_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.once and hand_requests_to_tray():
        return 0  # the tray running on this home serves them (issue 8)
    simulation = Simulation.from_arg(args.simulate)
    lock = command_lock()
    with lock.held():
        app = build_app(simulation, args.store)
    try:
        if app.remote is None:
            raise SettingsError(f"Remote requests need the Supabase store: pass --store "
                                f"{SUPABASE} or set store = '{SUPABASE}' in settings.")
        failed = False
        heard = threading.Event()
        if app.live_requests is not None and not args.once:
            app.live_requests.start(lambda func, name: heard.set())
        while True:
            with lock.held():  # one round at a time beside the tray
                report = app.remote.tick(app.service)
            for outcome in report.served:
                print(f"request {outcome.request_id}: {outcome.status}"
                      + (f" - {outcome.error}" if outcome.error else ""))
            if report.error is not None:
                print(f"mt5tray: {report.error}")
                failed = True
            if args.once:
                return 1 if failed else 0
            heard.wait(args.interval)  # a request heard over Realtime ends the wait
            heard.clear()
    finally:
        app.close()

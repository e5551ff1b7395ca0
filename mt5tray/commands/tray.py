"""`mt5tray tray` (also plain `mt5tray`): the system-tray app.

Qt is imported only here, when the command runs, so the other commands stay
headless and start fast.
"""

from __future__ import annotations

import argparse

from mt5tray.commands.sync import add_common_source_options


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("tray", help="start the system-tray app (the default command)")
    add_common_source_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mt5tray.ui.app import run_tray

    return run_tray(args.simulate, args.store)

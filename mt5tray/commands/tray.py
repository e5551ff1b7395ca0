"""`mt5tray tray` (also plain `mt5tray`): the system-tray app.

Qt is imported only here, when the command runs, so the other commands stay
headless and start fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from mt5tray.commands.options import add_common_source_options
from mt5tray.core.errors import ActionRequired

NO_DISPLAY = (
    "There is no graphical session here (DISPLAY and WAYLAND_DISPLAY are unset), so the tray "
    "cannot start. On a server run mt5tray headless: `mt5tray sync` for one sync, or "
    "`mt5tray serve-requests` to keep serving the web journal."
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("tray", help="start the system-tray app (the default command)")
    add_common_source_options(parser)
    parser.set_defaults(handler=run)


def has_display(environ: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    """Whether Qt can open a window. Only X11/Wayland systems can lack one;
    an explicit QT_QPA_PLATFORM (offscreen, vnc, ...) is the user's choice.
    Without this check Qt aborts the process with its own plugin message."""
    env = os.environ if environ is None else environ
    if not platform.startswith("linux") and "bsd" not in platform:
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run(args: argparse.Namespace) -> int:
    if not has_display():
        raise ActionRequired(NO_DISPLAY, "No display for the tray")
    from mt5tray.ui.app import run_tray

    return run_tray(args.simulate, args.store)

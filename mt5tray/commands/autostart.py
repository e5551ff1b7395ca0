"""`mt5tray autostart on|off|status`: start the tray app at login, headless.

The same objects as the tray's "Start at login" check box; the setting in
settings.json follows what the OS says, so the two never disagree.
"""

from __future__ import annotations

import argparse

from mt5tray.autostart import AutostartDisabledByUser, autostart_for_platform
from mt5tray.bootstrap import load_settings
from mt5tray.core.errors import SettingsError
from mt5tray.paths import app_paths


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("autostart", help="start the tray app at login (on|off|status)")
    parser.add_argument("action", choices=("on", "off", "status"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    autostart = autostart_for_platform()
    if args.action == "status":
        state = autostart.is_enabled()
        print(f"{state.status.name.lower()}: {state.explanation}")
        return 0
    try:
        autostart.enable() if args.action == "on" else autostart.disable()
    except AutostartDisabledByUser as exc:
        print(f"mt5tray: {exc.message}")
        return 1
    state = autostart.is_enabled()
    _remember(state.enabled)
    print(f"{state.status.name.lower()}: {state.explanation}")
    return 0


def _remember(enabled: bool) -> None:
    """Keep settings.start_at_login in step; a broken settings file is left alone."""
    try:
        settings_file, settings = load_settings(app_paths())
    except SettingsError:
        return
    if settings.start_at_login != enabled:
        settings.start_at_login = enabled
        settings_file.save(settings)

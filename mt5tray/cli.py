"""The command line: `mt5tray sync|status|accounts|doctor` (and the tray).

Every command works headless through bootstrap and the service. Errors the
user can fix print as one clear message, never a traceback: exit status 2
for usage and settings problems, 1 when a sync or check failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from mt5tray import __version__
from mt5tray.commands import (
    accounts,
    autostart,
    doctor,
    login,
    serve_requests,
    status,
    sync,
    tray,
    uploads,
)
from mt5tray.core.errors import Mt5TrayError, SecretStoreError, SettingsError
from mt5tray.logs import setup_logging
from mt5tray.paths import app_paths

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mt5tray",
        description="Keep a trading journal current from a MetaTrader 5 terminal.",
    )
    parser.add_argument("--version", action="version", version=f"mt5tray {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="show progress (-v) or debug detail (-vv) on stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (sync, status, accounts, doctor, tray, login, serve_requests, autostart,
                   uploads):
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = _verbose_first(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:  # no command: start the tray
        args = parser.parse_args([*argv, "tray"])
    stderr_level = (logging.ERROR, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    setup_logging(app_paths().log_dir, logging.INFO, stderr_level)
    try:
        return int(args.handler(args))
    except (SettingsError, SecretStoreError) as exc:
        print(f"mt5tray: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Mt5TrayError as exc:
        print(f"mt5tray: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mt5tray: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`mt5tray sync --json | head`): stop quietly. Python's
        # documented recipe (signal module, "Note on SIGPIPE"): point stdout at devnull so
        # the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


_VERBOSE = {"-v": 1, "-vv": 2, "-vvv": 3, "--verbose": 1}


def _verbose_first(argv: list[str]) -> list[str]:
    """`mt5tray sync -v` means the same as `mt5tray -v sync`: the flag is the
    main parser's, so it is moved in front of the command (no option of any
    command takes a value that looks like -v)."""
    flags = [a for a in argv if a in _VERBOSE]
    return flags + [a for a in argv if a not in _VERBOSE] if flags else argv


def gui_main() -> int:
    """Entry point of the windowed build (no console).

    A windowed exe (and pythonw) has no stdout/stderr: sys.stdout and
    sys.stderr are None and the first print or log line would raise.
    """
    import os

    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    return main(sys.argv[1:])

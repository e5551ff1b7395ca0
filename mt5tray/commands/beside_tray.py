"""CLI commands beside a running mt5tray on the same home (issue 8).

`sync` and `doctor` report their own results, so they wait for the home lock
(a bounded wait that says for whom and how long) and then do the work
themselves. `serve-requests --once` has nothing to report that the tray
would not do anyway, so when the tray runs it hands the job over the
single-instance channel and exits; without a tray (or a tray that is not in
Supabase mode) it takes the lock and serves the requests itself.
"""

from __future__ import annotations

import sys

from mt5tray.home_lock import HomeLock, home_lock
from mt5tray.paths import AppPaths, app_paths


def _say(message: str) -> None:
    # stderr: `sync --json` keeps stdout for its JSON.
    print(f"mt5tray: {message}", file=sys.stderr, flush=True)


def command_lock(paths: AppPaths | None = None) -> HomeLock:
    """The home lock, announcing on stderr when the command has to wait."""
    lock = home_lock((paths or app_paths()).data_dir)
    lock.notice = _say
    return lock


def hand_requests_to_tray(paths: AppPaths | None = None) -> bool:
    """Ask the tray running on this home to serve the Sync Now requests now.
    True when it accepted; False when no tray runs here or it declined (then
    serve them here). Imports Qt's network module only (no display needed)."""
    from mt5tray.ui.single_instance import (
        ACCEPTED,
        SERVE_REQUESTS,
        ask_running_instance,
        server_name,
    )

    name = server_name((paths or app_paths()).config_dir)
    reply = ask_running_instance(name, SERVE_REQUESTS)
    if reply is None:
        return False
    if reply == ACCEPTED:
        _say("handed over to the running mt5tray (the tray on this PC): it serves the web "
             "journal's Sync Now requests itself and was asked to check for them now.")
        return True
    _say("the running mt5tray (the tray) does not serve Sync Now requests (it is not in "
         "Supabase mode); serving them here.")
    return False

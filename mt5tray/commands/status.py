"""`mt5tray status`: each account's last sync and failure streak, and totals."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mt5tray.bootstrap import Simulation, build_app
from mt5tray.commands.options import add_common_source_options
from mt5tray.core.formatting import count, local_time, money, relative, store_words
from mt5tray.core.status_view import INACTIVE_TEXT
from mt5tray.store.local_status import status_summary


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("status", help="show the last sync of each account and totals")
    add_common_source_options(parser)
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    app = build_app(Simulation.from_arg(args.simulate), args.store)
    try:
        uploads = app.hooks.pending_uploads
        pending = uploads() if uploads is not None else 0
        summary = status_summary(app.store, pending)
        if app.remote is not None:
            summary["uploads"] = app.remote.upload_state()
    finally:
        app.close()
    summary["store"] = app.store_label
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render(summary))
    return 0


def render(summary: dict[str, Any]) -> str:
    """The text form: money with currency and separators, local times, no None (P1)."""
    lines = [f"Store: {store_words(summary['store'])}"]
    if not summary["accounts"]:
        lines.append("No account has been synced yet. Run `mt5tray sync`.")
    for account in summary["accounts"]:
        currency = account["currency"]
        lines.append(
            f"{account['login']}@{account['server']}  balance "
            f"{money(account['balance'], currency)} · equity {money(account['equity'], currency)}"
        )
        last = account["last_sync"]
        if last is None:
            lines.append("  never synced")
        else:
            when = last["finished_at"] or last["started_at"]
            kind = "full resync" if last["sync_type"] == "full" else "sync"
            lines.append(
                f"  last {kind} {local_time(when)} ({relative(when)}): {last['status']} - "
                f"{count(last['deals_inserted'] or 0, 'new deal')}"
            )
            if last["error"]:
                lines.append(f"  error: {last['error']}")
        if account.get("last_successful_sync_at") and last and last["status"] == "failed":
            lines.append(f"  last successful sync {local_time(account['last_successful_sync_at'])}")
        if account.get("server_clock"):
            lines.append(f"  {account['server_clock']}")
        if account.get("is_active") is False:
            lines.append(f"  {INACTIVE_TEXT}")
        if account["sync_failure_count"]:
            lines.append(f"  failing: {count(account['sync_failure_count'], 'failed sync')} "
                         "in a row")
    t = summary["totals"]
    lines.append(
        f"Totals: {count(t['syncs'], 'sync')} ({t['successful']:,} successful, "
        f"{t['failed']:,} failed) · {count(t['deals_synced'], 'deal')} · "
        f"{count(t['positions_closed'], 'position')} closed · "
        f"{count(t['pending_uploads'], 'row')} waiting to upload"
    )
    uploads = summary.get("uploads")
    if uploads and uploads["quarantined_rows"]:
        reasons = "; ".join(r["reason"] for r in uploads["reasons"])
        lines.append(f"Uploads: {count(uploads['quarantined_rows'], 'row')} set aside, not "
                     f"uploaded ({reasons}). See `mt5tray uploads status`; `mt5tray uploads "
                     "requeue` sends them again from the journal.")
    return "\n".join(lines)

"""`mt5tray status`: each account's last sync and failure streak, and totals."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mt5tray.bootstrap import Simulation, build_app
from mt5tray.commands.options import add_common_source_options
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
    lines = [f"Store: {summary['store']}"]
    if not summary["accounts"]:
        lines.append("No account has been synced yet. Run `mt5tray sync`.")
    for account in summary["accounts"]:
        lines.append(
            f"{account['login']}@{account['server']}  balance {account['balance']} "
            f"equity {account['equity']} {account['currency'] or ''}".rstrip()
        )
        last = account["last_sync"]
        if last is None:
            lines.append("  never synced")
        else:
            lines.append(
                f"  last sync {last['finished_at'] or last['started_at']}: {last['status']} "
                f"({last['sync_type']}, {last['deals_inserted']} new deals, "
                f"{last['trades_upserted']} trades written)"
            )
            if last["error"]:
                lines.append(f"  error: {last['error']}")
        if account.get("server_clock"):
            lines.append(f"  {account['server_clock']}")
        if account.get("is_active") is False:
            lines.append(f"  {INACTIVE_TEXT}")
        if account["sync_failure_count"]:
            lines.append(f"  failing: {account['sync_failure_count']} failed syncs in a row")
    t = summary["totals"]
    lines.append(
        f"Totals: {t['syncs']} syncs ({t['successful']} successful, {t['failed']} failed); "
        f"positions {t['positions_created']} created / {t['positions_updated']} updated / "
        f"{t['positions_closed']} closed; {t['deals_synced']} deals; "
        f"{t['pending_uploads']} pending uploads"
    )
    uploads = summary.get("uploads")
    if uploads and uploads["quarantined_rows"]:
        reasons = "; ".join(r["reason"] for r in uploads["reasons"])
        lines.append(f"Uploads: {uploads['quarantined_rows']} row(s) set aside, not uploaded "
                     f"({reasons}). See `mt5tray uploads status`; `mt5tray uploads requeue` "
                     "sends them again from the journal.")
    return "\n".join(lines)

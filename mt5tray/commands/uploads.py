"""`mt5tray uploads status|requeue`: the Supabase upload queue and what was set aside.

`status` lists rows waiting for upload and rows set aside because they cannot
be sent as they are (store/quarantine.py), with the reason. `requeue` queues
the set-aside rows again from the local journal (the source of truth) under
the current outbox key, then tries to upload them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mt5tray.bootstrap import App, Simulation, build_app
from mt5tray.commands.options import add_common_source_options
from mt5tray.core.errors import Mt5TrayError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("uploads", help="the Supabase upload queue: status, requeue")
    actions = parser.add_subparsers(dest="uploads_action", metavar="ACTION", required=True)
    for name, help_text in (
        ("status", "rows waiting for upload and rows set aside, with the reason"),
        ("requeue", "queue the set-aside rows again from the local journal and upload them"),
    ):
        action = actions.add_parser(name, help=help_text)
        add_common_source_options(action)
        action.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    app = build_app(Simulation.from_arg(args.simulate), args.store)
    try:
        if app.remote is None:
            usage = args.uploads_action == "requeue"
            print(f"The store is {app.store_label}: nothing is uploaded, so there is no upload "
                  "queue. Use --store supabase (or set \"store\": \"supabase\").",
                  file=sys.stderr if usage else sys.stdout)
            return EXIT_USAGE if usage else EXIT_OK
        report: dict[str, Any] = {}
        code = EXIT_OK
        if args.uploads_action == "requeue":
            code = _requeue(app, report)
        report.update(uploads=app.remote.upload_state(), set_aside=_entries(app),
                      repairs=app.remote.store.outbox.quarantine.recent_repairs())
    finally:
        app.close()
    if args.json:
        json.dump(report, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(render(report))
    return code


def _requeue(app: App, report: dict[str, Any]) -> int:
    assert app.remote is not None
    done = app.remote.flusher.repair.requeue()
    report["requeued"] = {"entries": done.entries, "rows_set_aside": done.rows_set_aside,
                          "rows_queued": done.rows_queued, "message": done.message()}
    try:
        report["uploaded_rows"] = app.remote.flush()
    except Mt5TrayError as exc:
        report["upload_error"] = str(exc)
        return EXIT_FAILED
    return EXIT_OK


def _entries(app: App) -> list[dict[str, Any]]:
    assert app.remote is not None
    logins = {a["id"]: f"{a['login']}@{a['server']}" for a in app.store.list_accounts()}
    return [{"kind": e.kind, "account": logins.get(e.account_id, e.account_id),
             "rows": e.row_count, "cause": e.cause, "reason": e.reason,
             "set_aside_at": e.quarantined_at}
            for e in app.remote.store.outbox.quarantine.open_entries()]


def render(report: dict[str, Any]) -> str:
    lines = []
    if "requeued" in report:
        lines.append(report["requeued"]["message"])
        if "upload_error" in report:
            lines.append(f"Not uploaded yet: {report['upload_error']}")
        else:
            lines.append(f"Uploaded {report.get('uploaded_rows', 0)} row(s).")
    state = report["uploads"]
    lines.append(f"Uploads: {state['pending_rows']} row(s) waiting, "
                 f"{state['quarantined_rows']} set aside.")
    for entry in report["set_aside"]:
        lines.append(f"  {entry['rows']} {entry['kind']} row(s) of {entry['account']} "
                     f"({entry['cause']}, {entry['set_aside_at']}): {entry['reason']}")
    if report["set_aside"]:
        lines.append("Fix the cause named above, then run `mt5tray uploads requeue`: the rows "
                     "are queued again from the local journal.")
    for repair in report.get("repairs") or []:
        lines.append(f"  earlier: {repair['row_count']} {repair['kind']} row(s) "
                     f"({repair['reason']}) {repair['resolution']} at {repair['resolved_at']}")
    return "\n".join(lines)

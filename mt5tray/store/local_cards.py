"""What the status window's account cards show, read from the local journal.

Run by the snapshot publisher on its own thread (never on the GUI thread):
open positions, today's realized P&L by the server's trading day, the
equity and balance curves of the last 90 days and the last 24 h of syncs.
Everything is derived from existing tables (no schema step):
- equity: equity_snapshots, thinned to the last point of each hour;
- balance: walked back from the current balance through the deals' money
  (profit + commission + swap + fee, balance operations included), so it
  steps where trades closed and money moved, as MT5's balance graph does;
- today's realized P&L: the money of today's trading deals (buy/sell, any
  entry, so commissions of opening deals count too), balance operations out.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from mt5tray.core.clock_text import server_clock_line
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.formatting import duration_ms, local_time, parse_time
from mt5tray.core.hooks import OptionalJobs
from mt5tray.core.models import SyncCounts
from mt5tray.core.snapshot import CardData, PositionLine, StoreFacts, SyncMark, Totals
from mt5tray.core.sync_text import describe_counts
from mt5tray.core.trading_day import trading_day_start
from mt5tray.store.local import LocalStore

CURVE_DAYS = 90
STRIP_HOURS = 24
_MONEY = "coalesce(profit,0) + coalesce(commission,0) + coalesce(swap,0) + coalesce(fee,0)"

_TOTALS_SQL = """
SELECT count(*) AS syncs,
       coalesce(sum(status IN ('success', 'partial')), 0) AS successful,
       coalesce(sum(status = 'failed'), 0) AS failed,
       coalesce(sum(deals_inserted), 0) AS deals_synced,
       coalesce(sum(positions_closed), 0) AS positions_closed
FROM sync_logs
"""


def _iso(when: datetime) -> str:
    """The journal's own text form (deal and snapshot times compare as text)."""
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _epoch(text: str | None) -> float | None:
    parsed = parse_time(text)
    return parsed.timestamp() if parsed else None


class _Uploader(Protocol):
    last_error: Mt5TrayError | None


def upload_cause(remote: _Uploader | None, hooks: OptionalJobs) -> str | None:
    """Why rows wait to upload, in words: "not signed in to Supabase" or the
    first sentence of the last upload error (C8). None without Supabase. May read
    the keyring (the saved session), so it runs where the journal is read."""
    if remote is None:
        return None
    if not hooks.user():
        return "not signed in to Supabase"
    error = remote.last_error
    if error is not None:
        return error.message.split(". ")[0].rstrip(".")
    return None


def read_store_facts(store: LocalStore, hooks: OptionalJobs, upload_cause: str | None = None,
                     now: datetime | None = None, cards: bool = True,
                     previous: StoreFacts | None = None) -> StoreFacts:
    """The upload counters; with `cards`, also every card and the totals (the
    heavy part, read only while a window shows them), else those of `previous`."""
    now = now or datetime.now(timezone.utc)
    if cards or previous is None:
        read = {(card.login, card.server): card for card in
                (read_card(store, row, now) for row in store.list_accounts())} if cards else {}
        t = dict(store.query(_TOTALS_SQL)[0])
        totals = Totals(**{k: int(v or 0) for k, v in t.items()})
    else:
        read, totals = previous.cards, previous.totals
    return StoreFacts(
        cards=read, totals=totals,
        pending_uploads=hooks.pending(), quarantined_uploads=hooks.quarantined(),
        signed_in_user=hooks.user(), supabase_warning=hooks.warning(),
        upload_cause=upload_cause, read_at=now)


def read_card(store: LocalStore, row: dict[str, Any], now: datetime) -> CardData:
    account_id = row["id"]
    offset = row.get("server_utc_offset_minutes")
    return CardData(
        account_id=account_id, login=int(row["login"]), server=str(row["server"]),
        name=row.get("name"), currency=row.get("currency"), balance=row.get("balance"),
        equity=row.get("equity"), margin_free=row.get("margin_free"),
        floating_profit=row.get("floating_profit"),
        # None until a sync read the account (a card of a terminal never reached).
        today_realized=None if row.get("balance") is None else
        today_realized(store, account_id,
                       trading_day_start(now, offset, row.get("server_timezone"))),
        server_utc_offset_minutes=offset, is_active=bool(row.get("is_active", 1)),
        last_sync_at=parse_time(row.get("last_sync_at")),
        last_successful_sync_at=parse_time(row.get("last_successful_sync_at")),
        last_connection_error=row.get("last_connection_error"),
        positions=open_positions(store, account_id),
        equity_curve=equity_curve(store, account_id, now - timedelta(days=CURVE_DAYS)),
        balance_curve=balance_curve(store, account_id, row.get("balance"),
                                    now - timedelta(days=CURVE_DAYS), now),
        marks=sync_marks(store, account_id, now - timedelta(hours=STRIP_HOURS)),
        server_clock=server_clock_line(row),
    )


def today_realized(store: LocalStore, account_id: str, since: datetime) -> float:
    rows = store.query(
        f"SELECT coalesce(sum({_MONEY}), 0) FROM deals WHERE account_id = ? AND time >= ? "
        "AND type IN ('buy', 'sell')", (account_id, _iso(since)))
    return float(rows[0][0])


def open_positions(store: LocalStore, account_id: str) -> tuple[PositionLine, ...]:
    rows = store.query(
        "SELECT ticket, symbol, side, volume, open_price, floating_profit FROM trades "
        "WHERE account_id = ? AND status = 'open' ORDER BY open_time, ticket", (account_id,))
    return tuple(PositionLine(int(r[0]), r[1] or "", r[2] or "", r[3], r[4], r[5]) for r in rows)


def equity_curve(store: LocalStore, account_id: str,
                 since: datetime) -> tuple[tuple[float, float], ...]:
    """The last equity snapshot of each hour (a 5-minute interval gives 26k rows in 90 days)."""
    rows = store.query(
        "SELECT time, equity FROM equity_snapshots WHERE account_id = ? AND time >= ? "
        "AND equity IS NOT NULL AND time IN (SELECT max(time) FROM equity_snapshots "
        "WHERE account_id = ? AND time >= ? GROUP BY substr(time, 1, 13)) ORDER BY time",
        (account_id, _iso(since), account_id, _iso(since)))
    return tuple((t, float(v)) for r in rows if (t := _epoch(r[0])) is not None
                 for v in (r[1],))


def balance_curve(store: LocalStore, account_id: str, balance: float | None, since: datetime,
                  now: datetime) -> tuple[tuple[float, float], ...]:
    """Balance steps: from today's balance back through each deal's money."""
    if balance is None:
        return ()
    rows = store.query(
        f"SELECT time, {_MONEY} FROM deals WHERE account_id = ? AND time >= ? "
        "ORDER BY time_msc DESC, ticket DESC", (account_id, _iso(since)))
    points: list[tuple[float, float]] = [(now.timestamp(), float(balance))]
    level = float(balance)
    for when, money in rows:
        at = _epoch(when)
        if at is None or not money:
            continue
        points.append((at, level))
        level -= float(money)
        points.append((at - 0.001, level))  # the step just before the deal
    points.append((since.timestamp(), level))
    points.reverse()
    return tuple(points)


def sync_marks(store: LocalStore, account_id: str, since: datetime) -> tuple[SyncMark, ...]:
    rows = store.query(
        "SELECT started_at, finished_at, status, sync_type, trigger, duration_ms, "
        "positions_created, positions_updated, positions_closed, deals_inserted, error "
        "FROM sync_logs WHERE account_id = ? AND started_at >= ? ORDER BY started_at",
        (account_id, since.astimezone(timezone.utc).isoformat()))
    marks = []
    for r in rows:
        at = parse_time(r["started_at"])
        if at is None:
            continue
        kind = "Full resync" if r["sync_type"] == "full" else "Sync"
        counts = SyncCounts(positions_created=r["positions_created"] or 0,
                            positions_updated=r["positions_updated"] or 0,
                            positions_closed=r["positions_closed"] or 0,
                            deals_inserted=r["deals_inserted"] or 0)
        what = (r["error"] or "no reason given") if r["status"] == "failed" \
            else describe_counts(counts)
        details = (f"{local_time(at)} · {kind} ({r['trigger']}) {r['status']} in "
                   f"{duration_ms(r['duration_ms'])}\n{what}")
        marks.append(SyncMark(at, str(r["status"] or "running"), details))
    return tuple(marks)


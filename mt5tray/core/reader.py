"""Read one account's window from the terminal and turn it into a SyncBatch.

Owns the middle of a sync: deals then positions, stamped on the account's
server clock (core/clock_choice.py chose it; stored deals read back for a
trade rebuild are stamped on the same clock), which deals are new (by
ticket), which trades must be rebuilt and from which deals (window, local
mirror, or a position-filtered history query), and the counts. Nothing is
written here; the engine commits the batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from mt5tray.core.clean import Cleaning
from mt5tray.core.ledger import (
    TRADE_COLUMNS,
    deal_row,
    is_trade_deal,
    restamp_rows,
    stamp_deals,
    utc_iso_from_ms,
)
from mt5tray.core.models import (
    AccountState,
    Row,
    SyncBatch,
    SyncCounts,
    SyncStatus,
    SyncType,
    TerminalDeal,
    TerminalPosition,
)
from mt5tray.core.plan import ReadWindow
from mt5tray.core.ports import JournalStore, Terminal
from mt5tray.core.server_clock import ServerClock
from mt5tray.core.trades import build_trade, has_entry

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Reading:
    """What one sync read and will write."""

    batch: SyncBatch
    counts: SyncCounts
    offset_minutes: int
    status: SyncStatus = SyncStatus.SUCCESS
    warning: str | None = None
    incomplete_positions: list[int] = field(default_factory=list)
    cleaning: Cleaning = field(default_factory=Cleaning)
    returned_tickets: set[int] = field(default_factory=set)  # what the window's read returned
    gap_tickets: list[int] = field(default_factory=list)  # deals in a skipped (spring) hour


def read_account(
    terminal: Terminal,
    store: JournalStore,
    state: AccountState,
    window: ReadWindow,
    server_clock: ServerClock,
    clock: Callable[[], float],
) -> Reading:
    raw_deals = terminal.deals(window.date_from, window.date_to)
    positions = {p.identifier: p for p in terminal.positions()}
    offset = server_clock.offset_at(clock())
    synced_at = utc_iso_from_ms(int(clock() * 1000))
    account_id = state.account_id
    cleaning = Cleaning()
    gaps: list[int] = []
    stamps = stamp_deals(raw_deals, server_clock, gaps)

    def to_row(deal: TerminalDeal) -> Row:
        stamp = stamps.get(deal.ticket) or stamp_deals([deal], server_clock, gaps)[deal.ticket]
        return cleaning.clean(deal_row(deal, account_id, stamp, synced_at), f"deal {deal.ticket}")

    rows = {d.ticket: to_row(d) for d in raw_deals}
    stamps.clear()  # the rows hold the times now (a full import: 100k entries less in memory)
    known = store.known_deal_tickets(account_id, rows)
    new_deals = {t: r for t, r in rows.items() if t not in known}

    known_open = store.open_trade_tickets(account_id)
    counts = SyncCounts(
        positions_created=len(positions.keys() - known_open),
        positions_updated=len(positions.keys() & known_open),
        positions_closed=len(known_open - positions.keys()),
    )
    source = rows.values() if window.sync_type is SyncType.FULL else new_deals.values()
    touched = {r["position_id"] for r in source if is_trade_deal(r)}
    touched |= positions.keys() | known_open
    by_position = _deals_by_position(store, account_id, touched, rows, server_clock)
    incomplete = _fill_from_terminal(
        terminal, by_position, touched, positions, known_open, known,
        new_deals, to_row,
    )
    trades = _changed_trades(store, account_id, by_position, touched, positions, server_clock,
                             cleaning)
    counts.deals_inserted = len(new_deals)
    counts.trades_upserted = len(trades)

    newest = max((d.time_msc or d.time * 1000 for d in raw_deals), default=0)
    batch = SyncBatch(
        account_id=account_id,
        account_row={},
        new_deals=list(new_deals.values()),
        trades=trades,
        equity_snapshot={},
        sync_log={},
        newest_deal_time_msc=max(newest, state.newest_deal_time_msc or 0),
        open_positions=frozenset(positions),
    )
    reading = Reading(batch=batch, counts=counts, offset_minutes=offset, cleaning=cleaning,
                      returned_tickets=set(rows), gap_tickets=sorted(set(gaps)))
    if gaps:
        log.warning("%d deal(s) of %s fall in the hour the server clock %s skips (e.g. ticket "
                    "%d): the clock may be wrong for this broker; converted with the offset "
                    "before the switch.", len(set(gaps)), account_id, server_clock.spec,
                    min(gaps))
    if incomplete:
        reading.incomplete_positions = sorted(incomplete)
        reading.status = SyncStatus.PARTIAL
        reading.warning = (
            f"{len(incomplete)} position(s) have no opening deal in the terminal's history "
            f"(e.g. {reading.incomplete_positions[0]}); the broker may have archived it. "
            "Their open time and price are approximate; everything else was synced."
        )
    return reading


def _deals_by_position(
    store: JournalStore, account_id: str, touched: set[int], rows: dict[int, Row],
    server_clock: ServerClock,
) -> dict[int, dict[int, Row]]:
    """Each touched position's deals: the local mirror (stamped again on this
    sync's clock, so a trade never mixes two clocks) plus this window."""
    by_position: dict[int, dict[int, Row]] = defaultdict(dict)
    for row in restamp_rows(store.deals_of_positions(account_id, touched), server_clock):
        by_position[row["position_id"]][row["ticket"]] = row
    for row in rows.values():
        if row["position_id"] in touched and is_trade_deal(row):
            by_position[row["position_id"]][row["ticket"]] = row
    return by_position


def _fill_from_terminal(
    terminal: Terminal,
    by_position: dict[int, dict[int, Row]],
    touched: set[int],
    positions: dict[int, TerminalPosition],
    known_open: set[int],
    known: set[int],
    new_deals: dict[int, Row],
    to_row: Callable[..., Row],
) -> set[int]:
    """Ask the terminal for the whole life of positions whose opening (or,
    for ones that just closed, whose exit) lies outside what we hold."""
    incomplete: set[int] = set()
    for position_id in touched:
        held = by_position[position_id].values()
        just_closed = position_id in known_open and position_id not in positions
        exits_missing = just_closed and not any(d["entry"] != "in" for d in held)
        if has_entry(held) and not exits_missing:
            continue
        for deal in terminal.position_deals(position_id):
            row = to_row(deal)
            if not is_trade_deal(row):
                continue
            by_position[position_id].setdefault(row["ticket"], row)
            if row["ticket"] not in known:
                new_deals.setdefault(row["ticket"], row)
        if not has_entry(by_position[position_id].values()):
            incomplete.add(position_id)
    return incomplete


def _changed_trades(
    store: JournalStore,
    account_id: str,
    by_position: dict[int, dict[int, Row]],
    touched: set[int],
    positions: dict[int, TerminalPosition],
    server_clock: ServerClock,
    cleaning: Cleaning,
) -> list[Row]:
    """Rebuilt trades that differ from the stored ones (only those are written)."""
    previous = store.trades_by_ticket(account_id, touched)
    changed: list[Row] = []
    for position_id in sorted(touched):
        deals = list(by_position[position_id].values())
        if not deals and position_id not in positions:
            continue  # nothing known about it at all: leave the stored row alone
        old = previous.get(position_id)
        trade = cleaning.clean(build_trade(account_id, position_id, deals,
                                           positions.get(position_id), server_clock, old),
                               f"trade {position_id}")
        if old is None or any(old.get(c) != trade[c] for c in TRADE_COLUMNS):
            changed.append(trade)
    return changed

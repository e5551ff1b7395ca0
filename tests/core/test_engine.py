"""The engine against the real local store and a hand-written terminal fake:
what a user would find in the journal after each sync."""

from __future__ import annotations

import pytest

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.errors import TerminalNotRunning
from mt5tray.core.models import AccountRef, SyncRequest, SyncStatus, SyncType, Trigger
from mt5tray.core.plan import DAY_S, SyncTuning
from mt5tray.store.local import LocalStore
from tests.support.fakes import (
    BUY,
    IN,
    OUT,
    SELL,
    FakeTerminal,
    account,
    balance_deal,
    deal,
    position,
)

NOW = 1_700_000_000.0  # true UTC
OFFSET = 120
SERVER_NOW = int(NOW) + OFFSET * 60
REF = AccountRef(login=1001, server="Demo-Server")


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "journal.sqlite3")
    yield s
    s.close()


@pytest.fixture
def terminal():
    # The balance is what the deals sum to (1000 - 3 + 200), as on a real account.
    t = FakeTerminal(acct=account(balance=1197.0), now=NOW, offset_minutes=OFFSET)
    t.deals_ = [
        balance_deal(1, SERVER_NOW - 40 * DAY_S, 1000.0),
        deal(2, 2, SERVER_NOW - 10 * DAY_S, BUY, IN, volume=1.0, price=1.10, commission=-3),
        deal(3, 2, SERVER_NOW - 9 * DAY_S, SELL, OUT, volume=1.0, price=1.12, profit=200.0),
        deal(4, 4, SERVER_NOW - 2 * DAY_S, SELL, IN, volume=0.5, price=1.15),
    ]
    t.positions_ = [position(4, SERVER_NOW - 2 * DAY_S, SELL, 0.5, 1.15, 1.14, 5.0)]
    return t


def make_engine(store, terminal, **tuning):
    return SyncEngine(store, lambda: terminal, AgentInfo("0.1.0", "testhost"),
                      SyncTuning(**tuning), clock=lambda: terminal.now)


def sync(engine, kind=SyncType.INCREMENTAL, days=30, ref=REF):
    return engine.sync(SyncRequest(ref, kind, Trigger.CLI, days))


def table(store, name, order="ticket"):
    return [dict(r) for r in store.query(f"SELECT * FROM {name} ORDER BY {order}")]


def journal_rows(store):
    """The data rows a user sees, minus bookkeeping stamps."""
    deals = [{k: v for k, v in r.items() if k != "synced_at"} for r in table(store, "deals")]
    trades = [{k: v for k, v in r.items() if k != "updated_at"} for r in table(store, "trades")]
    return deals, trades


def test_first_sync_is_full_and_fills_the_journal(store, terminal):
    result = sync(make_engine(store, terminal))
    assert result.status is SyncStatus.SUCCESS, result.error
    assert result.sync_type is SyncType.FULL  # the first sync reads all history
    c = result.counts
    assert (c.deals_inserted, c.trades_upserted) == (4, 2)
    assert (c.positions_created, c.positions_updated, c.positions_closed) == (1, 0, 0)
    trades = {t["ticket"]: t for t in table(store, "trades")}
    assert trades[2]["status"] == "closed" and trades[2]["net_profit"] == 197.0
    assert trades[4]["status"] == "open" and trades[4]["floating_profit"] == 5.0
    (acct,) = store.list_accounts()
    assert acct["server_utc_offset_minutes"] == OFFSET
    assert acct["sync_failure_count"] == 0 and acct["last_successful_sync_at"]
    (log,) = table(store, "sync_logs", "started_at")
    assert log["status"] == "success" and log["deals_inserted"] == 4
    assert log["id"] == result.sync_id and log["app_version"] == "0.1.0"
    deal_times = {d["ticket"]: d["time"] for d in table(store, "deals")}
    assert deal_times[4].startswith("2023-11-12T22:13:20")  # server time minus two hours


def test_rerun_writes_nothing_new(store, terminal):
    engine = make_engine(store, terminal)
    sync(engine)
    before = journal_rows(store)
    again = sync(engine)
    assert again.sync_type is SyncType.INCREMENTAL
    c = again.counts
    assert (c.deals_inserted, c.trades_upserted, c.positions_created, c.positions_closed) == (
        0, 0, 0, 0)
    assert c.positions_updated == 1
    assert journal_rows(store) == before


def test_incremental_picks_up_a_close_and_new_deals(store, terminal):
    engine = make_engine(store, terminal)
    sync(engine)
    terminal.now += 3600
    server_now = int(terminal.now) + OFFSET * 60
    terminal.deals_ += [
        deal(5, 4, server_now - 60, BUY, OUT, volume=0.5, price=1.13, profit=100.0),
        deal(6, 6, server_now - 30, BUY, IN, volume=2.0, price=1.13),
    ]
    terminal.positions_ = [position(6, server_now - 30, BUY, 2.0, 1.13, 1.13, 0.0)]
    result = sync(engine)
    c = result.counts
    assert (c.deals_inserted, c.positions_created, c.positions_updated, c.positions_closed) == (
        2, 1, 0, 1)
    assert c.trades_upserted == 2
    trades = {t["ticket"]: t for t in table(store, "trades")}
    assert trades[4]["status"] == "closed" and trades[4]["close_price"] == 1.13
    assert trades[4]["floating_profit"] is None


def test_incremental_reads_only_recent_window(store, terminal):
    engine = make_engine(store, terminal, lookback_days=1)
    sync(engine)
    terminal.calls.clear()
    sync(engine)
    (read,) = [c for c in terminal.calls if c.startswith("deals")]
    date_from = int(read.split()[1])
    assert date_from == (SERVER_NOW - 2 * DAY_S) - DAY_S  # newest deal minus lookback


def test_position_opened_before_the_window(store, terminal):
    # The entry is 60 days old, the partial close inside a 30-day full sync.
    old = SERVER_NOW - 60 * DAY_S
    terminal.deals_ += [
        deal(7, 7, old, BUY, IN, volume=3.0, price=1.00),
        deal(8, 7, SERVER_NOW - DAY_S, SELL, OUT, volume=1.0, price=1.05, profit=500.0),
    ]
    terminal.positions_.append(position(7, old, BUY, 2.0, 1.00, 1.06, 120.0))
    result = sync(make_engine(store, terminal, initial_history_days=30))
    assert result.status is SyncStatus.SUCCESS
    trade = {t["ticket"]: t for t in table(store, "trades")}[7]
    assert trade["volume"] == 3.0 and trade["closed_volume"] == 1.0
    assert trade["open_price"] == 1.00 and trade["open_time"].startswith("2023-09-15")
    assert "position 7" in terminal.calls
    assert 7 in {d["ticket"] for d in table(store, "deals")}  # mirror now complete


def test_crash_inside_the_write_leaves_nothing_and_rerun_matches_clean(tmp_path, terminal):
    crashing = LocalStore(tmp_path / "crash.sqlite3")

    def die(conn, batch):
        raise RuntimeError("power cut after the rows were written")

    crashing.on_commit = die
    failed = sync(make_engine(crashing, terminal))
    assert failed.status is SyncStatus.FAILED
    assert table(crashing, "deals") == [] and table(crashing, "trades") == []
    crashing.on_commit = None
    rerun = sync(make_engine(crashing, terminal))
    clean = LocalStore(tmp_path / "clean.sqlite3")
    sync(make_engine(clean, terminal))
    assert rerun.counts.deals_inserted == 4
    assert journal_rows(crashing)[1] == [
        {**t, "account_id": crashing.list_accounts()[0]["id"]} for t in journal_rows(clean)[1]
    ]


def test_account_switched_during_sync_writes_nothing(store, terminal):
    terminal.switch_to_after_read = 2002
    result = sync(make_engine(store, terminal))
    assert result.status is SyncStatus.FAILED
    assert "switched from account 1001 to 2002" in result.error
    assert table(store, "deals") == []
    (log,) = table(store, "sync_logs", "started_at")
    assert log["status"] == "failed"


def test_failure_before_reaching_the_terminal_is_logged(store, terminal):
    terminal.fail_on_open = TerminalNotRunning("Start MetaTrader 5.")
    engine = make_engine(store, terminal)
    first, second = sync(engine), sync(engine)
    assert first.status is second.status is SyncStatus.FAILED
    (acct,) = store.list_accounts()
    assert acct["sync_failure_count"] == 2
    assert "Start MetaTrader 5." in acct["last_connection_error"]
    assert [log["status"] for log in table(store, "sync_logs", "started_at")] == ["failed"] * 2
    terminal.fail_on_open = None
    assert sync(engine).ok
    assert store.list_accounts()[0]["sync_failure_count"] == 0
    assert store.list_accounts()[0]["last_connection_error"] is None

"""The server clock inside a sync, through the real adapter over the
simulator and the real SQLite journal (server-time.md §6.3 cases 1, 7, 8;
the issue's weekend "DST change" bug)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mt5tray.core.clock_text import server_clock_line
from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.models import AccountRef, SyncRequest, SyncStatus, SyncType, Trigger
from mt5tray.store.local import LocalStore
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.simulator import SimulatedMT5


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "journal.sqlite3")
    yield s
    s.close()


def ny_close_trader(clock: Clock) -> SimulatedMT5:
    sim = SimulatedMT5(server_timezone="ny-close", clock=clock)
    b = sim.add_account(6006, server="NYClose-Live",
                        symbols={"EURUSD": SymbolSpec(1.1000, 1.1002)})
    b.deposit(10_000, at=ts("2025-01-06 10:00"))
    # server 2025-07-01 12:00 and 2026-03-11 12:00 (the US spring gap weeks)
    for opened in ("2025-07-01 09:00", "2025-03-12 09:00", "2026-03-11 09:00"):
        pid = b.open("EURUSD", "buy", 0.1, price=1.09, at=ts(opened))
        b.close(pid, price=1.10, at=ts(opened) + 3600)
    return sim


def sync(store: LocalStore, sim: SimulatedMT5, clock: Clock, spec: str = "auto",
         kind: SyncType = SyncType.FULL):
    engine = SyncEngine(store, lambda: Mt5ApiTerminal(sim, retry_delay_s=0),
                        AgentInfo("test", "host"), clock=clock)
    ref = AccountRef(login=6006, server="NYClose-Live", server_timezone=spec)
    return engine.sync(SyncRequest(ref, kind, Trigger.CLI, None))


def deal_times(store: LocalStore) -> dict[int, tuple[str, int]]:
    return {r["time_msc"]: (r["time"], r["server_utc_offset_minutes"])
            for r in store.query("SELECT * FROM deals")}


def account(store: LocalStore) -> dict:
    return dict(store.query("SELECT * FROM trading_accounts")[0])


def server_ms(text: str) -> int:
    return int(ts(text)) * 1000


def test_history_on_the_other_side_of_a_switch_is_right(store) -> None:
    """§6.3 case 1: 'now' is winter (+120), the summer and gap-week deals still +180."""
    clock = Clock(ts("2026-11-20 12:00"))
    sim = ny_close_trader(clock)
    result = sync(store, sim, clock)
    assert result.status is SyncStatus.SUCCESS, result.error
    times = deal_times(store)
    assert times[server_ms("2025-07-01 12:00")] == ("2025-07-01T09:00:00.000+00:00", 180)
    assert times[server_ms("2026-03-11 12:00")] == ("2026-03-11T09:00:00.000+00:00", 180)
    assert times[server_ms("2025-01-06 12:00")] == ("2025-01-06T10:00:00.000+00:00", 120)
    row = account(store)
    assert (row["server_timezone"], row["server_timezone_source"]) == ("GMT+2/US", "auto")
    assert row["server_utc_offset_minutes"] == 120  # the current offset, for display


def test_a_weekend_sync_with_an_hour_old_tick_changes_nothing(store) -> None:
    """The issue's bug: on a weekend an hour-old tick was taken for a DST
    change (+120 became +60) and the next deposit was stored an hour wrong."""
    clock = Clock(ts("2026-11-20 12:00"))  # Friday: detected and live-checked
    sim = ny_close_trader(clock)
    assert sync(store, sim, clock).status is SyncStatus.SUCCESS
    before = deal_times(store)
    checked = account(store)["server_timezone_checked_at"]
    clock.now = ts("2026-11-21 15:00")  # Saturday
    sim.broker.symbols["EURUSD"].stale_seconds = 3600 + 1  # the last tick, an hour old
    deposit = sim.broker.deposit(250.0, at=clock.now - 60)
    for kind in (SyncType.INCREMENTAL, SyncType.FULL):
        result = sync(store, sim, clock, kind=kind)
        assert result.status is SyncStatus.SUCCESS, result.error
    after = deal_times(store)
    assert {k: after[k] for k in before} == before
    (row,) = store.query("SELECT * FROM deals WHERE ticket = ?", (deposit,))
    assert (row["time"], row["server_utc_offset_minutes"]) == \
        ("2026-11-21T14:59:00.000+00:00", 120)
    acct = account(store)
    assert acct["server_timezone"] == "GMT+2/US"
    assert acct["server_timezone_checked_at"] == checked  # a stale tick confirms nothing


def test_a_tick_an_hour_ahead_warns_and_rewrites_nothing(store) -> None:
    """§6.3 case 7: the user says GMT+2/EU; in the US/EU gap week a fresh tick
    is an hour ahead of that clock: a warning, no silent re-stamp."""
    clock = Clock(ts("2026-03-18 10:00"))  # US summer time, EU still winter
    sim = ny_close_trader(clock)
    result = sync(store, sim, clock, spec="GMT+2/EU")
    assert result.status is SyncStatus.PARTIAL
    assert "clock" in result.error and "PC's clock" in result.error
    row = account(store)
    assert (row["server_timezone"], row["server_timezone_source"]) == ("GMT+2/EU", "user")
    assert deal_times(store)[server_ms("2026-03-11 12:00")][1] == 120  # the user's clock


def test_a_clock_change_restamps_every_stored_time_once(store, caplog) -> None:
    """§6.3 case 8: GMT+2/EU -> GMT+2/US moves the 2025-03-12 deal 10:00Z -> 09:00Z
    and 120 -> 180; the row count stays; the trade moves with its deals."""
    import logging

    caplog.set_level(logging.INFO, logger="mt5tray.core.engine")
    clock = Clock(ts("2026-11-20 12:00"))
    sim = ny_close_trader(clock)
    assert sync(store, sim, clock, spec="GMT+2/EU").ok
    said = [r.getMessage() for r in caplog.records if "Server clock of" in r.getMessage()]
    assert len(said) == 1 and "recomputing" not in said[0]  # the first sync: nothing to redo
    caplog.clear()
    count = len(deal_times(store))
    at = server_ms("2025-03-12 12:00")
    assert deal_times(store)[at] == ("2025-03-12T10:00:00.000+00:00", 120)
    (trade,) = store.query("SELECT * FROM trades WHERE open_time LIKE '2025-03-12%'")
    assert trade["open_time"] == "2025-03-12T10:00:00.000+00:00"

    clock.now += 3600
    result = sync(store, sim, clock, kind=SyncType.INCREMENTAL)  # back to auto: detected US
    assert result.ok, result.error
    said = [r.getMessage() for r in caplog.records if "Server clock of" in r.getMessage()]
    assert len(said) == 1 and "changed from GMT+2/EU to GMT+2/+3 (US dates)" in said[0], said
    assert "recomputing its stored times" in said[0]
    assert deal_times(store)[at] == ("2025-03-12T09:00:00.000+00:00", 180)
    assert len(deal_times(store)) == count
    (moved,) = store.query("SELECT * FROM trades WHERE ticket = ?", (trade["ticket"],))
    assert (moved["open_time"], moved["close_time"]) == \
        ("2025-03-12T09:00:00.000+00:00", "2025-03-12T10:00:00.000+00:00")
    stamped = moved["updated_at"]
    clock.now += 3600
    assert sync(store, sim, clock, kind=SyncType.INCREMENTAL).ok  # same clock: nothing moves
    (again,) = store.query("SELECT * FROM trades WHERE ticket = ?", (trade["ticket"],))
    assert again["updated_at"] == stamped


def test_the_history_window_is_on_the_same_clock(store) -> None:
    """§6.3 case 5: at 2026-03-10 10:00 UTC a US+2 server reads 13:00; the
    deal window ends at that server 'now' plus the margin, and a deal the
    server stamps at 12:30 lands inside the incremental window."""
    from tests.support.fakes import FakeTerminal, account, deal

    now = ts("2026-03-10 10:00")
    server_now = int(ts("2026-03-10 13:00"))
    old = deal(1, 10, server_now - 5 * 86400, entry=0)
    fake = FakeTerminal(acct=account(login=6006, server="NYClose-Live"), deals_=[old],
                        offset_minutes=180, now=now)
    engine = SyncEngine(store, lambda: fake, AgentInfo("test", "host"), clock=lambda: now)
    ref = AccountRef(login=6006, server="NYClose-Live", server_timezone="ny-close")
    assert engine.sync(SyncRequest(ref, SyncType.FULL, Trigger.CLI, 30)).ok
    full_read = next(c for c in fake.calls if c.startswith("deals "))
    assert full_read == f"deals {server_now - 30 * 86400} {server_now + 86400}"
    fake.deals_.append(deal(2, 10, int(ts("2026-03-10 12:30")), entry=1))
    fake.calls.clear()
    assert engine.sync(SyncRequest(ref, SyncType.INCREMENTAL, Trigger.CLI)).ok
    (window,) = [c for c in fake.calls if c.startswith("deals ")]
    assert window.endswith(f" {server_now + 86400}")
    (row,) = store.query("SELECT * FROM deals WHERE ticket = 2")
    assert (row["time"], row["server_utc_offset_minutes"]) == \
        ("2026-03-10T09:30:00.000+00:00", 180)


def test_on_a_weekend_the_simulated_tick_stands_still_and_confirms_nothing(store) -> None:
    """The FX market is closed: the last EURUSD tick is Friday's close, a day
    old. The first sync of the account still detects the clock from bars."""
    clock = Clock(ts("2026-11-21 15:00"))  # Saturday
    sim = ny_close_trader(clock)
    assert sim.initialize()
    tick = sim.symbol_info_tick("EURUSD")
    assert tick.time == int(ts("2026-11-20 23:59:59"))  # Friday 16:59:59 New York, server +2
    sim.shutdown()
    result = sync(store, sim, clock)
    assert result.status is SyncStatus.SUCCESS, result.error
    acct = account(store)
    assert (acct["server_timezone"], acct["server_timezone_source"]) == ("GMT+2/US", "auto")
    assert acct["server_timezone_checked_at"] is None  # no fresh tick: not live-checked
    assert deal_times(store)[server_ms("2025-07-01 12:00")][1] == 180


def test_a_young_terminal_is_provisional_until_a_switch_decides(store) -> None:
    """§5.2 step 5: only summer bars (a young terminal) cannot tell GMT+2/US,
    GMT+2/EU and GMT+3 apart: provisional, GMT+2/US preferred. After the
    autumn switches the daily re-check finds EU, and the stored times move."""
    clock = Clock(ts("2026-09-16 12:00"))
    sim = SimulatedMT5(server_timezone="GMT+2/EU", clock=clock)
    sim.bars_from_utc = ts("2026-04-06 00:00")
    b = sim.add_account(6006, server="NYClose-Live",
                        symbols={"EURUSD": SymbolSpec(1.1000, 1.1002)})
    b.deposit(1000, at=ts("2026-03-11 10:00"))  # server 12:00 in the US spring gap week
    assert sync(store, sim, clock).ok
    acct = account(store)
    assert (acct["server_timezone"], acct["server_timezone_source"]) == \
        ("GMT+2/US", "provisional")
    assert "GMT+2/EU" in acct["server_timezone_evidence"]
    assert "provisional" in server_clock_line(acct)
    at = server_ms("2026-03-11 12:00")
    assert deal_times(store)[at] == ("2026-03-11T09:00:00.000+00:00", 180)  # US: not yet right

    clock.now = ts("2026-11-04 12:00")  # both switches passed; the EU gap week is in the bars
    assert sync(store, sim, clock, kind=SyncType.INCREMENTAL).ok
    acct = account(store)
    assert (acct["server_timezone"], acct["server_timezone_source"]) == ("GMT+2/EU", "auto")
    assert deal_times(store)[at] == ("2026-03-11T10:00:00.000+00:00", 120)


def test_a_broker_that_changed_convention_keeps_both_spans_right(store) -> None:
    """§6.3 case 6: fixed GMT+0 until 2025-06-01, then New York close. Detected
    as two spans; deals on each side convert on their own span's clock."""
    clock = Clock(ts("2026-11-20 12:00"))
    sim = SimulatedMT5(server_timezone="GMT+0 until 2025-06-01, ny-close", clock=clock)
    b = sim.add_account(6006, server="NYClose-Live",
                        symbols={"EURUSD": SymbolSpec(1.1000, 1.1002)})
    b.deposit(1000, at=ts("2025-03-12 12:00"))  # server 12:00 (GMT+0)
    b.deposit(500, at=ts("2025-07-01 09:00"))  # server 12:00 (GMT+3)
    assert sync(store, sim, clock).status is SyncStatus.SUCCESS
    acct = account(store)
    assert acct["server_timezone"] == "GMT+0 until 2025-06-01, GMT+2/US"
    assert "from 2025-06-01 GMT+2/+3 (US dates)" in server_clock_line(acct)
    times = deal_times(store)
    assert times[server_ms("2025-03-12 12:00")] == ("2025-03-12T12:00:00.000+00:00", 0)
    assert times[server_ms("2025-07-01 12:00")] == ("2025-07-01T09:00:00.000+00:00", 180)

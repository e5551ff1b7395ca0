"""Deals the broker archived, through the real adapter over the simulator: a
full sync reports stored deals the terminal no longer has (a count in the
result and the sync log, a warning), a balance check reports a journal that
does not sum to the balance, and stored deals are never deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.health import overall_health
from mt5tray.core.models import AccountRef, SyncRequest, SyncStatus, SyncType, Trigger
from mt5tray.store.local import LocalStore
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.test_cli import REPO, run

NOW = 1_790_000_000.0
DAY = 86_400


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "journal.sqlite3")
    yield s
    s.close()


def trader() -> SimulatedMT5:
    """Two closed trades months ago, one last week, a position still open."""
    sim = SimulatedMT5(server_utc_offset_minutes=120, clock=lambda: NOW)
    b = sim.add_account(4004, server="Archive-Sim",
                        symbols={"EURUSD": SymbolSpec(1.1000, 1.1002)})
    b.deposit(10_000, at=NOW - 200 * DAY)
    for days in (150, 120, 7):
        pid = b.open("EURUSD", "buy", 1.0, price=1.0950, commission=-7, at=NOW - days * DAY)
        b.close(pid, 1.0, price=1.1000, at=NOW - days * DAY + 3600)
    b.open("EURUSD", "sell", 0.5, price=1.1000, at=NOW - 100 * DAY)
    return sim


def sync(store: LocalStore, sim: SimulatedMT5, kind=SyncType.FULL, days: int | None = None):
    engine = SyncEngine(store, lambda: Mt5ApiTerminal(sim, retry_delay_s=0),
                        AgentInfo("test", "host"), clock=sim.clock.utc)
    return engine.sync(SyncRequest(AccountRef(login=4004, server="Archive-Sim"), kind,
                                   Trigger.CLI, days))


def count_deals(store: LocalStore) -> int:
    return store.query("SELECT count(*) FROM deals")[0][0]


def log_of(store: LocalStore, result) -> dict:
    (row,) = store.query("SELECT * FROM sync_logs WHERE id = ?", (result.sync_id,))
    return dict(row)


def test_a_complete_journal_agrees_with_the_terminal(store):
    first = sync(store, trader())
    assert first.status is SyncStatus.SUCCESS and first.error is None
    assert first.counts.deals_archived == 0 and first.balance_difference == 0.0
    log = log_of(store, first)
    assert log["deals_archived"] == 0 and log["balance_difference"] == 0.0


def test_deals_archived_after_they_were_synced_are_reported_and_kept(store):
    sim = trader()
    sync(store, sim)
    held = count_deals(store)
    archived = sim.broker.archive_deals(before=NOW - 60 * DAY)
    assert len(archived) == 5  # the deposit and two round trips; the open position stays
    result = sync(store, sim)  # a full sync of all history
    assert result.status is SyncStatus.PARTIAL and result.ok
    assert overall_health([result], False, False, uptime_s=600).state == "warning"
    assert result.counts.deals_archived == 5
    assert "5 stored deal(s)" in result.error and "archived" in result.error
    assert f"e.g. ticket {archived[0]}" in result.error
    assert result.balance_difference == 0.0  # the journal still holds them all
    assert count_deals(store) == held + 1  # nothing deleted; the correction deal is new
    log = log_of(store, result)
    assert log["status"] == "partial" and log["deals_archived"] == 5
    assert "archived" in log["error"]
    # A full sync of the last 30 days reads no archived span: nothing to report.
    recent = sync(store, sim, days=30)
    assert recent.counts.deals_archived == 0 and recent.status is SyncStatus.SUCCESS
    # An incremental sync does not look.
    assert sync(store, sim, SyncType.INCREMENTAL).balance_difference is None


def test_a_journal_started_after_the_archiving_does_not_sum_to_the_balance(store):
    sim = trader()
    sim.broker.archive_deals(before=NOW - 60 * DAY)
    result = sync(store, sim)
    assert result.counts.deals_archived == 0  # the journal never held them
    # Missing: the 10,000 deposit and two trades of +500 - 7 each.
    assert result.balance_difference == pytest.approx(-10_986.0)
    assert result.status is SyncStatus.PARTIAL
    assert "the balance is" in result.error and "-10986.00" in result.error
    assert log_of(store, result)["balance_difference"] == pytest.approx(-10_986.0)


def test_the_cli_reports_the_balance_difference(tmp_path):
    scenario = json.loads((REPO / "tests" / "scenarios" / "hedging_basic.json").read_text())
    scenario["account"]["balance"] += 250.0  # 250 of history the terminal no longer has
    path = tmp_path / "archived.json"
    path.write_text(json.dumps(scenario))
    done = run(tmp_path / "home", "sync", "--simulate", str(path), "--json")
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)
    assert result["status"] == "partial" and result["deals_archived"] == 0
    assert result["balance_difference"] == -250.0
    assert "-250.00" in result["error"]


def test_a_scenario_loads_with_the_simulated_broker():
    sim = simulated.from_scenario(REPO / "tests" / "scenarios" / "hedging_basic.json")
    assert sim.initialize()
    before = len(sim.history_deals_get(0, 2**31 - 1))
    gone = sim.broker.archive_deals(before=sim.clock.utc() + DAY)
    after = sim.history_deals_get(0, 2**31 - 1)
    assert gone and len(after) == before - len(gone) + 1
    assert after[-1].comment == "Archived deals" and after[-1].profit == 0.0
    assert Path(REPO / "tests" / "scenarios" / "hedging_basic.json").exists()

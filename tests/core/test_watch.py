"""Watch mode over the simulated terminal through the real adapter
(Mt5ApiTerminal): a change in the terminal syncs at once, a burst of fills is
one sync, equity alone never syncs, a paused app never probes, and probe
failures stay quiet."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.models import AccountRef, SyncStatus, SyncType, Trigger
from mt5tray.core.scheduler import SyncScheduler
from mt5tray.core.service import SyncEvent, SyncService
from mt5tray.core.watch import Watcher
from mt5tray.store.local import LocalStore
from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.sim.simulator import DEFAULT_TERMINAL_PATH, SimulatedMT5
from tests.terminal.conftest import FakeClock, make_sim

REF = AccountRef(login=1001, server="Sim-Server")
PROBES = ("positions_total", "orders_total", "history_deals_total")


class CountingApi:
    """The simulator, noting every API call by name (and its keyword arguments)."""

    def __init__(self, api: SimulatedMT5, delay: dict[str, float] | None = None) -> None:
        self.api, self.delay = api, delay or {}
        self.calls: list[tuple[str, dict[str, Any], float]] = []
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.api, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.calls.append((name, kwargs, time.monotonic()))
            if name in self.delay:
                time.sleep(self.delay[name])
            return attr(*args, **kwargs)

        return call

    def names(self) -> list[str]:
        with self.lock:
            return [c[0] for c in self.calls if c[0] != "last_error"]


class Setup:
    """A synced account, its service, and a watcher on a controllable clock."""

    def __init__(self, tmp_path: Any, ref: AccountRef = REF, password: str | None = None,
                 clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.sim = make_sim(self.clock)
        self.api = CountingApi(self.sim)
        self.store = LocalStore(tmp_path / "journal.sqlite3")
        factory = lambda: Mt5ApiTerminal(  # noqa: E731
            self.api, password_for=lambda login, server: password, retry_delay_s=0)
        engine = SyncEngine(self.store, factory, AgentInfo("test", "host"), clock=self.clock)
        self.ref = ref
        self.service = SyncService(engine, accounts=lambda: [self.ref])
        self.events: list[SyncEvent] = []
        self.service.subscribe(self.events.append)
        self.watcher = Watcher(self.service, factory, self.store, clock=self.clock,
                               utc=self.clock)
        first = self.service.sync_one(ref, SyncType.FULL, Trigger.CLI, None)
        assert first.ok, first.error

    def watch_syncs(self) -> list[Any]:
        return [e.result for e in self.events
                if e.kind == "finished" and e.result.trigger is Trigger.WATCH]

    def round(self, after_s: float = 2.0) -> list[Any]:
        self.clock.advance(after_s)
        return self.watcher.probe_round()

    def count(self, table: str) -> int:
        return int(self.store.query(f"SELECT count(*) FROM {table}")[0][0])

    def close(self) -> None:
        self.watcher.stop()
        self.store.close()


@pytest.fixture
def setup(tmp_path: Any) -> Iterator[Setup]:
    s = Setup(tmp_path)
    yield s
    s.close()


def test_a_new_trade_is_synced_once_its_burst_of_fills_settles(setup: Setup) -> None:
    assert setup.round() == []  # the first probe only learns the counts
    trades = setup.count("trades")
    position = setup.sim.broker.open("EURUSD", "buy", 1.0, at=setup.clock.now)
    assert setup.round() == []  # a change: wait a moment for more fills
    setup.sim.broker.close(position, 0.5, at=setup.clock.now)  # part of the burst
    assert setup.round(0.5) == []  # still moving
    (result,) = setup.round(0.5)  # quiet since the last probe: one sync
    assert (result.trigger, result.sync_type, result.status) == \
        (Trigger.WATCH, SyncType.INCREMENTAL, SyncStatus.SUCCESS)
    assert result.counts.deals_inserted == 2
    assert setup.count("trades") == trades + 1
    assert setup.round() == [] and setup.round() == []  # nothing new: no more syncs
    assert len(setup.watch_syncs()) == 1


@pytest.mark.parametrize("change", ["close", "deposit", "pending order"])
def test_every_kind_of_change_triggers_a_sync(setup: Setup, change: str) -> None:
    setup.round()
    broker = setup.sim.broker
    if change == "close":
        broker.close(next(iter(broker.positions)), at=setup.clock.now)
    elif change == "deposit":
        broker.deposit(250.0, at=setup.clock.now)
    else:
        broker.place_order("EURUSD", t.ORDER_TYPE_BUY_LIMIT, 0.1, 1.05, at=setup.clock.now)
    setup.round()
    (result,) = setup.round(0.5)
    assert result.trigger is Trigger.WATCH and result.ok


def test_a_burst_that_never_stops_is_synced_after_max_wait(setup: Setup) -> None:
    setup.round()
    synced = []
    for _ in range(5):  # a fill before every probe, 0.5 s apart
        setup.sim.broker.open("GBPUSD", "sell", 0.1, at=setup.clock.now)
        synced.append([r.counts.deals_inserted for r in setup.round(0.5)])
    # 2 s (max_wait_s) after the first change it syncs, fills still coming.
    assert synced == [[], [], [], [], [5]]


def test_a_trade_during_the_sync_is_seen_by_the_next_probe(setup: Setup) -> None:
    setup.round()
    setup.sim.broker.open("EURUSD", "buy", 0.1, at=setup.clock.now)
    setup.round()
    # The next deal lands after the sync read its window, before the next probe.
    landed: list[int] = []

    def trade_after_the_read(event: SyncEvent) -> None:
        if event.kind == "finished" and not landed:
            landed.append(setup.sim.broker.open("USDJPY", "buy", 0.1, at=setup.clock.now))

    setup.service.subscribe(trade_after_the_read)
    (first,) = setup.round(0.5)
    assert first.counts.deals_inserted == 1
    setup.round()
    (second,) = setup.round(0.5)
    assert second.counts.deals_inserted == 1
    assert setup.count("deals") == 8


def test_equity_moving_alone_never_syncs_and_is_snapshotted_once_a_minute(
        setup: Setup) -> None:
    setup.round()
    snapshots = setup.count("equity_snapshots")
    before = setup.store.query("SELECT equity FROM trading_accounts")[0][0]
    for step in range(40):  # two minutes of ticks, a probe every 3 s
        setup.sim.broker.set_price("XAUUSD", 2400.0 + step, 2400.5 + step)
        assert setup.round(3.0) == []
    assert setup.watch_syncs() == []
    assert setup.count("sync_logs") == 1
    assert setup.count("equity_snapshots") == snapshots + 2  # at 60 s and at 120 s
    after = setup.store.query("SELECT equity FROM trading_accounts")[0][0]
    assert after != before


def test_no_probe_at_all_while_paused(setup: Setup) -> None:
    setup.round()
    setup.service.paused = True
    setup.api.calls.clear()
    setup.sim.broker.open("EURUSD", "buy", 1.0, at=setup.clock.now)
    for _ in range(3):
        assert setup.round() == []
    assert setup.api.names() == []
    setup.service.paused = False
    setup.round()
    assert [r.trigger for r in setup.round(0.5)] == [Trigger.WATCH]


def test_the_probe_never_logs_in(tmp_path: Any) -> None:
    ref = AccountRef(1001, "Sim-Server", terminal_path=DEFAULT_TERMINAL_PATH, mode="login",
                     owns_terminal=True)
    setup = Setup(tmp_path, ref, password="pw")
    try:
        setup.api.calls.clear()
        setup.round()
        setup.round()
        inits = [kwargs for name, kwargs, _ in setup.api.calls if name == "initialize"]
        assert inits and all("login" not in k and "password" not in k for k in inits)
        assert set(PROBES) <= set(setup.api.names())
    finally:
        setup.close()


def test_probe_failures_are_quiet_and_leave_the_sync_state_alone(
        setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mt5tray.core.watch")
    setup.round()
    setup.sim.inject_fault("account_switched")  # the terminal now holds another account
    for _ in range(4):
        assert setup.round() == []
    lines = [r for r in caplog.records if "cannot probe" in r.getMessage()]
    assert len(lines) == 1 and "1001@Sim-Server" in lines[0].getMessage()
    assert setup.service.failure_streak(REF) == 0
    assert setup.service.last_result(REF).ok  # the last sync still stands
    setup.sim._current = 1001  # the user switched back
    setup.round()
    assert any("probing 1001@Sim-Server again" in r.getMessage() for r in caplog.records)


def test_a_closed_terminal_is_left_to_the_schedule(
        setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mt5tray.core.watch")
    setup.round()
    setup.sim.inject_fault("terminal_closed")
    setup.round()
    setup.api.calls.clear()
    for _ in range(5):  # no initialize() every 2 s (it would start the terminal)
        setup.round()
    assert setup.api.names() == []
    assert len([r for r in caplog.records if "cannot probe" in r.getMessage()]) == 1
    setup.sim.clear_faults()  # MT5 started again; the schedule's sync finds it
    assert setup.service.sync_one(REF, trigger=Trigger.SCHEDULE).ok
    setup.round()
    assert set(PROBES) <= set(setup.api.names())


def test_an_account_whose_last_sync_found_no_terminal_is_not_probed(setup: Setup) -> None:
    setup.sim.inject_fault("terminal_closed")
    failed = setup.service.sync_one(REF, trigger=Trigger.SCHEDULE)
    assert failed.error_title == "MT5 terminal not running"
    setup.api.calls.clear()
    setup.round()
    setup.round()
    assert setup.api.names() == []


class WallClock(FakeClock):
    """Real time, for the tests that run the watcher's own thread."""

    def __call__(self) -> float:
        return time.time()


def test_watch_mode_on_the_scheduler_syncs_within_seconds_and_never_overlaps(
        tmp_path: Any) -> None:
    setup = Setup(tmp_path, clock=WallClock())
    setup.watcher.clock = time.monotonic
    setup.watcher.interval_s, setup.watcher.quiet_s = 0.1, 0.1
    spans: list[list[float]] = []
    setup.service.subscribe(lambda e: spans.append([time.monotonic()]) if e.kind == "started"
                            else spans[-1].append(time.monotonic()) if e.kind == "finished"
                            else None)
    scheduler = SyncScheduler(setup.service, interval_s=3600, startup_delay_s=3600,
                              watcher=setup.watcher)
    scheduler.start()
    try:
        time.sleep(0.5)  # the watcher learns the counts
        opened = time.monotonic()
        setup.sim.broker.open("EURUSD", "buy", 1.0)
        _wait_for(lambda: len(setup.watch_syncs()) == 1)
        latency = spans[-1][1] - opened
        # A long scheduled sync; a trade lands while it reads.
        setup.api.delay = {"history_deals_get": 0.6}
        scheduler.submit(lambda: setup.service.sync_one(REF, trigger=Trigger.SCHEDULE))
        _wait_for(lambda: setup.service.busy)
        setup.sim.broker.open("GBPUSD", "sell", 0.5)
        _wait_for(lambda: len(setup.watch_syncs()) == 2)
    finally:
        scheduler.shutdown()
    assert latency < 5.0  # the target for p95
    probes = [at for name, _, at in setup.api.calls if name in PROBES]
    assert probes, "the watcher never probed"
    inside = [at for at in probes for span in spans if span[0] < at < span[-1]]
    assert inside == [], "a probe ran during a sync"
    assert setup.count("deals") == 8
    assert [s.trigger for s in _finished(setup.events)][-3:] == \
        [Trigger.WATCH, Trigger.SCHEDULE, Trigger.WATCH]


def _finished(events: list[SyncEvent]) -> list[Any]:
    return [e.result for e in events if e.kind == "finished"]


def _wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_one_equity_move_that_then_holds_is_still_snapshotted(setup: Setup) -> None:
    setup.round()
    setup.sim.broker.open("EURUSD", "buy", 1.0, at=setup.clock.now)
    setup.round()
    assert setup.round(0.5)  # the watch sync; it wrote a snapshot
    snapshots = setup.count("equity_snapshots")
    setup.sim.broker.set_price("EURUSD", 1.1050, 1.1052)  # once, then steady
    for _ in range(40):
        assert setup.round(2.0) == []
    assert setup.count("equity_snapshots") == snapshots + 1

"""The engine through the real MT5 adapter over the simulated terminal: each
fault a user meets (terminal closed, no broker link, bad password, a switched
account) ends as a readable failed sync, writes nothing wrong, and the other
accounts still sync."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.models import AccountRef, SyncRequest, SyncStatus, SyncType, Trigger
from mt5tray.core.service import RateLimited, SyncService
from mt5tray.store.local import LocalStore
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "tests" / "scenarios" / "hedging_basic.json"


@pytest.fixture
def sim():
    return simulated.from_scenario(SCENARIO)


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "journal.sqlite3")
    yield s
    s.close()


def engine_for(store, sim, password=None):
    factory = lambda: Mt5ApiTerminal(sim, password_for=lambda login, server: password,  # noqa: E731
                                     retry_delay_s=0)
    return SyncEngine(store, factory, AgentInfo("test", "host"), clock=sim.clock.utc)


def ref_of(sim, mode="attach"):
    info = sim.broker.account_tuple()
    path = sim.terminal_path if mode == "login" else None  # login mode needs its own terminal
    return AccountRef(login=info.login, server=info.server, mode=mode, terminal_path=path)


def run(engine, ref, kind=SyncType.INCREMENTAL):
    return engine.sync(SyncRequest(ref, kind, Trigger.CLI, 30))


def count(store, table):
    return store.query(f"SELECT count(*) FROM {table}")[0][0]


@pytest.mark.parametrize(
    ("fault", "title"),
    [
        ("ipc_timeout", "MT5 terminal timed out"),
        ("auth_failed", "MT5 login failed"),
        ("terminal_closed", "MT5 terminal not running"),
    ],
)
def test_faults_become_readable_failed_syncs(store, sim, fault, title):
    sim.inject_fault(fault)
    result = run(engine_for(store, sim), ref_of(sim))
    assert result.status is SyncStatus.FAILED
    assert result.error_title == title
    assert count(store, "deals") == 0
    (log,) = store.sync_logs()
    assert log["status"] == "failed" and log["error"]
    assert store.list_accounts()[0]["sync_failure_count"] == 1


def test_ipc_timeout_once_is_retried(store, sim):
    sim.inject_fault("ipc_timeout_once")
    assert run(engine_for(store, sim), ref_of(sim)).status is SyncStatus.SUCCESS


def test_not_connected_to_broker_is_not_trusted(store, sim):
    sim.inject_fault("not_connected")
    result = run(engine_for(store, sim), ref_of(sim))
    assert result.status is SyncStatus.FAILED
    assert result.error_title == "MT5 not connected to the broker"


def test_terminal_closed_mid_sync_writes_nothing(store, sim):
    sim.inject_fault("terminal_closed", after_calls=6)
    result = run(engine_for(store, sim), ref_of(sim))
    assert result.status is SyncStatus.FAILED
    assert count(store, "deals") == 0 and count(store, "trades") == 0
    sim.clear_faults()
    again = run(engine_for(store, sim), ref_of(sim))
    assert again.status is SyncStatus.SUCCESS and again.counts.deals_inserted > 0


def test_account_switched_mid_sync_writes_nothing(store, sim):
    sim.add_account(424242, server="Other-Server")
    sim.inject_fault("account_switched", after_calls=5)
    result = run(engine_for(store, sim), ref_of(sim))
    assert result.status is SyncStatus.FAILED
    assert result.error_title == "MT5 is logged into another account"
    assert count(store, "deals") == 0


def test_one_failing_account_never_stops_the_others(store, sim):
    good = ref_of(sim)
    elsewhere = AccountRef(login=999999, server="Another-Broker")  # not in this terminal
    service = SyncService(engine_for(store, sim), accounts=lambda: [elsewhere, good])
    results = service.sync_all(trigger=Trigger.SCHEDULE)
    assert [r.status for r in results] == [SyncStatus.FAILED, SyncStatus.SUCCESS]
    assert "999999" in results[0].error
    logins = {a["login"]: a for a in store.list_accounts()}
    assert logins[999999]["sync_failure_count"] == 1
    assert logins[good.login]["last_successful_sync_at"]


def test_sync_now_is_rate_limited_per_account(store, sim):
    now = [1000.0]
    service = SyncService(engine_for(store, sim), accounts=lambda: [ref_of(sim)],
                          clock=lambda: now[0])
    service.sync_one(ref_of(sim), trigger=Trigger.MANUAL)
    now[0] += 20
    with pytest.raises(RateLimited) as limited:
        service.sync_one(ref_of(sim), trigger=Trigger.MANUAL)
    assert "40 s" in str(limited.value)
    service.sync_one(ref_of(sim), trigger=Trigger.SCHEDULE)  # the schedule is not limited
    now[0] += 41
    assert service.sync_one(ref_of(sim), trigger=Trigger.MANUAL).ok


def test_login_mode_uses_the_password_from_the_keyring(store, tmp_path):
    sim = simulated.from_scenario(SCENARIO)  # the scenario sets a password
    ref = ref_of(sim, mode="login")
    wrong = run(engine_for(store, sim, password="wrong-password"), ref)
    assert wrong.error_title == "MT5 login failed"
    assert "wrong-password" not in (wrong.error or "")


CRASHER = textwrap.dedent("""
    import os, sys
    from mt5tray.bootstrap import Simulation, build_app
    from mt5tray.core.models import SyncType, Trigger, AccountRef
    app = build_app(Simulation(__import__("pathlib").Path(sys.argv[1])))
    def die(conn, batch):
        os._exit(9)  # killed after the rows were written, before the commit
    app.store.on_commit = die
    app.service.sync_all(SyncType.FULL, Trigger.CLI, None)
""")


def test_killed_mid_commit_then_rerun_equals_one_clean_run(tmp_path):
    env = {**os.environ, "MT5TRAY_HOME": str(tmp_path / "crashy"), "PYTHONPATH": str(REPO)}
    crashed = subprocess.run([sys.executable, "-c", CRASHER, str(SCENARIO)], env=env,
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 9, crashed.stderr
    journal = tmp_path / "crashy" / "data" / f"simulated-{Path(SCENARIO).stem}.sqlite3"
    store = LocalStore(journal)
    assert count(store, "deals") == 0 and count(store, "trades") == 0
    assert store.recover_interrupted_syncs() == 1  # its log row is closed as failed
    sim = simulated.from_scenario(SCENARIO)
    rerun = run(engine_for(store, sim), ref_of(sim), SyncType.FULL)
    clean_store = LocalStore(tmp_path / "clean.sqlite3")
    clean = run(engine_for(clean_store, sim), ref_of(sim), SyncType.FULL)
    assert rerun.counts == clean.counts
    for table, key in (("deals", "ticket"), ("trades", "ticket")):
        def rows(s, table=table, key=key):
            return [{k: v for k, v in dict(r).items()
                     if k not in ("account_id", "synced_at", "updated_at")}
                    for r in s.query(f"SELECT * FROM {table} ORDER BY {key}")]
        assert rows(store) == rows(clean_store)


def test_a_bad_password_is_not_retried_every_interval(store):
    """A failure only the user can fix (a bad password) leaves the account
    out of the schedule for an hour, so the broker does not see a login
    attempt every five minutes; Sync Now and a settings change try again."""
    sim = simulated.from_scenario(SCENARIO)
    ref = ref_of(sim, mode="login")
    password = ["wrong-password"]
    now = [1000.0]
    engine = SyncEngine(store, lambda: Mt5ApiTerminal(
        sim, password_for=lambda login, server: password[0], retry_delay_s=0),
        AgentInfo("test", "host"), clock=sim.clock.utc)
    service = SyncService(engine, accounts=lambda: [ref], clock=lambda: now[0])

    (failed,) = service.scheduled_tick()
    assert failed.needs_action and failed.error_title == "MT5 login failed"
    assert service.waits_for_user(ref)
    now[0] += 5 * 60
    assert service.scheduled_tick() == []  # left alone: no second login attempt
    logs = store.query("SELECT count(*) FROM sync_logs")[0][0]

    now[0] += 3600
    (again,) = service.scheduled_tick()  # an hour later, one more try
    assert not again.ok and service.waits_for_user(ref)
    assert store.query("SELECT count(*) FROM sync_logs")[0][0] == logs + 1

    password[0] = None  # the user fixed it in settings (the scenario's own password)
    service.user_acted()
    (fixed,) = service.scheduled_tick()
    assert fixed.ok and not service.waits_for_user(ref)


def test_a_transient_failure_is_retried_at_the_next_interval(store, sim):
    ref = ref_of(sim)
    service = SyncService(engine_for(store, sim), accounts=lambda: [ref])
    sim.inject_fault("not_connected")
    (failed,) = service.scheduled_tick()
    assert not failed.ok and not failed.needs_action
    assert not service.waits_for_user(ref)
    sim.clear_faults()
    (ok,) = service.scheduled_tick()
    assert ok.ok

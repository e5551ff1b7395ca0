"""Benchmark: seconds, not minutes (issue 13). A script, not a test.

    python tests/benchmarks/bench_latency.py [--trades 60] [--requests 30] [--idle-seconds 60]

Starts its own PostgreSQL (with the migrations) and the test gateway in its own
process (PostgREST, GoTrue and Realtime in miniature), signs a new user in,
and runs the agent headless in Supabase mode: the scheduler (5-minute syncs),
watch mode (a probe every 2 s) and the Realtime subscription, as the tray runs
them. Measures:
  trades    a simulated account that trades on a timer (an open or a close
            every 1-3 s): deal time -> its trade row visible in PostgreSQL
            (opened, or closed), median and p95; target p95 <= 5 s
  requests  a sync_requests row inserted (as the web app does) -> the sync
            started, and -> its sync_logs row visible in PostgreSQL, median
            and p95; target p95 <= 3 s to start. The Sync Now cooldown is set
            to 0 so the requests can follow each other every ~2 s.
  idle      the live demo account, idle: CPU and RSS of the agent over
            --idle-seconds with watch mode and the subscription on, and with
            both off; and the share of one core the probes took (their wall
            time, an upper bound of their CPU time). Target: well under 1 %.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median, quantiles
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import keyring  # noqa: E402
import psutil  # noqa: E402

from mt5tray.bootstrap import App, Simulation, build_app, build_watcher  # noqa: E402
from mt5tray.core.models import AccountRef, SyncType, Trigger  # noqa: E402
from mt5tray.core.scheduler import SyncScheduler  # noqa: E402
from mt5tray.core.service import SyncEvent  # noqa: E402
from mt5tray.paths import AppPaths  # noqa: E402
from mt5tray.terminal.mt5api import Mt5ApiTerminal  # noqa: E402
from mt5tray.terminal.sim.book import SymbolSpec  # noqa: E402
from mt5tray.terminal.sim.simulator import SimulatedMT5  # noqa: E402
from tests.support.gateway import Gateway, create_user  # noqa: E402
from tests.support.memory_keyring import MemoryKeyring  # noqa: E402
from tests.support.postgres import start_supabase_like_cluster  # noqa: E402

PASSWORD = "bench-password"


def serve_gateway(api_dsn: str, admin_dsn: str, out: Any, stop: Any) -> None:
    """The gateway in its own process, as Supabase's servers are."""
    gateway = Gateway(api_dsn, admin_dsn).start()
    out.put((gateway.url, gateway.anon_key))
    stop.wait()
    gateway.close()


def settings_for(home: Path, url: str, key: str, watch: bool, realtime: bool) -> AppPaths:
    paths = AppPaths(home / "config", home / "data", home / "logs")
    paths.config_dir.mkdir(parents=True)
    paths.settings_file.write_text(json.dumps({
        "store": "supabase", "watch": {"enabled": watch},
        "supabase": {"url": url, "publishable_key": key, "realtime": realtime}}))
    return paths


def agent(home: Path, url: str, key: str, email: str, api: SimulatedMT5 | None,
          watch: bool = True, realtime: bool = True) -> tuple[App, SyncScheduler]:
    """A signed-in agent with everything synced once; its scheduler not started."""
    app = build_app(Simulation(None), "supabase",
                    paths=settings_for(home, url, key, watch, realtime))
    if api is not None:
        app.engine.terminal_factory = lambda: Mt5ApiTerminal(api)
    assert app.remote is not None
    app.remote.session.sign_in(email, PASSWORD)
    first = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
    assert first.ok, first.summary()
    scheduler = SyncScheduler(app.service, 300.0, app.hooks, startup_delay_s=300.0,
                              watcher=build_watcher(app))
    return app, scheduler


def stats(values: list[float]) -> str:
    p95 = quantiles(values, n=20, method="inclusive")[-1] if len(values) >= 2 else values[0]
    return f"median {median(values):.2f} s, p95 {p95:.2f} s, max {max(values):.2f} s " \
           f"(n = {len(values)})"


def p95(values: list[float]) -> float:
    return quantiles(values, n=20, method="inclusive")[-1]


# --- (1) deal -> trade row -----------------------------------------------------------


def timer_terminal() -> SimulatedMT5:
    sim = SimulatedMT5(server_utc_offset_minutes=120)
    broker = sim.add_account(7_700_001, server="Bench-Live", symbols={
        "EURUSD": SymbolSpec(1.1000, 1.1002), "GBPUSD": SymbolSpec(1.2700, 1.2703)})
    broker.deposit(10_000.0, at=time.time() - 86_400)
    return sim


class RowPoller:
    """Polls PostgreSQL every 50 ms and stamps when each awaited row shows up."""

    def __init__(self, pg: Any, query: str, params: list[Any]) -> None:
        self.pg, self.query, self.params = pg, query, params
        self.seen: dict[tuple[Any, ...], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RowPoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        with self.pg.connect(autocommit=True) as conn:
            while not self._stop.is_set():
                now = time.time()
                for row in conn.execute(self.query, self.params):
                    self.seen.setdefault(tuple(row), now)
                    self.seen.setdefault((row[0], "any"), now)
                time.sleep(0.05)

    def wait_for(self, keys: list[tuple[Any, ...]], timeout: float = 60.0) -> None:
        deadline = time.time() + timeout
        while any(k not in self.seen for k in keys):
            if time.time() > deadline:
                missing = [k for k in keys if k not in self.seen]
                raise SystemExit(f"rows never became visible: {missing[:5]}")
            time.sleep(0.05)


def bench_trades_polled(pg: Any, url: str, key: str, email: str, user_id: str,
                        count: int) -> list[float]:
    poller = RowPoller(pg, "select ticket, status from trades where user_id = %s",
                       [user_id]).start()
    events: list[tuple[int, str, float]] = []
    sim = timer_terminal()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app, scheduler = agent(Path(tmp), url, key, email, sim)
            scheduler.start()
            try:
                time.sleep(3)  # the watcher has its first counts
                trade_on_a_timer(sim, count, events)
                # An opening deal shows in its trade row whether the row still
                # says open or already closed (both deals in one sync).
                poller.wait_for([(position, "closed" if state == "closed" else "any")
                                 for position, state, _ in events])
            finally:
                scheduler.shutdown()
                app.close()
    finally:
        poller.stop()
    return [poller.seen[(position, "closed" if state == "closed" else "any")] - at
            for position, state, at in events]


def trade_on_a_timer(sim: SimulatedMT5, count: int, events: list[tuple[int, str, float]]) -> None:
    """An open or a close every 1-3 s; at most four positions open."""
    open_ids: list[int] = []
    rng = random.Random(13)
    for _ in range(count):
        time.sleep(rng.uniform(1.0, 3.0))
        with sim._lock:  # the trader acts while the agent reads
            if open_ids and (len(open_ids) > 3 or rng.random() < 0.5):
                position = open_ids.pop(rng.randrange(len(open_ids)))
                sim.broker.close(position)
                events.append((position, "closed", time.time()))
            else:
                position = sim.broker.open(rng.choice(("EURUSD", "GBPUSD")), "buy", 0.1)
                open_ids.append(position)
                events.append((position, "open", time.time()))


# --- (2) request -> sync started -> sync_logs row ----------------------------------------


def bench_requests(pg: Any, url: str, key: str, email: str, user_id: str,
                   count: int) -> tuple[list[float], list[float]]:
    poller = RowPoller(pg, "select id::text from sync_logs where user_id = %s"
                           " and trigger = 'remote'", [user_id]).start()
    started: list[tuple[float, str]] = []
    to_start, to_log = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app, scheduler = agent(Path(tmp), url, key, email, timer_terminal())
            app.service.cooldown_s = 0
            app.service.subscribe(lambda e: _note_remote(e, started))
            scheduler.start()
            try:
                live = app.live_requests
                assert live is not None
                while not live.live:
                    time.sleep(0.05)
                with pg.connect(autocommit=True) as conn:
                    (account_id,) = conn.execute(
                        "select id from trading_accounts where user_id = %s", [user_id]
                    ).fetchone()
                    for _ in range(count):
                        time.sleep(random.uniform(1.5, 2.5))
                        asked = time.time()
                        conn.execute("insert into sync_requests (user_id, account_id)"
                                     " values (%s, %s)", [user_id, account_id])
                        while len(started) < len(to_start) + 1:
                            time.sleep(0.005)
                        began, sync_id = started[-1]
                        poller.wait_for([(sync_id,)])
                        to_start.append(began - asked)
                        to_log.append(poller.seen[(sync_id,)] - asked)
            finally:
                scheduler.shutdown()
                app.close()
    finally:
        poller.stop()
    return to_start, to_log


def _note_remote(event: SyncEvent, started: list[tuple[float, str]]) -> None:
    if event.kind == "finished" and event.result is not None \
            and event.result.trigger is Trigger.REMOTE:
        started.append((event.result.started_at.timestamp(), event.result.sync_id))


# --- (3) idle cost -----------------------------------------------------------------------


def idle_child(url: str, key: str, email: str, mode: str, seconds: float) -> None:
    """Runs in a child process: the live demo agent idle; prints its own figures."""
    keyring.set_keyring(MemoryKeyring())
    on = mode == "on"
    with tempfile.TemporaryDirectory() as tmp:
        app, scheduler = agent(Path(tmp), url, key, email, None, watch=on, realtime=on)
        probe_s = [0.0]
        watcher = scheduler.watcher
        assert watcher is not None
        probe_round = watcher.probe_round

        def timed_round() -> Any:
            began = time.perf_counter()
            try:
                return probe_round()
            finally:
                probe_s[0] += time.perf_counter() - began

        watcher.probe_round = timed_round  # type: ignore[method-assign]
        scheduler.start()
        try:
            time.sleep(5)  # subscribed, first probes done
            me = psutil.Process()
            cpu0, wall0, probes0, probe0 = sum(me.cpu_times()[:2]), time.monotonic(), \
                watcher.probes, probe_s[0]
            time.sleep(seconds)
            wall = time.monotonic() - wall0
            cpu = sum(me.cpu_times()[:2]) - cpu0
            live = app.live_requests
            print(json.dumps({
                "mode": mode, "idle_s": round(wall, 1), "cpu_pct": round(100 * cpu / wall, 3),
                "rss_mb": round(me.memory_info().rss / 2**20, 1),
                "probes": watcher.probes - probes0,
                "probe_pct": round(100 * (probe_s[0] - probe0) / wall, 4),
                "subscribed": bool(live and live.live)}), flush=True)
        finally:
            scheduler.shutdown()
            app.close()


def bench_idle(url: str, key: str, email: str, seconds: float) -> list[dict[str, Any]]:
    results = []
    for mode in ("on", "off"):
        out = subprocess.run(
            [sys.executable, __file__, "--idle-child", mode, "--url", url, "--key", key,
             "--email", email, "--idle-seconds", str(seconds)],
            capture_output=True, text=True, timeout=seconds + 180, cwd=REPO)
        if out.returncode != 0:
            raise SystemExit(f"the idle agent ({mode}) failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


# --- main --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trades", type=int, default=60)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--skip", action="append", default=[],
                        choices=["trades", "requests", "idle"])
    parser.add_argument("--idle-child", choices=["on", "off"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--email", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.idle_child:
        idle_child(args.url, args.key, args.email, args.idle_child, args.idle_seconds)
        return 0
    keyring.set_keyring(MemoryKeyring())
    pg = start_supabase_like_cluster()
    ctx = multiprocessing.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve_gateway, args=(pg.authenticator_dsn, pg.dsn, out, stop))
    server.start()
    url, key = out.get(timeout=60)
    ok = True
    try:
        def new_user(name: str) -> tuple[str, str]:
            email = f"{name}@bench.test"
            with pg.connect() as conn:
                return email, create_user(conn, email, PASSWORD)

        if "trades" not in args.skip:
            email, user_id = new_user("trades")
            latencies = bench_trades_polled(pg, url, key, email, user_id, args.trades)
            ok &= p95(latencies) <= 5.0
            print(f"(1) deal -> trade row in PostgreSQL: {stats(latencies)}; target p95 <= 5 s",
                  flush=True)
        if "requests" not in args.skip:
            email, user_id = new_user("requests")
            to_start, to_log = bench_requests(pg, url, key, email, user_id, args.requests)
            ok &= p95(to_start) <= 3.0
            print(f"(2) request -> sync started: {stats(to_start)}; target p95 <= 3 s",
                  flush=True)
            print(f"    request -> sync_logs row in PostgreSQL: {stats(to_log)}", flush=True)
        if "idle" not in args.skip:
            email, _ = new_user("idle")
            for r in bench_idle(url, key, email, args.idle_seconds):
                label = "watch + subscription on " if r["mode"] == "on" else "both off"
                print(f"(3) idle {r['idle_s']} s, {label}: CPU {r['cpu_pct']} % of one core, "
                      f"RSS {r['rss_mb']} MB; {r['probes']} probes taking {r['probe_pct']} % "
                      f"of one core; subscribed: {r['subscribed']}", flush=True)
    finally:
        stop.set()
        server.join(30)
        pg.destroy()
    print("within targets" if ok else "OUTSIDE targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

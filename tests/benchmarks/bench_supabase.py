"""Benchmark: a full sync into Supabase through the test gateway (a script, not a test).

    python tests/benchmarks/bench_supabase.py [--deals 100000] [--batch-size 1000] [--runs 3]

Starts its own PostgreSQL (with the migrations) and the PostgREST/GoTrue test
gateway, and runs mt5tray in Supabase mode on a synthetic account, `--runs`
times (a fresh user, journal and empty tables each time):
  full     the first, all-history sync of `--deals` deals: engine -> local
           journal + encrypted outbox (one SQLite transaction) -> flusher ->
           supabase-py -> gateway; "upload" is the flusher's part of it
  floor    the same final rows (exported from the tables) loaded back with
           one `COPY ... FROM STDIN` per table, as the table owner
  incr     an incremental sync that finds nothing new: HTTP requests counted
The gateway runs in its own process (as PostgREST would); HTTP requests are
counted on the agent's HTTP client. Medians are printed last. Targets: full
<= 3x the floor; incr <= 3 requests.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import keyring  # noqa: E402

from mt5tray.bootstrap import Simulation, build_app  # noqa: E402
from mt5tray.config import SupabaseSettings  # noqa: E402
from mt5tray.core.models import AccountRef, SyncType, Trigger  # noqa: E402
from mt5tray.paths import AppPaths  # noqa: E402
from mt5tray.terminal import sim as simulated  # noqa: E402
from mt5tray.terminal.mt5api import Mt5ApiTerminal  # noqa: E402
from mt5tray.terminal.sim.simulator import SimulatedMT5  # noqa: E402
from tests.support.gateway import Gateway  # noqa: E402
from tests.support.memory_keyring import MemoryKeyring  # noqa: E402
from tests.support.postgres import start_supabase_like_cluster  # noqa: E402

# Parents before children, for the foreign keys.
TABLES = ("trading_accounts", "deals", "trades", "equity_snapshots", "sync_logs")


def build(home: Path, gateway: Gateway, batch_size: int, api: SimulatedMT5):
    paths = AppPaths(home / "config", home / "data", home / "logs")
    paths.config_dir.mkdir(parents=True)
    paths.settings_file.write_text(json.dumps({
        "store": "supabase",
        "supabase": {"url": gateway.url, "publishable_key": gateway.anon_key,
                     "batch_size": batch_size}}))
    app = build_app(Simulation(None), "supabase", paths=paths)
    app.engine.terminal_factory = lambda: Mt5ApiTerminal(api)
    return app


def serve_gateway(api_dsn: str, admin_dsn: str, out: multiprocessing.Queue,
                  stop: multiprocessing.Event) -> None:
    """The gateway in its own process, as PostgREST would be (not fighting the
    agent for the GIL)."""
    gateway = Gateway(api_dsn, admin_dsn).start()
    out.put((gateway.url, gateway.anon_key, gateway.tokens.secret))
    stop.wait()
    gateway.close()


class RemoteGateway:
    """What `build` needs of a gateway running in another process."""

    def __init__(self, url: str, anon_key: str) -> None:
        self.url, self.anon_key = url, anon_key


def copy_floor(pg, user_id: str) -> tuple[float, dict[str, int]]:
    """Export the user's rows, delete them, and time loading them with COPY.
    The rows are deleted again afterwards, so every run starts on empty tables."""
    dumps: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    with pg.connect() as conn:
        for table in TABLES:
            data = bytearray()
            query = f"copy (select * from public.{table} where user_id = %s) to stdout"
            with conn.cursor().copy(query.replace("%s", f"'{user_id}'")) as copy:
                for chunk in copy:
                    data += chunk
            dumps[table] = bytes(data)
            counts[table] = data.count(b"\n")
        _empty_tables(conn, user_id)
        started = time.perf_counter()
        for table in TABLES:
            with conn.cursor().copy(f"copy public.{table} from stdin") as copy:
                copy.write(dumps[table])
        conn.commit()
        elapsed = time.perf_counter() - started
        _empty_tables(conn, user_id)
        return elapsed, counts


def _empty_tables(conn, user_id: str) -> None:
    conn.execute("delete from public.trading_accounts where user_id = %s", [user_id])
    conn.commit()
    conn.autocommit = True
    conn.execute("vacuum analyze")
    conn.autocommit = False


@dataclass
class Run:
    full_s: float
    upload_s: float
    requests: int
    floor_s: float = 0.0

    @property
    def ratio(self) -> float:
        return self.full_s / self.floor_s

    @property
    def upload_ratio(self) -> float:
        return self.upload_s / self.floor_s


def timed_flushes(app) -> list[float]:
    """Wrap the app's flusher so each flush's wall time is recorded."""
    times: list[float] = []
    flush = app.remote.flusher.flush

    def timed() -> int:
        started = time.perf_counter()
        try:
            return flush()
        finally:
            times.append(time.perf_counter() - started)

    app.remote.flusher.flush = timed
    return times


def full_sync(pg, gateway, api, batch_size: int, run: int,
              responses: list[str]) -> tuple[Run, str, list[str]]:
    """One run: a new user signs in on a new PC and syncs everything."""
    email, password = f"bench{run}@example.test", "bench-password"
    with Gateway(pg.authenticator_dsn, pg.dsn) as local:  # only to create the user
        user_id = local.create_user(email, password)
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Path(tmp), gateway, batch_size, api)
        try:
            app.remote.session.sign_in(email, password)
            # Requests are counted on the agent's own HTTP client.
            app.remote.session._http.event_hooks["response"].append(
                lambda r: responses.append(f"{r.request.method} {r.request.url.path}"))
            flushes = timed_flushes(app)
            responses.clear()
            started = time.perf_counter()
            result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
            full_s = time.perf_counter() - started
            assert result.ok, result.summary()
            assert app.remote.pending_uploads() == 0, app.remote.last_error
            measured = Run(full_s, sum(flushes), len(responses))

            responses.clear()
            incr = app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
            assert incr.ok and incr.counts.deals_inserted == 0, incr.summary()
            assert app.remote.pending_uploads() == 0
            return measured, user_id, list(responses)
        finally:
            app.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=SupabaseSettings().batch_size)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    pg = start_supabase_like_cluster()
    ctx = multiprocessing.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve_gateway, args=(pg.authenticator_dsn, pg.dsn, out, stop))
    server.start()
    url, anon_key, _ = out.get(timeout=60)
    gateway = RemoteGateway(url, anon_key)
    responses: list[str] = []
    runs: list[Run] = []
    try:
        api = simulated.synthetic(deals=args.deals)
        for number in range(1, args.runs + 1):
            run, user_id, incr_requests = full_sync(pg, gateway, api, args.batch_size, number,
                                                    responses)
            run.floor_s, counts = copy_floor(pg, user_id)
            runs.append(run)
            print(f"run {number}: full sync {run.full_s:.2f} s (upload {run.upload_s:.2f} s, "
                  f"{run.requests} HTTP requests), COPY floor {run.floor_s:.2f} s, ratio "
                  f"{run.ratio:.1f}x (upload alone {run.upload_ratio:.1f}x)", flush=True)
    finally:
        stop.set()
        server.join(30)
        pg.destroy()

    rows = sum(counts.values())
    print(f"rows: {counts} ({rows} in all), batch {args.batch_size}, {len(runs)} runs; medians:")
    full, upload = median(r.full_s for r in runs), median(r.upload_s for r in runs)
    print(f"full sync into Supabase: {full:.2f} s = {full - upload:.2f} s local (read the "
          f"terminal, build trades, commit journal + outbox) + {upload:.2f} s upload")
    print(f"floor (one COPY per table, as owner): {median(r.floor_s for r in runs):.2f} s")
    print(f"ratio to the floor: upload {median(r.upload_ratio for r in runs):.1f}x, whole sync "
          f"{median(r.ratio for r in runs):.1f}x (target <= 3x)")
    print(f"incremental sync with nothing new: {len(incr_requests)} HTTP requests "
          f"(target <= 3): {incr_requests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

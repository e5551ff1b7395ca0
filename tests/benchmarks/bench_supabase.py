"""Benchmark: a full sync into Supabase through the test gateway (a script, not a test).

    python tests/benchmarks/bench_supabase.py [--deals 100000] [--batch-size 500]

Starts its own PostgreSQL (with the migrations) and the PostgREST/GoTrue test
gateway, signs a user in, and runs mt5tray in Supabase mode on a synthetic
account:
  full     the first, all-history sync of `--deals` deals: engine -> local
           journal + encrypted outbox -> flusher -> supabase-py -> gateway
  floor    the same final rows (exported from the tables) loaded back with
           one `COPY ... FROM STDIN` per table, as the table owner
  incr     an incremental sync that finds nothing new: HTTP requests counted
The gateway runs in its own process (as PostgREST would); HTTP requests are
counted on the agent's HTTP client. Targets: full <= 3x the floor; incr <= 3
requests.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import keyring  # noqa: E402

from mt5tray.bootstrap import Simulation, build_app  # noqa: E402
from mt5tray.core.models import AccountRef, SyncType, Trigger  # noqa: E402
from mt5tray.paths import AppPaths  # noqa: E402
from mt5tray.terminal.mt5api import Mt5ApiTerminal  # noqa: E402
from mt5tray.terminal.simulator import SimulatedMT5  # noqa: E402
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
    """Export the user's rows, delete them, and time loading them with COPY."""
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
        conn.execute("delete from public.trading_accounts where user_id = %s", [user_id])
        conn.commit()
        started = time.perf_counter()
        for table in TABLES:
            with conn.cursor().copy(f"copy public.{table} from stdin") as copy:
                copy.write(dumps[table])
        conn.commit()
        return time.perf_counter() - started, counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
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
    try:
        email, password = "bench@example.test", "bench-password"
        with Gateway(pg.authenticator_dsn, pg.dsn) as local:  # only to create the user
            user_id = local.create_user(email, password)
        api = SimulatedMT5.synthetic(deals=args.deals)
        with tempfile.TemporaryDirectory() as tmp:
            app = build(Path(tmp), gateway, args.batch_size, api)
            try:
                app.remote.session.sign_in(email, password)
                # Requests are counted on the agent's own HTTP client.
                app.remote.session._http.event_hooks["response"].append(
                    lambda r: responses.append(f"{r.request.method} {r.request.url.path}"))
                started = time.perf_counter()
                result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
                full_s = time.perf_counter() - started
                assert result.ok, result.summary()
                assert app.remote.pending_uploads() == 0, app.remote.last_error
                full_requests = len(responses)
                local_s = result.duration_ms / 1000

                responses.clear()
                incr = app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
                assert incr.ok and incr.counts.deals_inserted == 0, incr.summary()
                assert app.remote.pending_uploads() == 0
                incr_requests = list(responses)
            finally:
                app.close()
        floor_s, counts = copy_floor(pg, user_id)
    finally:
        stop.set()
        server.join(30)
        pg.destroy()

    rows = sum(counts.values())
    print(f"rows: {counts} ({rows} in all)")
    print(f"full sync into Supabase: {full_s:.2f} s total ({local_s:.2f} s local sync + "
          f"{full_s - local_s:.2f} s upload, {full_requests} HTTP requests, "
          f"batch {args.batch_size})")
    print(f"floor (one COPY per table, as owner): {floor_s:.2f} s")
    print(f"ratio: {full_s / floor_s:.1f}x total, {(full_s - local_s) / floor_s:.1f}x upload "
          "only (target <= 3x)")
    print(f"incremental sync with nothing new: {len(incr_requests)} HTTP requests "
          f"(target <= 3): {incr_requests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

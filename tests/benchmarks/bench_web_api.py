"""How fast the web journal's RPCs answer on an account with a long history.

    python tests/benchmarks/bench_web_api.py [--logs 105120] [--calls 30]

Starts a PostgreSQL with the project's migrations and the test gateway,
gives one account `--logs` sync_logs rows (105,120 is a sync every 5 minutes
for a year), then times, with supabase-py over HTTP as the web app would call
them: sync_status, request_sync and sync_request_status (medians of
`--calls`), and sync_status inside PostgreSQL alone (the database's share).
Prints the figures; README's Performance section quotes them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx  # noqa: E402
from supabase import ClientOptions, create_client  # noqa: E402

from tests.support.gateway import Gateway, create_user  # noqa: E402
from tests.support.postgres import start_supabase_like_cluster  # noqa: E402


def timed(fn: Callable[[], object], calls: int) -> float:
    """Median wall time of `calls` runs, in milliseconds."""
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=105_120)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()

    cluster = start_supabase_like_cluster()
    gateway = Gateway(cluster.authenticator_dsn, cluster.dsn).start()
    http = httpx.Client(timeout=30)
    try:
        with cluster.connect() as conn:
            user_id = create_user(conn, "bench@example.test", "bench-password")
            (account_id,) = conn.execute(
                "insert into trading_accounts (user_id, login, server, last_sync_at)"
                " values (%s, 1, 'Bench', now()) returning id::text", [user_id]).fetchone()
            conn.execute(
                "insert into sync_logs (user_id, account_id, sync_type, trigger, status,"
                " started_at, finished_at, duration_ms, positions_updated, deals_inserted)"
                " select %s, %s, case when i %% 288 = 0 then 'full' else 'incremental' end,"
                " 'schedule', case when i %% 50 = 0 then 'failed' else 'success' end,"
                " now() - make_interval(mins => 5 * i), now() - make_interval(mins => 5 * i),"
                " 800 + i %% 400, 2, i %% 3 from generate_series(1, %s) i",
                [user_id, account_id, args.logs])
            conn.execute("analyze sync_logs")

        client = create_client(gateway.url, gateway.anon_key,
                               ClientOptions(httpx_client=http, auto_refresh_token=False))
        client.auth.sign_in_with_password({"email": "bench@example.test",  # type: ignore
                                           "password": "bench-password"})

        def status() -> object:
            return client.rpc("sync_status", {"p_account_id": account_id}).execute()

        request_ids: list[str] = []

        def request() -> object:
            with cluster.connect() as conn:  # past the one-a-minute rule, as the owner
                conn.execute("update sync_requests set status = 'done', requested_at ="
                             " requested_at - interval '2 minutes'")
            answer = client.rpc("request_sync", {"p_account_id": account_id}).execute()
            request_ids.append(answer.data["request_id"])  # type: ignore[index]
            return answer

        status_ms = timed(status, args.calls)
        request_ms = timed(request, args.calls)
        request_status_ms = timed(lambda: client.rpc(
            "sync_request_status", {"p_request_id": request_ids[-1]}).execute(), args.calls)
        with cluster.connect() as conn:
            conn.execute("select set_config('role', 'authenticated', false),"
                         " set_config('request.jwt.claims', %s, false)",
                         [f'{{"role": "authenticated", "sub": "{user_id}"}}'])
            sql_ms = timed(lambda: conn.execute("select public.sync_status(%s)",
                                                [account_id]).fetchone(), args.calls)
    finally:
        http.close()
        gateway.close()
        cluster.destroy()

    print(f"account with {args.logs:,} sync_logs rows; medians of {args.calls} calls")
    print(f"  sync_status over HTTP            {status_ms:7.1f} ms")
    print(f"  sync_status in PostgreSQL alone  {sql_ms:7.1f} ms")
    print(f"  request_sync over HTTP           {request_ms:7.1f} ms (incl. one owner UPDATE)")
    print(f"  sync_request_status over HTTP    {request_status_ms:7.1f} ms")


if __name__ == "__main__":
    main()

"""Benchmark: what the journal's integrity check on open costs (a script, not a test).

    python tests/benchmarks/bench_journal_check.py [--deals 100000]

Fills a journal with a full sync of a synthetic hedging account, closes it,
then times, on the closed file (the OS page cache warm, as at a normal start):
  quick_check   `PRAGMA quick_check` alone (what LocalStore runs on open)
  open          opening LocalStore (quick_check + connect + schema check)
  integrity     `PRAGMA integrity_check`, the thorough form, for comparison
Each figure is the median of five runs.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mt5tray.core.engine import AgentInfo, SyncEngine  # noqa: E402
from mt5tray.core.models import AccountRef, SyncRequest, SyncType, Trigger  # noqa: E402
from mt5tray.store.local import LocalStore  # noqa: E402
from mt5tray.terminal import sim as simulated  # noqa: E402
from mt5tray.terminal.mt5api import Mt5ApiTerminal  # noqa: E402


def median_s(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pragma(path: Path, name: str) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute(f"PRAGMA {name}").fetchall() == [("ok",)]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    args = parser.parse_args()
    sim = simulated.synthetic(deals=args.deals)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "journal.sqlite3"
        store = LocalStore(path)
        engine = SyncEngine(store, lambda: Mt5ApiTerminal(sim), AgentInfo("bench", "bench"),
                            clock=sim.clock.utc)
        result = engine.sync(SyncRequest(AccountRef(None), SyncType.FULL, Trigger.CLI, None))
        assert result.ok, result.error
        store.close()
        size_mb = path.stat().st_size / 1e6
        quick = median_s(lambda: pragma(path, "quick_check"))
        opened = median_s(lambda: LocalStore(path).close())
        thorough = median_s(lambda: pragma(path, "integrity_check"))
    print(f"journal: {args.deals} deals, {result.counts.trades_upserted} trades, "
          f"{size_mb:.1f} MB")
    print(f"quick_check      {quick * 1000:8.1f} ms")
    print(f"open LocalStore  {opened * 1000:8.1f} ms (includes quick_check)")
    print(f"integrity_check  {thorough * 1000:8.1f} ms")


if __name__ == "__main__":
    main()

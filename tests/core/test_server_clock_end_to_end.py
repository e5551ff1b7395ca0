"""Issue 10, done means: a first import, an incremental sync and a full
resync of the same history give identical UTC times on every kind of server
clock, with server_timezone left at auto. Run through
`python -m mt5tray sync --simulate FILE --json`, the simulator serving the
server's H1 bars for detection; the deals sit in the US/EU gap windows of
2026 and the expected UTC hours are server-time.md §6.1's."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.test_cli import run

NOW = 1_795_262_400  # 2026-11-20 12:00 UTC, a Friday: the market is open
# server-time.md §6.1, 2026 rows: server 12:00 on these Wednesdays -> UTC hour.
TABLE = {  # day: {spec: hour}
    "2026-03-04": {"GMT+2/US": 10, "GMT+2/EU": 10, "GMT+1/EU": 11, "GMT+0/US": 12,
                   "GMT+0": 12, "GMT+3": 9},
    "2026-03-11": {"GMT+2/US": 9, "GMT+2/EU": 10, "GMT+1/EU": 11, "GMT+0/US": 11,
                   "GMT+0": 12, "GMT+3": 9},
    "2026-04-01": {"GMT+2/US": 9, "GMT+2/EU": 9, "GMT+1/EU": 10, "GMT+0/US": 11,
                   "GMT+0": 12, "GMT+3": 9},
    "2026-10-28": {"GMT+2/US": 9, "GMT+2/EU": 10, "GMT+1/EU": 11, "GMT+0/US": 11,
                   "GMT+0": 12, "GMT+3": 9},
    "2026-11-04": {"GMT+2/US": 10, "GMT+2/EU": 10, "GMT+1/EU": 11, "GMT+0/US": 12,
                   "GMT+0": 12, "GMT+3": 9},
}
DAYS = list(TABLE)


def server(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def scenario(spec: str, extra: bool = False) -> dict:
    """Deposit, then trades opening and closing at 12:00 server on the table's days."""
    deals = [{"ticket": 1, "time": server("2026-01-05 09:00"), "type": 2, "profit": 10000.0}]
    ticket = 2
    for position, (opened, closed) in enumerate(zip(DAYS, DAYS[1:], strict=False), start=100):
        for entry, day, kind, price in ((0, opened, 0, 1.10), (1, closed, 1, 1.11)):
            deals.append({"ticket": ticket, "order": ticket, "time": server(f"{day} 12:00"),
                          "type": kind, "entry": entry, "position_id": position,
                          "volume": 0.1, "price": price, "symbol": "EURUSD",
                          "profit": 100.0 if entry else 0.0})
            ticket += 1
    if extra:  # the incremental sync finds one more deposit
        deals.append({"ticket": 50, "time": server("2026-11-20 13:00"), "type": 2,
                      "profit": 5.0})
    return {"server_timezone": spec, "now_utc": NOW,
            "account": {"login": 8_100_001, "server": f"Clock-{spec}", "currency": "USD"},
            "symbols": {"EURUSD": {"bid": 1.1, "ask": 1.1001}}, "deals": deals}


def sync(home: Path, tmp: Path, spec: str, *args: str, extra: bool = False) -> dict:
    path = tmp / f"scenario-{len(list(tmp.glob('scenario-*')))}.json"
    path.write_text(json.dumps(scenario(spec, extra)))
    done = run(home, "sync", "--simulate", str(path), "--store",
               f"sqlite:///{tmp / 'journal.db'}", "--json", *args)
    assert done.returncode == 0, done.stderr + done.stdout
    (result,) = json.loads(done.stdout)
    assert result["status"] == "success", result["error"]
    return result


def stored(tmp: Path) -> tuple[dict, dict, dict]:
    conn = sqlite3.connect(tmp / "journal.db")
    conn.row_factory = sqlite3.Row
    deals = {r["ticket"]: (r["time"], r["server_utc_offset_minutes"])
             for r in conn.execute("SELECT * FROM deals")}
    trades = {r["ticket"]: (r["open_time"], r["close_time"])
              for r in conn.execute("SELECT * FROM trades")}
    account = dict(conn.execute("SELECT * FROM trading_accounts").fetchone())
    conn.close()
    return deals, trades, account


@pytest.mark.parametrize("spec", ["ny-close", "GMT+2/EU", "GMT+1/EU", "GMT+0/US", "GMT+0",
                                  "GMT+3"])
def test_first_import_incremental_and_full_resync_agree(tmp_path: Path, spec: str) -> None:
    home = tmp_path / "home"
    canonical = "GMT+2/US" if spec == "ny-close" else spec
    first = sync(home, tmp_path, spec)
    assert first["sync_type"] == "full"
    deals, trades, account = stored(tmp_path)
    assert account["server_timezone"] == canonical
    assert account["server_timezone_source"] == "auto"
    assert json.loads(account["server_timezone_evidence"])["symbol"] == "EURUSD"
    assert account["server_timezone_checked_at"]  # a fresh tick confirmed it
    by_day = {}
    for ticket, (utc, offset) in deals.items():
        if ticket > 1:
            by_day.setdefault(utc[:10], set()).add((utc[11:16], offset))
    for day, hours in TABLE.items():
        hour = hours[canonical]
        assert by_day[day] == {(f"{hour:02d}:00", (12 - hour) * 60)}, (day, by_day[day])

    second = sync(home, tmp_path, spec, extra=True)
    assert second["sync_type"] == "incremental" and second["deals_inserted"] == 1
    deals2, trades2, _ = stored(tmp_path)
    assert {t: deals2[t] for t in deals} == deals and trades2 == trades

    third = sync(home, tmp_path, spec, "--all-history", extra=True)
    assert third["sync_type"] == "full" and third["deals_inserted"] == 0
    deals3, trades3, _ = stored(tmp_path)
    assert deals3 == deals2 and trades3 == trades


def test_the_server_timezone_option_overrides_for_one_run(tmp_path: Path) -> None:
    """--server-timezone: the user's clock wins (and re-stamps), for this run."""
    home = tmp_path / "home"
    sync(home, tmp_path, "ny-close")
    sync(home, tmp_path, "ny-close", "--server-timezone", "GMT+2/EU")
    deals, _, account = stored(tmp_path)
    assert account["server_timezone"] == "GMT+2/EU"
    assert account["server_timezone_source"] == "user"
    spring_gap = next(d for d in deals.values() if d[0].startswith("2026-03-11"))
    assert spring_gap == ("2026-03-11T10:00:00.000+00:00", 120)
    bad = run(home, "sync", "--simulate", "--server-timezone", "Mars/Base", "--json")
    assert bad.returncode != 0 and "ny-close" in bad.stderr and "Traceback" not in bad.stderr

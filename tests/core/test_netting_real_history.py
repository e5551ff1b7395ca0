"""A real netting history (B3 mini-index futures, MetaTrader 5 strategy tester
report, /work/shared/data/mt5-real/b3_netting_tester; third-party data, see
its ORIGIN.md) through the real adapter over the simulator: every round trip
of 3 contracts closed in partial exits becomes one closed trade whose side,
volumes and profit match the report, and the journal sums to the report's
final balance (the balance check has nothing to say)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.models import AccountRef, SyncRequest, SyncStatus, SyncType, Trigger
from mt5tray.store.local import LocalStore
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal

REPORT = Path("/work/shared/data/mt5-real/b3_netting_tester/History_Results.md")
TYPES = {"buy": 0, "sell": 1, "balance": 2}
ENTRIES = {"in": 0, "out": 1, "in/out": 2}


def number(text: str) -> float:
    return float(text.replace("\xa0", "").replace(" ", "") or 0)


def report_deals() -> list[list[str]]:
    """The report's deals table: time, deal, symbol, type, direction, volume,
    price, order, commission, swap, profit, balance, comment."""
    page = REPORT.read_text(encoding="utf-8", errors="replace")
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = [html.unescape(re.sub("<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) == 13 and re.match(r"\d{4}\.\d\d\.\d\d ", cells[0]):
            rows.append(cells)
    return rows


def netting_scenario(rows: list[list[str]]) -> dict:
    """The report as a netting scenario: a position id is the order that
    opened it from flat, and lasts until the net volume is flat again."""
    deals, net, position_id = [], 0.0, 0
    for when, ticket, symbol, kind, direction, volume, price, order, commission, swap, \
            profit, _, comment in rows:
        server = datetime.strptime(when, "%Y.%m.%d %H:%M:%S").replace(tzinfo=timezone.utc)
        deal = {"ticket": int(ticket), "time": int(server.timestamp()), "type": TYPES[kind],
                "commission": number(commission), "swap": number(swap),
                "profit": number(profit), "comment": comment}
        if kind != "balance":
            if abs(net) < 1e-9:
                position_id = int(order)
            signed = number(volume) if kind == "buy" else -number(volume)
            net += signed
            deal.update(order=int(order), entry=ENTRIES[direction], position_id=position_id,
                        volume=number(volume), price=number(price), symbol=symbol)
        deals.append(deal)
    final_balance = number(rows[-1][11])
    return {"account": {"login": 1, "server": "Rico-Demo (tester)", "currency": "BRL",
                        "margin_mode": 0, "balance": final_balance, "name": "B3 tester"},
            "now_utc": deals[-1]["time"] + 86_400, "deals": deals}


@pytest.mark.skipif(not REPORT.exists(), reason="the shared real-data folder is not here")
def test_a_real_b3_netting_history_builds_one_trade_per_round_trip(tmp_path):
    rows = report_deals()
    assert len(rows) == 38
    sim = simulated.from_scenario(netting_scenario(rows))
    store = LocalStore(tmp_path / "journal.sqlite3")
    try:
        engine = SyncEngine(store, lambda: Mt5ApiTerminal(sim, retry_delay_s=0),
                            AgentInfo("test", "host"), clock=sim.clock.utc)
        result = engine.sync(SyncRequest(AccountRef(login=1), SyncType.FULL, Trigger.CLI, None))
        assert result.status is SyncStatus.SUCCESS, result.error
        assert result.balance_difference == 0.0  # the journal sums to 10,202.00 BRL
        trades = [dict(r) for r in store.query("SELECT * FROM trades ORDER BY open_time")]
    finally:
        store.close()
    assert len(trades) == 11 and all(t["status"] == "closed" for t in trades)
    assert all(t["volume"] == 3.0 == t["closed_volume"] for t in trades)
    opening = [r for r in rows if r[4] == "in"]
    assert [t["side"] for t in trades] == [r[3] for r in opening]
    assert [t["open_price"] for t in trades] == [number(r[6]) for r in opening]
    by_position: dict[int, float] = {}
    for deal in netting_scenario(rows)["deals"]:
        if deal.get("position_id"):
            by_position[deal["position_id"]] = by_position.get(deal["position_id"], 0.0) + \
                deal["profit"]
    assert {t["ticket"]: t["profit"] for t in trades} == pytest.approx(by_position)
    assert sum(t["net_profit"] for t in trades) == pytest.approx(202.0)  # the report's total

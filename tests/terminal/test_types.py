"""The fake result types and constants match the real MetaTrader5 wheel."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mt5tray.core.models import TerminalDeal, TerminalPosition
from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.simulator import SimulatedMT5

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "mt5_fields.json"
# CI clones the repo with shared/ beside it: <repo>/../shared/docs/mt5-api.md
SHARED_DOC = HERE.parents[2] / "shared" / "docs" / "mt5-api.md"
TYPES = ["AccountInfo", "TerminalInfo", "TradePosition", "TradeOrder", "TradeDeal", "Tick"]


def parse_doc_fields(text: str) -> dict[str, list[str]]:
    """'name kind' lists of section 2 of mt5-api.md, checked against the counts."""
    section = text[text.index("## 2. Result types"):text.index("## 3. Constants")]
    found = {}
    for name in TYPES:
        m = re.search(r"\*\*" + name + r" \((\d+)\)\*\*.*?```\n(.*?)```", section, re.S)
        assert m, f"{name} not found in the doc"
        pairs = [" ".join(p.split()) for p in m.group(2).replace("\n", " ").split(",")]
        assert len(pairs) == int(m.group(1)), name
        found[name] = pairs
    return found


def ours(name: str) -> list[str]:
    kinds = {"u": "u", "i": "i", "f": "f", "s": "s", "b": "b"}
    return [f"{f} {kinds[k]}" for f, k in zip(t.TYPES[name]._fields, t.FIELD_KINDS[name],
                                               strict=True)]


def strip_width(pairs: list[str]) -> list[str]:
    return [p.split()[0] + " " + p.split()[1][0] for p in pairs]


@pytest.mark.parametrize("name", TYPES)
def test_fields_match_the_fixture(name: str) -> None:
    reference = json.loads(FIXTURE.read_text())[name]
    assert ours(name) == strip_width(reference)


@pytest.mark.skipif(not SHARED_DOC.exists(), reason="shared/docs/mt5-api.md is not beside the repo")
@pytest.mark.parametrize("name", TYPES)
def test_fields_match_the_shared_doc(name: str) -> None:
    assert ours(name) == strip_width(parse_doc_fields(SHARED_DOC.read_text())[name])


@pytest.mark.skipif(not SHARED_DOC.exists(), reason="shared/docs/mt5-api.md is not beside the repo")
def test_fixture_is_a_faithful_copy_of_the_doc() -> None:
    reference = json.loads(FIXTURE.read_text())
    assert parse_doc_fields(SHARED_DOC.read_text()) == {n: reference[n] for n in TYPES}


def test_counts_and_symbol_info() -> None:
    counts = {n: len(t.TYPES[n]._fields) for n in TYPES}
    assert counts == {"AccountInfo": 28, "TerminalInfo": 22, "TradePosition": 19,
                      "TradeOrder": 24, "TradeDeal": 18, "Tick": 8}
    assert len(t.SymbolInfo._fields) == 96
    assert t.TradeDeal._fields[14] == "fee"
    assert "sl" not in t.TradeDeal._fields


def test_core_records_mirror_the_types() -> None:
    deal = t.TradeDeal(*range(18))
    assert TerminalDeal(*deal).fee == deal.fee
    assert list(TerminalDeal._fields) == list(t.TradeDeal._fields)
    assert list(TerminalPosition._fields) == list(t.TradePosition._fields)


def test_results_support_asdict_like_the_wheel() -> None:
    deal = t.TradeDeal(**t.empty_record("TradeDeal"))
    assert list(deal._asdict()) == list(t.TradeDeal._fields)


@pytest.mark.parametrize(("name", "value"), [
    ("DEAL_TYPE_BUY", 0), ("DEAL_TYPE_BALANCE", 2), ("DEAL_TYPE_COMMISSION", 7),
    ("DEAL_TYPE_SELL_CANCELED", 14), ("DEAL_DIVIDEND", 15), ("DEAL_DIVIDEND_FRANKED", 16),
    ("DEAL_TAX", 17), ("DEAL_ENTRY_INOUT", 2), ("DEAL_ENTRY_OUT_BY", 3),
    ("DEAL_REASON_ROLLOVER", 7), ("DEAL_REASON_SPLIT", 9), ("POSITION_TYPE_SELL", 1),
    ("ORDER_TYPE_CLOSE_BY", 8), ("ORDER_STATE_FILLED", 4), ("ORDER_STATE_REQUEST_CANCEL", 9),
    ("ACCOUNT_TRADE_MODE_REAL", 2), ("ACCOUNT_MARGIN_MODE_RETAIL_NETTING", 0),
    ("ACCOUNT_MARGIN_MODE_RETAIL_HEDGING", 2), ("RES_S_OK", 1), ("RES_E_AUTH_FAILED", -6),
    ("RES_E_INTERNAL_FAIL_INIT", -10003), ("RES_E_INTERNAL_FAIL_CONNECT", -10004),
    ("RES_E_INTERNAL_FAIL_TIMEOUT", -10005), ("TICK_FLAG_BID", 2), ("TICK_FLAG_SELL", 0x40),
])
def test_constants(name: str, value: int) -> None:
    assert getattr(t, name) == value
    assert getattr(SimulatedMT5, name) == value  # an instance passes for the module


def test_no_deal_type_prefix_for_dividends_and_no_corporate_action() -> None:
    assert not hasattr(t, "DEAL_TYPE_DIVIDEND")
    assert not hasattr(t, "DEAL_REASON_CORPORATE_ACTION")
    assert SimulatedMT5.TradeDeal is t.TradeDeal

"""Scenario files: JSON that fills a SimulatedMT5, validated with clear errors.

Format (every key but "account" optional):
    {"server_timezone": "ny-close",     # the server's clock rule (core/server_clock.py);
     "server_utc_offset_minutes": 120,  # or a fixed offset (used when no server_timezone)
     "now_utc": 1790000000,            # freezes the clock (real UTC seconds)
     "bars_from_utc": 1780000000,      # no price bars before this (a young terminal)
     "account": {AccountInfo fields}, "password": "secret",
     "positions": [TradePosition fields], "orders": [TradeOrder fields (active)],
     "history_orders": [TradeOrder fields], "deals": [TradeDeal fields],
     "symbols": {"EURUSD": {"bid": 1.1, "ask": 1.1002, "stale_seconds": 0}},
     "other_accounts": [{"account": ..., "deals": ..., ...}],
     "terminal_path": ..., "terminal_running": true, "terminal_login": LOGIN,
     "mode": "attach", "owns_terminal": false}   # see terminals.py
    or several terminals on one PC: {"terminals": [{...one terminal...}, ...]}
    (terminals.py).
Times are as MT5 reports them (server clock; seconds, `*_msc` milliseconds);
given one of time/time_msc the other is derived. Missing fields are zero or
empty, except: a position's identifier defaults to its ticket; a position
without price_current/profit is priced from the symbol table; the account's
balance/credit default to the sum of its deals; history orders default to
one filled order per traded order ticket. Problems raise ScenarioError
naming the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mt5tray.core.server_clock import ServerClockError, parse_clock
from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.book import Position, SymbolSpec
from mt5tray.terminal.sim.broker import Broker
from mt5tray.terminal.sim.simulator import SimulatedMT5
from mt5tray.terminal.sim.terminals import TERMINAL_KEYS, apply_terminal_keys, load_machine

BLOCK_KEYS = {"account", "password", "positions", "orders", "history_orders", "deals", "symbols"}
TOP_KEYS = BLOCK_KEYS | {"server_utc_offset_minutes", "server_timezone", "now_utc",
                         "bars_from_utc", "other_accounts",
                         "terminal_path", "description"}
TOP_KEYS |= TERMINAL_KEYS  # issue 9: the terminal process and the sync set-up
SYMBOL_KEYS = {"bid": "f", "ask": "f", "last": "f", "contract_size": "f", "digits": "u",
               "stale_seconds": "f", "selected": "b"}
PINNABLE = {"profit", "equity", "margin", "margin_free", "margin_level"}
TIME_PAIRS = {
    "TradeDeal": [("time", "time_msc")],
    "TradePosition": [("time", "time_msc"), ("time_update", "time_update_msc")],
    "TradeOrder": [("time_setup", "time_setup_msc"), ("time_done", "time_done_msc")],
}


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the file and field."""


class _Checker:
    """Validates parts of one scenario and words errors the same way."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, where: str, problem: str) -> ScenarioError:
        return ScenarioError(f"scenario {self.label}: {where or 'top level'}: {problem}")

    def value(self, raw: Any, kind: str, where: str) -> Any:
        if kind in "ui":
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise self.fail(where, f"expected an integer, got {raw!r}")
            if kind == "u" and raw < 0:
                raise self.fail(where, f"expected a non-negative integer, got {raw!r}")
            return raw
        if kind == "f":
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise self.fail(where, f"expected a number, got {raw!r}")
            return float(raw)
        if kind == "s":
            if not isinstance(raw, str):
                raise self.fail(where, f"expected a string, got {raw!r}")
            return raw
        if not isinstance(raw, bool):
            raise self.fail(where, f"expected true or false, got {raw!r}")
        return raw

    def obj(self, raw: Any, where: str, allowed: set[str] | tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, f"expected an object, got {type(raw).__name__}")
        for key in raw:
            if key not in allowed:
                raise self.fail(f"{where}.{key}" if where else key, "unknown field")
        return raw

    def record(self, type_name: str, raw: Any, where: str) -> dict[str, Any]:
        """One result-type record: every field checked, the others zero."""
        fields = t.TYPES[type_name]._fields
        raw = self.obj(raw, where, fields)
        rec = t.empty_record(type_name)
        for name, kind in zip(fields, t.FIELD_KINDS[type_name], strict=True):
            if name in raw:
                rec[name] = self.value(raw[name], kind, f"{where}.{name}")
        for sec, msc in TIME_PAIRS.get(type_name, []):
            if sec in raw and msc in raw and raw[sec] != raw[msc] // 1000:
                raise self.fail(f"{where}.{sec}", f"{raw[sec]} does not match {msc} "
                                f"{raw[msc]} (expected {raw[msc] // 1000})")
            if msc in raw:
                rec[sec] = raw[msc] // 1000
            elif sec in raw:
                rec[msc] = raw[sec] * 1000
        return rec

    def records(self, type_name: str, raw: Any, where: str) -> list[dict[str, Any]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise self.fail(where, f"expected a list, got {type(raw).__name__}")
        recs = [self.record(type_name, item, f"{where}[{i}]") for i, item in enumerate(raw)]
        seen: set[int] = set()
        for i, rec in enumerate(recs):
            if not rec["ticket"]:
                raise self.fail(f"{where}[{i}].ticket", "required (a positive integer)")
            if rec["ticket"] in seen:
                raise self.fail(f"{where}[{i}].ticket", f"duplicate ticket {rec['ticket']}")
            seen.add(rec["ticket"])
        return recs

    def symbols(self, raw: Any, where: str) -> dict[str, SymbolSpec]:
        specs = {}
        for name, entry in self.obj(raw or {}, where, tuple(raw or ())).items():
            entry = self.obj(entry, f"{where}.{name}", tuple(SYMBOL_KEYS))
            values = {k: self.value(v, SYMBOL_KEYS[k], f"{where}.{name}.{k}")
                      for k, v in entry.items()}
            for required in ("bid", "ask"):
                if required not in values:
                    raise self.fail(f"{where}.{name}.{required}", "required")
            specs[name] = SymbolSpec(**values)
        return specs


def load_scenario(source: str | Path | dict[str, Any],
                  clock: Callable[[], float] | None = None,
                  label: str | None = None) -> Any:
    """A SimulatedMT5, or a SimulatedMachine for a scenario with "terminals"."""
    data, read_label = _read(source)
    label = label or read_label
    check = _Checker(label)
    if isinstance(data, dict) and "terminals" in data:
        return load_machine(data, label, check, load_scenario, clock)
    check.obj(data, "", tuple(TOP_KEYS))
    offset = check.value(data.get("server_utc_offset_minutes", 0), "i",
                         "server_utc_offset_minutes")
    zone = None
    if "server_timezone" in data:
        zone = check.value(data["server_timezone"], "s", "server_timezone")
        try:
            parse_clock(zone)
        except ServerClockError as exc:
            raise check.fail("server_timezone", str(exc)) from None
    if clock is None and "now_utc" in data:
        frozen = check.value(data["now_utc"], "f", "now_utc")
        clock = lambda: frozen  # noqa: E731
    sim = SimulatedMT5(server_utc_offset_minutes=offset, clock=clock, server_timezone=zone)
    if "terminal_path" in data:
        sim.terminal_path = check.value(data["terminal_path"], "s", "terminal_path")
    if "bars_from_utc" in data:  # a young terminal: no price history before this (UTC s)
        sim.bars_from_utc = check.value(data["bars_from_utc"], "f", "bars_from_utc")
    primary = sim.attach(_block(check, data, "", sim, None))
    others = data.get("other_accounts") or []
    if not isinstance(others, list):
        raise check.fail("other_accounts", "expected a list")
    for i, block in enumerate(others):
        where = f"other_accounts[{i}]"
        check.obj(block, where, tuple(BLOCK_KEYS))
        broker = _block(check, block, f"{where}.", sim, sim.broker.symbols)
        if broker.login in sim.accounts:
            raise check.fail(f"{where}.account.login", f"duplicate login {broker.login}")
        sim.attach(broker)
    apply_terminal_keys(check, data, sim, primary)
    return sim


def _read(source: str | Path | dict[str, Any]) -> tuple[Any, str]:
    if isinstance(source, dict):
        return source, "<dict>"
    try:
        return json.loads(Path(source).read_text(encoding="utf-8")), str(source)
    except OSError as e:
        raise ScenarioError(f"scenario {source}: cannot read the file ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise ScenarioError(f"scenario {source}: line {e.lineno} column {e.colno}: "
                            f"invalid JSON ({e.msg})") from None


def _block(check: _Checker, data: dict[str, Any], prefix: str, sim: SimulatedMT5,
           default_symbols: dict[str, SymbolSpec] | None) -> Broker:
    """One account's part of a scenario, as a Broker."""
    if "account" not in data:
        raise check.fail(f"{prefix}account", "required")
    account = check.record("AccountInfo", data["account"], f"{prefix}account")
    if not account["login"]:
        raise check.fail(f"{prefix}account.login", "required (a positive integer)")
    password = data.get("password")
    if password is not None:
        check.value(password, "s", f"{prefix}password")
    symbols = (check.symbols(data["symbols"], f"{prefix}symbols") if "symbols" in data
               else dict(default_symbols or {}))
    deals = [t.TradeDeal(**d)
             for d in check.records("TradeDeal", data.get("deals"), f"{prefix}deals")]
    given = set(data["account"])
    if "balance" not in given:
        account["balance"] = round(sum(_money(d) for d in deals if d.type != t.DEAL_TYPE_CREDIT), 2)
    if "credit" not in given:
        account["credit"] = round(sum(_money(d) for d in deals if d.type == t.DEAL_TYPE_CREDIT), 2)
    broker = Broker(account, sim.clock, symbols, password)
    for deal in sorted(deals, key=lambda d: (d.time_msc, d.ticket)):
        broker.deals.add(deal)
    broker.pinned = given & PINNABLE
    positions = check.records("TradePosition", data.get("positions"), f"{prefix}positions")
    for raw, rec in zip(data.get("positions") or [], positions, strict=True):
        pos = _position(rec, raw)
        broker.positions[pos.identifier] = pos
    broker.orders = [t.TradeOrder(**o)
                     for o in check.records("TradeOrder", data.get("orders"), f"{prefix}orders")]
    if "history_orders" in data:
        history = [t.TradeOrder(**o) for o in
                   check.records("TradeOrder", data["history_orders"], f"{prefix}history_orders")]
    else:
        history = derive_history_orders(deals)
    for order in sorted(history, key=lambda o: (o.time_setup_msc, o.ticket)):
        broker.history_orders.add(order)
    broker.renumber_from(
        [*(o.ticket for o in history), *(o.ticket for o in broker.orders),
         *(p.ticket for p in broker.positions.values()), *(d.order for d in deals)],
        [d.ticket for d in deals])
    return broker


def _position(rec: dict[str, Any], raw: dict[str, Any]) -> Position:
    fixed = "price_current" in raw or "profit" in raw
    return Position(
        rec["ticket"], rec["identifier"] or rec["ticket"], rec["symbol"], rec["type"],
        rec["volume"], rec["price_open"], rec["time_msc"],
        rec["time_update_msc"] if ("time_update" in raw or "time_update_msc" in raw)
        else rec["time_msc"],
        rec["magic"], rec["reason"], rec["sl"], rec["tp"], rec["swap"], rec["comment"],
        rec["external_id"], rec["price_current"] if fixed else None,
        rec["profit"] if fixed else None)


def _money(deal: Any) -> float:
    return float(deal.profit + deal.commission + deal.swap + deal.fee)


def derive_history_orders(deals: list[Any]) -> list[Any]:
    """One filled order per traded order ticket (close-by pairs share a CLOSE_BY order)."""
    by_order: dict[int, list[Any]] = {}
    for deal in deals:
        if deal.order:
            by_order.setdefault(deal.order, []).append(deal)
    orders = []
    for ticket, group in by_order.items():
        d = group[0]
        close_by = d.entry == t.DEAL_ENTRY_OUT_BY
        by_id = next((x.position_id for x in group[1:]), 0) if close_by else 0
        orders.append(t.TradeOrder(
            ticket, d.time, d.time_msc, d.time, d.time_msc, 0,
            t.ORDER_TYPE_CLOSE_BY if close_by else d.type, t.ORDER_TIME_GTC,
            t.ORDER_FILLING_FOK, t.ORDER_STATE_FILLED, d.magic, d.position_id, by_id,
            d.reason if d.reason <= t.ORDER_REASON_SO else t.ORDER_REASON_CLIENT, d.volume,
            0.0, d.price, 0.0, 0.0, d.price, 0.0, d.symbol, d.comment, d.external_id))
    return orders

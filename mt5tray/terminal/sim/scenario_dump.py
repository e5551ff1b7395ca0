"""Write a simulator's accounts back out as a scenario (the format scenario.py
loads): how the example scenarios under tests/scenarios/ were made.

Zero and empty fields are left out (the loader restores them), and each
record sits on one line so the files read and diff well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mt5tray.terminal.sim.broker import Broker
from mt5tray.terminal.sim.simulator import SimulatedMT5

# Fields written even when zero, so a reader sees what kind of record it is.
ALWAYS = {"ticket", "type", "entry", "time", "time_msc", "time_setup", "time_setup_msc",
          "state", "login", "balance", "margin_mode", "volume"}


def _compact(record: Any) -> dict[str, Any]:
    return {k: v for k, v in record._asdict().items() if v or k in ALWAYS}


def account_block(broker: Broker) -> dict[str, Any]:
    """One account as a scenario block (positions frozen at their current marks)."""
    block: dict[str, Any] = {"account": broker.account_tuple()._asdict()}
    if broker.password is not None:
        block["password"] = broker.password
    block["symbols"] = {
        name: {k: v for k, v in vars(spec).items() if v or k in ("bid", "ask")}
        for name, spec in broker.symbols.items()
    }
    block["positions"] = [_compact(p) for p in broker.position_tuples()]
    block["orders"] = [_compact(o) for o in broker.orders]
    block["history_orders"] = [_compact(o) for o in broker.history_orders.records]
    block["deals"] = [_compact(d) for d in broker.deals.records]
    return block


def dump_scenario(sim: SimulatedMT5, description: str = "",
                  now_utc: float | None = None) -> dict[str, Any]:
    """The simulator as a scenario dict; the logged-in account comes first.
    `now_utc` freezes the loaded simulator's clock at that moment."""
    data: dict[str, Any] = {}
    if description:
        data["description"] = description
    data["server_timezone"] = sim.clock.rule.spec
    if now_utc is not None:
        data["now_utc"] = now_utc
    data.update(account_block(sim.broker))
    others = [b for login, b in sim.accounts.items() if login != sim.broker.login]
    if others:
        data["other_accounts"] = [account_block(b) for b in others]
    return data


def _lines(value: Any, indent: str) -> str:
    """JSON with one record per line inside lists and small objects inline."""
    if isinstance(value, list) and value:
        inner = ",\n".join(indent + "  " + json.dumps(v) for v in value)
        return "[\n" + inner + "\n" + indent + "]"
    if isinstance(value, dict) and any(isinstance(v, (list, dict)) for v in value.values()):
        inner = ",\n".join(f"{indent}  {json.dumps(k)}: {_lines(v, indent + '  ')}"
                           for k, v in value.items())
        return "{\n" + inner + "\n" + indent + "}"
    return json.dumps(value)


def save_scenario(sim: SimulatedMT5, path: str | Path, description: str = "",
                  now_utc: float | None = None) -> None:
    text = _lines(dump_scenario(sim, description, now_utc), "")
    Path(path).write_text(text + "\n", encoding="utf-8")

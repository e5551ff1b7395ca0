"""Building a Supabase-mode mt5tray for integration tests: through bootstrap,
on the simulated terminal, signed in against the test gateway."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from mt5tray.bootstrap import App, Simulation, build_app
from mt5tray.paths import AppPaths
from mt5tray.store.supabase.agent import SupabaseAgent

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hedging_basic.json"


def write_settings(home: Path, url: str, key: str, **supabase: Any) -> AppPaths:
    paths = AppPaths(home / "config", home / "data", home / "logs")
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    settings = {"store": "supabase",
                "supabase": {"url": url, "publishable_key": key, **supabase}}
    paths.settings_file.write_text(json.dumps(settings), encoding="utf-8")
    return paths


def supabase_app(home: Path, gateway: Any, user: Any = None, key: str | None = None,
                 scenario: Path | None = SCENARIO, **supabase: Any) -> App:
    """A Supabase-mode App (signed in as `user` when given), fast retries."""
    paths = write_settings(home, gateway.url, key or gateway.anon_key, **supabase)
    app = build_app(Simulation(scenario), "supabase", paths=paths)
    assert app.remote is not None
    app.remote.flusher.backoff_s = 0.01
    if user is not None:
        app.remote.session.sign_in(user.email, user.password)
    return app


def agent(app: App) -> SupabaseAgent:
    assert app.remote is not None
    return app.remote


_TIME_COLUMNS = {"time", "open_time", "close_time", "started_at", "finished_at", "synced_at",
                 "last_sync_at", "last_successful_sync_at", "agent_last_seen_at"}


def normalize(column: str, value: Any) -> Any:
    """Local (SQLite) and remote (PostgreSQL) values in one comparable form."""
    if value is None:
        return None
    if column in _TIME_COLUMNS:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value.normalize() if value != 0 else Decimal(0)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value if not hasattr(value, "hex") else str(value)  # UUID -> str


def comparable(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = {}
        for c in columns:
            v = normalize(c, row[c])
            item[c] = v.normalize() if isinstance(v, Decimal) and v != 0 else v
        out.append(item)
    return out

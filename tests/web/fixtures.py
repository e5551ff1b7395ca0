"""Fixtures of the dashboard's browser tests: Chromium (or why not), the
artifacts folder, and a trader's PC whose real agent serves Sync Now.

In CI (CI=true) a missing Chromium FAILS the run, since tests/run.sh installs
it; locally the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mt5tray.core.models import AccountRef, SyncType, Trigger
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from tests.integration.agent_setup import agent, supabase_app
from tests.support.browser import chromium_missing

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HISTORY_DEALS = 600
AGENT_POLL_S = 1.0  # the test agent's round (serve-requests' --interval; 60 s by default)


@pytest.fixture(scope="module")
def chromium() -> None:
    reason = chromium_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"the dashboard's browser test cannot run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture
def artifacts() -> Path:
    path = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class TraderPc:
    """A trader's PC: mt5tray signed in, its account synced, serving requests."""

    user: Any
    app: Any
    terminal: simulated.SimulatedMT5
    account_id: str


@pytest.fixture
def trader_pc(tmp_path, pg, gateway, make_user, memory_keyring) -> Iterator[TraderPc]:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    # A synthetic hedging history over ~75 days (one deal every 3 hours) gives the
    # curve and the tables something to show; the engine reads it through the
    # real adapter, as it would the MetaTrader5 package.
    terminal = simulated.synthetic(deals=HISTORY_DEALS, spacing=3 * 3600.0)
    app.engine.terminal_factory = lambda: Mt5ApiTerminal(terminal)
    stop = threading.Event()

    def serve_requests() -> None:  # the loop of `mt5tray serve-requests`
        while not stop.is_set():
            agent(app).tick(app.service)
            stop.wait(AGENT_POLL_S)

    thread = threading.Thread(target=serve_requests, name="serve-requests", daemon=True)
    try:
        result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert result.ok, result
        with pg.connect() as conn:
            (account_id,) = conn.execute("select id::text from trading_accounts where user_id = %s",
                                         [user.id]).fetchone() or ("",)
        agent(app).tick(app.service)  # its first round (heartbeat) before the page looks
        thread.start()
        yield TraderPc(user, app, terminal, account_id)
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(30)
        app.close()

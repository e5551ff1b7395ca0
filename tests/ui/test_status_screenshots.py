"""Screenshots of the status window (issue 11), saved as test artifacts:
one account, three accounts (one terminal closed), the warning state with
its cause. Each also checks what the picture must show."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mt5tray.bootstrap import Simulation, build_app
from tests.ui.conftest import REPO

THREE = REPO / "tests" / "scenarios" / "three_terminals.json"


def artifacts() -> Path:
    path = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def running(scenario: Path | None, autostart: Any) -> Any:
    """A started TrayShell on `scenario` (None: the live demo), stopped afterwards."""
    from mt5tray.ui.app import TrayShell

    app = build_app(Simulation(scenario))
    shell = TrayShell(app, autostart=autostart, startup_delay_s=3600)
    shell.start()
    yield shell
    shell.stop()
    shell._status and shell._status.close()
    shell.app.close()


@pytest.fixture
def demo(home: Path, autostart: Any, qtbot: Any) -> Any:
    yield from running(None, autostart)


@pytest.fixture
def three(home: Path, autostart: Any, qtbot: Any) -> Any:
    yield from running(THREE, autostart)


def sync_and_show(shell: Any, qtbot: Any, accounts: int) -> Any:
    shell.runtime.grace_s = 0
    shell.show_status()
    window = shell._status
    window.resize(1000, 600 if accounts == 1 else 1260)
    shell.runtime.sync_now()
    qtbot.waitUntil(lambda: len(window.cards) == accounts and all(
        c.last_sync.text() != "Not synced yet" for c in window.cards)
        and not shell.publisher.latest.busy, timeout=20_000)
    qtbot.wait(300)
    return window


def test_screenshot_one_account(demo: Any, qtbot: Any) -> None:
    window = sync_and_show(demo, qtbot, 1)
    card = window.cards[0]
    assert card.positions.rowCount() > 0 and card.values["Balance"].text().endswith(" USD")
    assert card.strip.marks and not window.error.isVisible()
    window.grab().save(str(artifacts() / "status-one-account.png"))
    demo.tray.about_to_show()
    menu = demo.tray.menu
    menu.adjustSize()
    assert menu.actions()[0].text() == "Up to date · synced just now"
    menu.grab().save(str(artifacts() / "tray-menu.png"))


def test_screenshot_three_accounts_one_closed(three: Any, qtbot: Any) -> None:
    window = sync_and_show(three, qtbot, 3)
    titles = [c.title.text() for c in window.cards]
    assert any("7001@FirmA-Live" in t for t in titles)
    assert window.error.isVisible() and "not running" in window.error.text()
    window.grab().save(str(artifacts() / "status-three-accounts.png"))


def test_warning_names_its_cause_in_tooltip_and_window(demo: Any, qtbot: Any) -> None:
    """The rows-waiting warning says why (C8); the hooks stand in for a Supabase
    session that is configured but not signed in."""
    demo.hooks = replace(demo.hooks, pending_uploads=lambda: 6278)
    demo.upload_cause = lambda: "not signed in to Supabase"
    settings = demo.app.settings
    demo.app.settings = settings.model_copy(update={"supabase": settings.supabase.model_copy(
        update={"url": "https://example.supabase.co"})})
    window = sync_and_show(demo, qtbot, 1)
    demo.publisher.poke()
    cause = "6,278 rows waiting to upload: not signed in to Supabase"
    qtbot.waitUntil(lambda: cause in demo.tray.icon.toolTip(), timeout=5000)
    qtbot.waitUntil(lambda: cause in window.headline.text(), timeout=5000)
    assert "not signed in" in window.supabase.text()
    assert not window.error.isVisible()  # said once, on top, not again in a box (P2)
    assert demo.tray.state == "warning"
    assert demo.tray.status_action.text().startswith("Needs attention · synced")
    window.grab().save(str(artifacts() / "status-warning.png"))

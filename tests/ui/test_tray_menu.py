"""The tray menu drives the service: Sync Now, Full Resync, Pause, rate limit,
start at login; and the icon follows what happened."""

from __future__ import annotations

from typing import Any

import pytest

from mt5tray.autostart import AutostartStatus, WindowsRunKey
from mt5tray.bootstrap import load_settings
from mt5tray.core.models import SyncStatus, SyncType, Trigger
from tests.test_autostart import COMMAND, FakeRegistry
from tests.ui.conftest import slow_down


def last(shell: Any):
    refs = shell.runtime.accounts()
    return shell.runtime.service.last_result(refs[0])


def test_sync_now_reaches_the_service_and_notifies_counts(shell: Any, qtbot: Any) -> None:
    shell.tray.sync_action.trigger()
    qtbot.waitUntil(lambda: shell.tray.last_notice is not None, timeout=10_000)
    result = last(shell)
    assert result.trigger is Trigger.MANUAL and result.status is SyncStatus.SUCCESS
    # the scenario's first sync imports its history (later ones say "synced")
    assert shell.tray.last_notice.title == f"{result.login}@{result.server} imported"
    assert shell.tray.last_notice.message.startswith(
        f"imported {result.counts.deals_inserted} deals")
    assert shell.tray.state == "ok"


def test_second_sync_now_within_a_minute_says_how_long_to_wait(shell: Any, qtbot: Any) -> None:
    shell.tray.sync_action.trigger()
    qtbot.waitUntil(lambda: last(shell) is not None, timeout=10_000)
    # C13: during the cool-down the menu's Sync Now is disabled (from the snapshot) ...
    qtbot.waitUntil(lambda: not shell.tray.sync_action.isEnabled(), timeout=5000)
    shell.tray.sync_now(None)  # ... and a request that still comes in says how long to wait
    qtbot.waitUntil(lambda: "try again in" in (shell.tray.last_notice.message
                                               if shell.tray.last_notice else ""), timeout=5000)
    assert "s." in shell.tray.last_notice.message


def test_full_resync_asks_for_days(shell: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mt5tray.ui import tray as tray_module

    monkeypatch.setattr(tray_module, "ask_full_resync", lambda *a, **k: (True, None))
    shell.tray.full_action.trigger()
    qtbot.waitUntil(lambda: last(shell) is not None, timeout=10_000)
    assert last(shell).sync_type is SyncType.FULL


def test_sync_now_is_disabled_and_reads_syncing_while_busy(shell: Any, qtbot: Any) -> None:
    slow_down(shell.app, 1.0)
    shell.runtime.service.cooldown_s = 0  # no Sync Now cool-down after it (C13 disables it)
    shell.tray.sync_action.trigger()
    qtbot.waitUntil(lambda: shell.tray.sync_action.text() == "Syncing…", timeout=5000)
    assert not shell.tray.sync_action.isEnabled()
    assert shell.tray.state == "syncing"
    qtbot.waitUntil(lambda: shell.tray.sync_action.isEnabled(), timeout=10_000)
    assert shell.tray.sync_action.text() == "Sync Now"


def test_pause_and_resume(shell: Any, qtbot: Any) -> None:
    shell.tray.pause_action.trigger()
    assert shell.runtime.paused
    qtbot.waitUntil(lambda: shell.tray.state == "paused", timeout=2000)
    assert shell.runtime.next_sync_at() is None
    qtbot.waitUntil(lambda: shell.tray.pause_action.text() == "Resume automatic sync",
                    timeout=2000)
    shell.tray.pause_action.trigger()
    assert not shell.runtime.paused
    assert shell.runtime.next_sync_at() is not None


def test_start_at_login_reads_the_real_state_each_time(shell: Any) -> None:
    shell.tray.about_to_show()
    assert not shell.tray.autostart_action.isChecked()
    shell.tray.autostart_action.trigger()  # checks it -> enable()
    assert shell.autostart.is_enabled().enabled
    _, saved = load_settings(shell.app.paths)  # the settings dialog will show it on
    assert saved.start_at_login and shell.app.settings.start_at_login
    shell.autostart.disable()  # changed outside the app
    shell.tray.about_to_show()
    assert not shell.tray.autostart_action.isChecked()


def test_start_at_login_disabled_by_user_is_explained(shell: Any) -> None:
    from mt5tray.autostart.windows import APPROVED_KEY, VALUE_NAME

    registry = FakeRegistry()
    run_key = WindowsRunKey(registry, command=COMMAND)
    run_key.enable()
    registry.values[(APPROVED_KEY, VALUE_NAME)] = bytes([0x03]) + bytes(11)
    assert run_key.is_enabled().status is AutostartStatus.DISABLED_BY_USER
    shell.tray.autostart = run_key
    shell.tray.about_to_show()
    action = shell.tray.autostart_action
    assert not action.isEnabled() and not action.isChecked()
    assert "Task Manager" in action.toolTip()


def test_header_names_the_account_after_a_sync(shell: Any, qtbot: Any) -> None:
    shell.tray.sync_action.trigger()
    qtbot.waitUntil(lambda: last(shell) is not None, timeout=10_000)
    shell.tray.about_to_show()
    result = last(shell)
    qtbot.waitUntil(lambda: shell.tray.header.text().endswith(f"{result.login}@{result.server}")
                    or (shell.tray.about_to_show() and False), timeout=5000)


def test_the_full_resync_dialog_offers_two_plain_choices(qtbot: Any) -> None:
    import os
    from pathlib import Path

    from mt5tray.ui.full_resync_dialog import FullResyncDialog
    from tests.ui.conftest import REPO

    dialog = FullResyncDialog("5090001@MT5Tray-Demo", 30)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.recent.text() == "Last 30 days" and dialog.everything.text() == "All history"
    assert dialog.days() == 30
    dialog.everything.setChecked(True)
    assert dialog.days() is None
    from PySide6.QtWidgets import QLabel

    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "Read the history of 5090001@MT5Tray-Demo again" in texts
    assert "Nothing is duplicated" in texts
    artifacts = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(artifacts / "full-resync-dialog.png"))

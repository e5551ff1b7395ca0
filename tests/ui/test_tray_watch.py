"""The tray runs watch mode: a trade in the terminal is synced within
seconds without a click, and saving the settings turns it off at once."""

from __future__ import annotations

from typing import Any

from mt5tray.core.models import Trigger
from mt5tray.core.service import SyncEvent


def test_a_trade_is_synced_by_watch_mode_and_the_settings_switch_it_off(
        shell: Any, qtbot: Any) -> None:
    watcher = shell.scheduler.watcher
    assert watcher is not None and watcher.enabled
    watcher.interval_s, watcher.quiet_s = 0.1, 0.1
    finished: list[SyncEvent] = []
    shell.app.service.subscribe(lambda e: finished.append(e) if e.kind == "finished" else None)
    shell.runtime.sync_now()
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: watcher.probes >= 2, timeout=10_000)  # it knows the counts
    api = shell.app.engine.terminal_factory()._api  # the simulated terminal behind the adapter
    with api._lock:
        api.broker.open("EURUSD", "buy", 0.1)
    qtbot.waitUntil(lambda: any(e.result.trigger is Trigger.WATCH for e in finished),
                    timeout=10_000)

    settings = shell.app.settings.model_copy(
        update={"watch": shell.app.settings.watch.model_copy(update={"enabled": False})})
    shell.apply_settings(settings)
    assert not watcher.enabled
    probes = watcher.probes
    with api._lock:
        api.broker.open("EURUSD", "sell", 0.1)
    qtbot.wait(600)
    assert watcher.probes == probes  # off: no probe, so no sync
    assert sum(e.result.trigger is Trigger.WATCH for e in finished) == 1

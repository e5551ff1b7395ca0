"""The log window tails the memory ring live and filters by level and text."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from mt5tray.logs import MemoryLogHandler
from mt5tray.ui.bridge import Bridge
from mt5tray.ui.log_window import LogWindow


@pytest.fixture
def memory() -> Iterator[MemoryLogHandler]:
    handler = MemoryLogHandler(capacity=100)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("mt5tray.test.logwindow")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def make(sim_app: Any, qtbot: Any, tmp_path: Path, memory: MemoryLogHandler
         ) -> tuple[LogWindow, logging.Logger]:
    bridge = Bridge(sim_app.service, memory)
    window = LogWindow(bridge, memory, tmp_path)
    qtbot.addWidget(window)
    return window, logging.getLogger("mt5tray.test.logwindow")


def test_live_tail_and_level_filter(sim_app: Any, qtbot: Any, tmp_path: Path,
        memory: MemoryLogHandler) -> None:
    window, logger = make(sim_app, qtbot, tmp_path, memory)
    logger.debug("debug detail")
    logger.info("sync finished")
    logger.warning("terminal closed")
    qtbot.waitUntil(lambda: len(window.visible_lines()) == 2)  # Info and up by default
    assert window.visible_lines() == ["INFO sync finished", "WARNING terminal closed"]
    window.level.setCurrentText("Warning")
    assert window.visible_lines() == ["WARNING terminal closed"]
    window.level.setCurrentText("Debug")
    assert len(window.visible_lines()) == 3


def test_text_filter_and_copy(sim_app: Any, qtbot: Any, tmp_path: Path,
        memory: MemoryLogHandler) -> None:
    window, logger = make(sim_app, qtbot, tmp_path, memory)
    for n in range(5):
        logger.info("account %s synced", n)
    logger.info("Terminal CLOSED")
    window.filter.setText("closed")  # case-insensitive
    assert window.visible_lines() == ["INFO Terminal CLOSED"]
    logger.info("closed again")
    qtbot.waitUntil(lambda: len(window.visible_lines()) == 2)
    logger.info("not matching")
    window.copy()
    assert QGuiApplication.clipboard().text() == "INFO Terminal CLOSED\nINFO closed again"


def test_ring_is_capped(sim_app: Any, qtbot: Any, tmp_path: Path,
        memory: MemoryLogHandler) -> None:
    window, logger = make(sim_app, qtbot, tmp_path, memory)
    for n in range(150):
        logger.info("line %s", n)
    window.reload()
    assert len(window.visible_lines()) == 100
    assert window.visible_lines()[-1] == "INFO line 149"


def test_logging_does_not_leak_references_to_true(sim_app: Any, qtbot: Any, tmp_path: Path,
                                                  memory: MemoryLogHandler) -> None:
    """PySide6 6.12's emit() drops a reference to True each call; a tray app
    logging for days would abort (see ui/qtcompat.py)."""
    import gc
    import sys

    window, logger = make(sim_app, qtbot, tmp_path, memory)
    # Garbage from earlier tests that holds True would lower the count when
    # collected mid-measurement: collect first, and not during the window.
    gc.collect()
    gc.disable()
    try:
        before = sys.getrefcount(True)
        for n in range(300):
            logger.info("line %s", n)
        qtbot.waitUntil(lambda: window.visible_lines()[-1:] == ["INFO line 299"])
        after = sys.getrefcount(True)
    finally:
        gc.enable()
    assert after >= before - 50


def test_the_window_shows_each_sync_in_plain_lines(sim_app: Any, qtbot: Any,
                                                   tmp_path: Path, monkeypatch: Any) -> None:
    """C3/P6: the tray's own logging set-up; every sync and round is a line,
    without module names or tracebacks; an empty filter says so."""
    import os

    from mt5tray.core.models import Trigger
    from mt5tray.logs import memory_handler, setup_logging
    from tests.ui.conftest import REPO

    root = logging.getLogger()
    saved = list(root.handlers), root.level
    setup_logging(tmp_path / "logs", logging.INFO, None)
    for name in ("httpx", "httpcore"):  # earlier tests' clients may still talk
        logging.getLogger(name).setLevel(logging.WARNING)
    with memory_handler.lock:
        memory_handler.records.clear()  # only this test's lines
    try:
        window, _ = make(sim_app, qtbot, tmp_path, memory_handler)
        window.resize(900, 300)
        account = sim_app.service.accounts()[0]
        sim_app.service.sync_one(account, trigger=Trigger.MANUAL)
        sim_app.service.scheduled_tick()
        qtbot.waitUntil(lambda: any("round:" in line for line in window.visible_lines()))
        lines = window.visible_lines()
        syncs = [line for line in lines if " Sync (" in line and "1001001@" in line]
        assert len(syncs) == 2, lines
        assert "Sync (manual): 1001001@" in syncs[0] and "Sync (schedule): " in syncs[1]
        assert not any("mt5tray." in line.split(" Sync (")[0] for line in syncs)
        assert all(",%03d" not in line[:23] for line in lines)
        assert not any("Traceback" in line for line in lines)
        assert not window.empty.isVisible() or not window.isVisible()
        window.show()
        qtbot.waitExposed(window)
        artifacts = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(artifacts / "log-window-syncs.png"))
        assert window.view.horizontalScrollBar().maximum() == 0  # lines wrap
        window.filter.setText("no line has this")
        assert window.visible_lines() == [] and window.empty.isVisible()
        assert window.empty.text() == "No matching lines."
    finally:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.NOTSET)
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])

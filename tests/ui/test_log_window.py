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

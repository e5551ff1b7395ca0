"""The log window: a live tail of the in-memory log ring, filtered.

The ring (logs.memory_handler) is capped and already redacted; this window
caps its own view too (QPlainTextEdit maximumBlockCount) so a chatty day
never grows memory. A queued signal from the bridge only says "new lines":
the window then reads what it has not seen from the ring (by its line
count), at most every 100 ms, so a burst of logging costs one repaint and a
filter change never shows a line twice.

Lines wrap (no sideways scrolling), warnings and errors are coloured, an
empty result says "No matching lines", and "Open log folder" says where the
folder is when the desktop has no file manager to open it.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mt5tray.logs import MemoryLogHandler
from mt5tray.ui.bridge import Bridge
from mt5tray.ui.icons import app_icon

LEVELS = {"Debug": logging.DEBUG, "Info": logging.INFO, "Warning": logging.WARNING,
          "Error": logging.ERROR}
MAX_LINES = 5000
LEVEL_COLORS = {logging.WARNING: "#a15c00", logging.ERROR: "#b00020",
                logging.CRITICAL: "#b00020", logging.DEBUG: "#6b6b6b"}


class LogWindow(QWidget):
    def __init__(self, bridge: Bridge, memory: MemoryLogHandler, log_dir: Path | None) -> None:
        super().__init__()
        self.memory, self.log_dir = memory, log_dir
        self.setWindowTitle("mt5tray log")
        self.setWindowIcon(app_icon())
        self.resize(900, 500)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.level = QComboBox()
        self.level.addItems(list(LEVELS))
        self.level.setCurrentText("Info")
        self.filter = QLineEdit(placeholderText="Filter text…", clearButtonEnabled=True)
        self.copy_button = QPushButton("Copy", clicked=self.copy)
        self.folder_button = QPushButton("Open log folder", clicked=self.open_folder)
        self.folder_button.setEnabled(log_dir is not None)
        if log_dir is not None:
            self.folder_button.setToolTip(str(log_dir))
        for widget in (self.level, self.filter, self.copy_button, self.folder_button):
            bar.addWidget(widget)
        self.view = QPlainTextEdit(readOnly=True)
        self.view.setMaximumBlockCount(MAX_LINES)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.empty = QLabel("No matching lines.", styleSheet="color: palette(mid)")
        self.note = QLabel(wordWrap=True)
        self.note.setTextInteractionFlags(self.note.textInteractionFlags()
                                          | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(self.view)
        layout.addWidget(self.empty)
        self.level.currentTextChanged.connect(self.reload)
        self.filter.textChanged.connect(self.reload)
        self._seen = 0
        self._pull_timer = QTimer(self)
        self._pull_timer.setSingleShot(True)
        self._pull_timer.setInterval(100)
        self._pull_timer.timeout.connect(self.pull)
        bridge.connect_queued("log_line", self._new_lines)
        self.reload()

    def matches(self, level: int, line: str) -> bool:
        text = self.filter.text().strip().lower()
        return level >= LEVELS[self.level.currentText()] and (not text or text in line.lower())

    def _snapshot(self) -> tuple[int, list[tuple[int, str]]]:
        with self.memory.lock:  # emit() holds it while appending
            return self.memory.total, list(self.memory.records)

    def reload(self) -> None:
        """Re-filter the whole ring (a filter changed)."""
        self._seen, records = self._snapshot()
        shown = [(level, line) for level, line in records if self.matches(level, line)]
        self.view.clear()
        for level, line in shown[-MAX_LINES:]:
            self._append(level, line)
        self.view.moveCursor(self.view.textCursor().MoveOperation.End)
        self.empty.setVisible(not shown)

    def _append(self, level: int, line: str) -> None:
        color = LEVEL_COLORS.get(level)
        text = html.escape(line).replace("\n", "<br>")
        self.view.appendHtml(f'<span style="color:{color}">{text}</span>' if color
                             else f"<span>{text}</span>")

    def _new_lines(self, level: int, line: str) -> None:
        if not self._pull_timer.isActive():
            self._pull_timer.start()

    def pull(self) -> None:
        """Append the lines logged since the last look."""
        total, records = self._snapshot()
        new = records[len(records) - min(total - self._seen, len(records)):]
        self._seen = total
        for level, line in new:
            if self.matches(level, line):
                self._append(level, line)
                self.empty.hide()

    def visible_lines(self) -> list[str]:
        text = self.view.toPlainText()
        return text.split("\n") if text else []

    def copy(self) -> None:
        selected = self.view.textCursor().selectedText().replace("\u2029", "\n")
        QGuiApplication.clipboard().setText(selected or self.view.toPlainText())

    def open_folder(self) -> None:
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir))):
                self.note.setText(f"No file manager could open it here; the log folder is "
                                  f"{self.log_dir}")
                self.note.show()

    def present(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

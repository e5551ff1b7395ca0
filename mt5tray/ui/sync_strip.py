"""The last 24 h of syncs as a row of marks, coloured by result (issue 11).

Answers "is it working?" at a glance: one mark per sync_logs row, placed by
time, green/amber/red/gray; hovering a mark shows its details. A few dots on
a line are simpler to paint than to configure in a plotting library.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from mt5tray.core.snapshot import SyncMark

COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "gray": "#9e9e9e",
           "blue": "#1565c0"}
HOURS = 24
_R = 4  # mark radius


class SyncStrip(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marks: tuple[SyncMark, ...] = ()
        self.now = datetime.now(timezone.utc)
        self.setMouseTracking(True)
        self.setFixedHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_marks(self, marks: tuple[SyncMark, ...], now: datetime) -> None:
        if marks != self.marks:
            self.marks = marks
            self.setToolTip("" if marks else "No sync in the last 24 h")
        self.now = now
        self.update()

    def x_of(self, at: datetime) -> float:
        start = self.now - timedelta(hours=HOURS)
        share = (at - start).total_seconds() / (HOURS * 3600)
        return _R + max(0.0, min(1.0, share)) * (self.width() - 2 * _R)

    def colour_at(self, index: int) -> str:
        """The hex colour mark `index` is painted in (tests read it)."""
        return COLOURS[self.marks[index].colour]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        mid = self.height() / 2
        painter.setPen(QPen(QColor("#d0d0d0"), 1))
        painter.drawLine(_R, int(mid), self.width() - _R, int(mid))
        painter.setPen(Qt.PenStyle.NoPen)
        for index, mark in enumerate(self.marks):
            painter.setBrush(QColor(self.colour_at(index)))
            painter.drawEllipse(QRectF(self.x_of(mark.at) - _R, mid - _R, 2 * _R, 2 * _R))
        painter.end()

    def mark_near(self, x: float) -> SyncMark | None:
        near = [(abs(self.x_of(m.at) - x), m) for m in self.marks]
        best = min(near, key=lambda pair: pair[0], default=None)
        return best[1] if best is not None and best[0] <= _R + 2 else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        mark = self.mark_near(event.position().x())
        if mark is not None:
            QToolTip.showText(self.mapToGlobal(QPoint(int(event.position().x()), 0)),
                              mark.details, self)
        else:
            QToolTip.hideText()
        super().mouseMoveEvent(event)

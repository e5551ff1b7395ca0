"""Equity and balance over the last 7/30/90 days, drawn with pyqtgraph.

pyqtgraph rather than QtCharts: QtCharts is not part of PySide6-Essentials
(the Qt we ship), and pyqtgraph is a pure-Python, well-kept library that
draws on plain QWidgets with a date axis and needs only numpy.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

# pyqtgraph picks a Qt binding when imported: ours, even where PyQt is installed too.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

RANGES = (7, 30, 90)
Series = tuple[tuple[float, float], ...]


def window(points: Series, days: int, now: datetime) -> Series:
    """The points of the last `days` days (the curve's data, testable); a step
    curve carries its value at the window's start in from the point before it."""
    start = (now - timedelta(days=days)).timestamp()
    inside = tuple(p for p in points if p[0] >= start)
    before = [p for p in points if p[0] < start]
    return ((start, before[-1][1]), *inside) if before else inside


class EquityCurve(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days = 30
        self.equity: Series = ()
        self.balance: Series = ()
        self.now = datetime.now(timezone.utc)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.legend = QLabel("<span style='color:#1565c0'>━ Equity</span>  "
                             "<span style='color:#8d6e63'>━ Balance</span>")
        top.addWidget(self.legend)
        top.addStretch(1)
        self.buttons = QButtonGroup(self)
        for days in RANGES:
            button = QPushButton(f"{days} d")
            button.setCheckable(True)
            button.setChecked(days == self.days)
            button.setFixedWidth(44)
            button.setFocusPolicy(pg.QtCore.Qt.FocusPolicy.NoFocus)
            self.buttons.addButton(button, days)
            top.addWidget(button)
        self.buttons.idClicked.connect(self.set_days)
        layout.addLayout(top)
        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": pg.DateAxisItem()})
        self.plot.setFixedHeight(170)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.balance_item = self.plot.plot(pen=pg.mkPen("#8d6e63", width=1.5))
        self.equity_item = self.plot.plot(pen=pg.mkPen("#1565c0", width=1.5))
        self.empty = pg.TextItem("No history yet", color="#777777", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        layout.addWidget(self.plot)
        self._draw()

    def set_data(self, equity: Series, balance: Series, now: datetime) -> None:
        if (equity, balance) == (self.equity, self.balance):
            return
        self.equity, self.balance, self.now = equity, balance, now
        self._draw()

    def set_days(self, days: int) -> None:
        self.days = days
        self.buttons.button(days).setChecked(True)
        self._draw()

    def shown(self) -> tuple[Series, Series]:
        """(equity, balance) as drawn now."""
        return window(self.equity, self.days, self.now), window(self.balance, self.days, self.now)

    def _draw(self) -> None:
        equity, balance = self.shown()
        self.equity_item.setData([p[0] for p in equity], [p[1] for p in equity],
                                 symbol="o" if len(equity) < 3 else None, symbolSize=5,
                                 symbolBrush="#1565c0", symbolPen=None)
        self.balance_item.setData([p[0] for p in balance], [p[1] for p in balance])
        self.empty.setVisible(not equity and not balance)
        start = (self.now - timedelta(days=self.days)).timestamp()
        self.plot.setXRange(start, self.now.timestamp(), padding=0.01)
        values = [p[1] for p in (*equity, *balance)]
        if values:
            low, high = min(values), max(values)
            pad = max((high - low) * 0.08, abs(high) * 0.002, 1.0)
            self.plot.setYRange(low - pad, high + pad, padding=0)
        else:
            self.empty.setPos((start + self.now.timestamp()) / 2, 0.5)
            self.plot.setYRange(0, 1)

"""One account's card in the status window: who, money, state, positions,
the curve and the last 24 h of syncs. Paints an AccountSnapshot only."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mt5tray.core.formatting import MISSING, count, money, price, volume
from mt5tray.core.snapshot import AccountSnapshot, AppSnapshot, last_sync_text, next_sync_text
from mt5tray.ui.equity_curve import EquityCurve
from mt5tray.ui.sync_strip import COLOURS, SyncStrip

_STATE_COLOURS = {"success": "green", "ok": "green", "partial": "amber", "failed": "red",
                  "syncing": "blue", "skipped": "gray", "never": "gray", "switched_off": "gray"}
_STATE_WORDS = {"success": "Up to date", "ok": "Up to date", "partial": "Synced with a warning",
                "failed": "Last sync failed", "syncing": "Syncing…", "skipped": "Not synced",
                "never": "Not synced yet", "switched_off": "Switched off"}
POSITION_COLUMNS = ("Symbol", "Side", "Volume", "Open price", "P&L")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _value(caption: str) -> tuple[QLabel, QLabel]:
    head = QLabel(caption)
    head.setStyleSheet("color: #666666;")
    value = QLabel(MISSING)
    value.setStyleSheet("font-size: 15px; font-weight: 600;")
    value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return head, value


def _pl_colour(value: float | None) -> str:
    if not value:
        return ""
    return "color: #2e7d32;" if value > 0 else "color: #c62828;"


class AccountCard(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("card")
        self.setStyleSheet("#card { background: #fafafa; border: 1px solid #dddddd; "
                           "border-radius: 6px; }")
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 14px; font-weight: 700;")
        self.state = QLabel()
        top.addWidget(self.title, 1)
        top.addWidget(self.state)
        outer.addLayout(top)
        self.server_clock = QLabel()
        self.server_clock.setVisible(False)
        self.server_clock.setStyleSheet("color: #666666;")
        outer.addWidget(self.server_clock)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for column, caption in enumerate(("Balance", "Equity", "Floating P&L", "Today (realized)")):
            head, value = _value(caption)
            grid.addWidget(head, 0, column)
            grid.addWidget(value, 1, column)
            grid.setColumnStretch(column, 1)
            self.values[caption] = value
        outer.addLayout(grid)
        middle = QHBoxLayout()
        self.positions = QTableWidget(0, len(POSITION_COLUMNS))
        self.positions.setHorizontalHeaderLabels(list(POSITION_COLUMNS))
        self.positions.verticalHeader().setVisible(False)
        self.positions.verticalHeader().setDefaultSectionSize(22)
        self.positions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.positions.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.positions.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no focus box (P2)
        self.positions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.positions.setFixedHeight(200)
        self.curve = EquityCurve()
        middle.addWidget(self.positions, 1)
        middle.addWidget(self.curve, 1)
        outer.addLayout(middle)
        # Shown in the table's place, at its height, so the card never jumps.
        self.no_positions = QLabel("No open positions")
        self.no_positions.setVisible(False)
        self.no_positions.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_positions.setFixedHeight(200)
        self.no_positions.setStyleSheet("color: #666666; border: 1px solid #dddddd;")
        middle.insertWidget(1, self.no_positions, 1)
        strip_row = QHBoxLayout()
        strip_caption = QLabel("Syncs, last 24 h:")
        strip_caption.setStyleSheet("color: #666666;")
        self.strip = SyncStrip()
        strip_row.addWidget(strip_caption)
        strip_row.addWidget(self.strip, 1)
        outer.addLayout(strip_row)
        self.last_sync = QLabel()
        self.next_sync = QLabel()
        self.cause = QLabel()
        self.cause.setWordWrap(True)
        self.cause.setVisible(False)
        self.cause.setStyleSheet("color: #c62828;")
        times = QHBoxLayout()
        times.addWidget(self.last_sync, 1)
        times.addWidget(self.next_sync)
        outer.addLayout(times)
        outer.addWidget(self.cause)

    def paint(self, snap: AppSnapshot, account: AccountSnapshot, now: datetime) -> None:
        self.title.setText(account.title)
        colour = COLOURS[_STATE_COLOURS.get(account.state, "gray")]
        self.state.setText(f"<span style='color:{colour}'>●</span> "
                           f"{_STATE_WORDS.get(account.state, account.state)}")
        self.server_clock.setVisible(account.server_clock is not None)
        self.server_clock.setText(account.server_clock or "")  # "Server clock GMT+2/+3 …"
        card = account.card
        currency = card.currency if card else None
        for caption, value, signed in (
                ("Balance", card.balance if card else None, False),
                ("Equity", card.equity if card else None, False),
                ("Floating P&L", card.floating_profit if card else None, True),
                ("Today (realized)", card.today_realized if card else None, True)):
            label = self.values[caption]
            label.setText(money(value, currency, signed=signed))
            label.setStyleSheet("font-size: 15px; font-weight: 600;"
                                + (_pl_colour(value) if signed else ""))
        self._paint_positions(card.positions if card else (), currency)
        self.curve.set_data(card.equity_curve if card else (), card.balance_curve if card else (),
                            now)
        self.strip.set_marks(card.marks if card else (), now)
        self.last_sync.setText(last_sync_text(account, now))
        self.next_sync.setText(next_sync_text(snap, account, now))
        # The title here; the whole sentence once, under "Last error" (P2: not three times).
        problem = f"{account.error_title} (details below)" if account.error else ""
        self.cause.setVisible(bool(problem))
        self.cause.setText(problem)

    def _paint_positions(self, positions: tuple, currency: str | None) -> None:
        if (positions, currency) == getattr(self, "_shown", None):
            return  # repainted every second: leave the table alone when nothing changed
        self._shown = (positions, currency)
        self.positions.setRowCount(len(positions))
        self.no_positions.setVisible(not positions)
        self.positions.setVisible(bool(positions))
        self.positions.setToolTip(count(len(positions), "open position"))
        for row, p in enumerate(positions):
            cells = (p.symbol, p.side, volume(p.volume), price(p.open_price),
                     money(p.profit, currency, signed=True))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:  # numbers right-aligned (P1)
                    item.setTextAlignment(RIGHT)
                self.positions.setItem(row, column, item)

    def cell(self, row: int, column: str) -> str:
        item = self.positions.item(row, POSITION_COLUMNS.index(column))
        return item.text() if item else ""

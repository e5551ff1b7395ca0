"""The status window a trader keeps open: one card per account, then the
totals, the connections and the last error in full.

Paints only the latest AppSnapshot (issue 11, B1): the snapshot publisher
reads the journal on its own thread, so a locked journal never freezes this
window. A one-second timer repaints countdowns from that same snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mt5tray.core.formatting import count, countdown
from mt5tray.core.models import SyncType
from mt5tray.core.runtime import Runtime
from mt5tray.core.service import SyncEvent
from mt5tray.core.snapshot import AppSnapshot
from mt5tray.ui.account_card import AccountCard
from mt5tray.ui.bridge import Bridge
from mt5tray.ui.icons import app_icon

TICK_MS = 1000
HEADLINE_COLOURS = {"warning": "#8a5a00", "error": "#c62828", "terminal_off": "#4d2c91"}


def _muted(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setStyleSheet("color: #555555;")
    return label


class StatusWindow(QWidget):
    def __init__(self, runtime: Runtime, bridge: Bridge, snapshot: Callable[[], AppSnapshot],
                 poke: Callable[[], None] = lambda: None,
                 want_cards: Callable[[bool], None] = lambda wanted: None) -> None:
        super().__init__()
        self.runtime, self.latest, self.poke = runtime, snapshot, poke
        self.want_cards = want_cards
        self.cards: list[AccountCard] = []
        self.setWindowTitle("mt5tray status")
        self.setWindowIcon(app_icon())
        self.resize(980, 620)
        self._build()
        bridge.connect_queued("sync_event", self.on_event)
        bridge.connect_queued("snapshot", lambda _snapshot: self.refresh())
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.refresh)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setStyleSheet("font-size: 15px; font-weight: 700;")
        self.cause = QLabel()
        self.cause.setWordWrap(True)
        self.cause.setStyleSheet("color: #8a5a00;")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555555;")
        self.note.setVisible(False)
        layout.addWidget(self.headline)
        layout.addWidget(self.cause)
        layout.addWidget(self.note)
        self.cards_box = QVBoxLayout()
        self.cards_box.setSpacing(10)
        holder = QWidget()
        outer = QVBoxLayout(holder)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.cards_box)
        outer.addStretch(1)  # cards keep their height; the rest stays empty
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(holder)
        scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout.addWidget(scroll, 1)
        self.totals, self.terminal, self.supabase = (_muted(QLabel()) for _ in range(3))
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # indeterminate
        self.progress.setVisible(False)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Full resync running…")
        # One line, elided by the width rather than wrapped, so nothing jumps (P2).
        self.message = QLabel()
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.error_caption = QLabel("Last error")
        self.error_caption.setStyleSheet("font-weight: 600;")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: #c62828;")
        buttons = QHBoxLayout()
        self.sync_button = QPushButton("Sync Now")
        self.sync_button.clicked.connect(self.sync_now)
        self.dashboard_button = QPushButton("Open dashboard")
        self.dashboard_button.clicked.connect(self.open_dashboard)
        for button in (self.sync_button, self.dashboard_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.dashboard_button)
        for widget in (self.totals, self.terminal, self.supabase, self.progress,
                       self.error_caption, self.error):
            layout.addWidget(widget)
        layout.addLayout(buttons)

    # --- painting (from the snapshot only) ---------------------------------------------

    def refresh(self) -> None:
        snap = self.latest()
        now = datetime.now(timezone.utc)
        self.headline.setText(snap.headline)
        self.headline.setStyleSheet("font-size: 15px; font-weight: 700; color: "
                                    + HEADLINE_COLOURS.get(snap.state, "#222222") + ";")
        self.cause.setText(snap.facts.problem or "")
        self.cause.setVisible(bool(snap.facts.problem))
        self.note.setText(snap.note or "")
        self.note.setVisible(bool(snap.note))
        while len(self.cards) < len(snap.accounts):
            card = AccountCard()
            self.cards.append(card)
            self.cards_box.addWidget(card)
        for card, account in zip(self.cards, snap.accounts, strict=False):
            card.setVisible(True)
            card.paint(snap, account, now)
        for card in self.cards[len(snap.accounts):]:
            card.setVisible(False)
        t = snap.facts.totals
        self.totals.setText(
            f"Totals: {count(t.syncs, 'sync')} ({t.successful:,} successful, {t.failed:,} "
            f"failed) · {count(t.deals_synced, 'deal')} synced · "
            f"{count(snap.facts.pending_uploads, 'row')} waiting to upload")
        self.terminal.setText(snap.terminal_text)
        self.supabase.setText(snap.supabase_text)
        errors = self._errors(snap)
        failing = any(a.error for a in snap.accounts)
        self.error_caption.setText("Last error" if failing else "Needs attention")
        self.error.setStyleSheet("color: #c62828;" if failing else "color: #8a5a00;")
        self.error_caption.setVisible(bool(errors))
        self.error.setVisible(bool(errors))
        self.error.setText(errors)
        left = snap.cooldown_left(now)
        # C13: the cool-down counts down on the button itself, disabled until it ends.
        self.sync_button.setEnabled(not snap.busy and left <= 0)
        self.sync_button.setText("Syncing…" if snap.busy else
                                 f"Sync Now (in {countdown(left)})" if left > 0 else "Sync Now")
        self.sync_button.setToolTip(f"Sync Now is available again in {countdown(left)}."
                                    if left > 0 and not snap.busy else "")
        self.dashboard_button.setEnabled(bool(snap.dashboard_url))
        self.dashboard_button.setToolTip(snap.dashboard_url or "Set the dashboard URL in Settings.")

    @staticmethod
    def _errors(snap: AppSnapshot) -> str:
        """Each failing account's error once, in full; the warning's cause too."""
        lines = [f"{a.title}: {a.error_title}\n{a.error}" for a in snap.accounts if a.error]
        if snap.state == "warning" and snap.detail and snap.detail not in snap.headline:
            lines.append(f"{snap.headline}\n{snap.detail}")  # the headline alone is on top
        return "\n\n".join(lines)

    def on_event(self, event: SyncEvent) -> None:
        if event.kind == "started":
            self.progress.setVisible(event.sync_type is SyncType.FULL)
            self.message.setText(f"Syncing {self._name(event)}…")
        elif event.kind == "finished":
            self.progress.setVisible(False)
            result = event.result
            if result is not None and result.status.value == "failed":
                text = f"{self._name(event)}: sync failed - the error is shown above"
            else:
                text = result.summary() if result else ""
            self.message.setText(text)
            self.message.setToolTip(text)

    def _name(self, event: SyncEvent) -> str:
        if event.account.login is None:  # named by the snapshot once a sync read it
            for shown in self.latest().accounts:
                if shown.login is not None:
                    return f"{shown.login}@{shown.server}"
            return "The terminal's account"
        return event.account.describe()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Esc and Ctrl+W (Cmd+W) close it, as any viewer window (P2)."""
        if event.key() == Qt.Key.Key_Escape or event.matches(QKeySequence.StandardKey.Close):
            self.close()
            return
        super().keyPressEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.want_cards(True)  # the publisher reads the cards while this is open
        self.refresh()
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.want_cards(False)
        self._timer.stop()
        super().hideEvent(event)

    def present(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    # --- actions --------------------------------------------------------------------

    def sync_now(self) -> None:
        self.runtime.sync_now()
        self.poke()

    def open_dashboard(self) -> None:
        url = self.latest().dashboard_url
        if url:
            QDesktopServices.openUrl(QUrl(url))

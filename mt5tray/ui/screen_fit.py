"""Keep a dialog inside the screen it is on, whatever its content does.

A long message once widened the settings dialog to 1,639 px on a 1,280 px
screen and pushed Save/Cancel out of reach. Every dialog calls `fit_to_screen`:
its maximum size becomes the screen's available geometry (taskbar excluded,
room left for the window frame), and whenever it is shown or resized it is
moved back inside that area, so its buttons stay reachable. Messages in the
dialogs are word-wrapped labels, so a narrower width makes them taller, not
clipped.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

# Room for the title bar and borders the window manager adds around the
# client area (Windows 10/11 at 100 %: ~31 px title + 8 px borders).
FRAME_ALLOWANCE = QSize(16, 40)


def available_area(window: QWidget) -> QRect:
    """The usable part of the screen the window is on (or the primary one)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def client_bound(window: QWidget) -> QSize:
    """The largest client size whose frame still fits the available area."""
    area = available_area(window).size()
    return QSize(max(200, area.width() - FRAME_ALLOWANCE.width()),
                 max(150, area.height() - FRAME_ALLOWANCE.height()))


class _KeepInside(QObject):
    """Event filter: on show/resize, clamp the size and move the window inside."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if isinstance(watched, QWidget) and event.type() in (
                QEvent.Type.Show, QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            keep_inside(watched)
        return False


def keep_inside(window: QWidget) -> None:
    """Shrink the window to the bound and move it so all of it is on screen."""
    bound = client_bound(window)
    window.setMaximumSize(bound)
    if window.width() > bound.width() or window.height() > bound.height():
        window.resize(min(window.width(), bound.width()), min(window.height(), bound.height()))
    if not window.isVisible():
        return
    area = available_area(window)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.left()), max(area.left(), area.right() + 1 - frame.width()))
    y = min(max(frame.y(), area.top()), max(area.top(), area.bottom() + 1 - frame.height()))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


def fit_to_screen(window: QWidget) -> None:
    """Bound `window` to its screen now and every time it is shown or grows."""
    keep_inside(window)
    watcher = _KeepInside(window)
    window.installEventFilter(watcher)
    window.setProperty("screen_fit", watcher)  # parented to the window: lives as long


def message_label(color: str = "#b00020") -> QLabel:
    """A word-wrapped message label that takes the dialog's width and never
    widens it: long text wraps onto more lines instead."""
    label = QLabel(wordWrap=True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # "GMT+<b>/EU" is text, not bold markup
    label.setStyleSheet(f"color: {color}")
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    label.setSizePolicy(policy)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def grow_to_fit(window: QWidget) -> None:
    """After a message changed: grow the window downward (never narrower, never
    past the screen) so the new text fits and the controls above stay put."""
    layout = window.layout()
    width = window.width()
    wanted = layout.totalHeightForWidth(width) if layout is not None and \
        layout.hasHeightForWidth() else window.sizeHint().height()
    height = min(max(window.height(), wanted), client_bound(window).height())
    if height != window.height():
        window.resize(width, height)
    keep_inside(window)

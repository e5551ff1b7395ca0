"""Distinct states look distinct at 16 px (issue 11, C4): the pixels of every
pair of tray icons differ clearly, and "MT5 not running" is not grey like
"paused" (a failure that needs the user must not look switched off)."""

from __future__ import annotations

from itertools import combinations

import pytest
from PySide6.QtGui import QColor, QImage

from mt5tray.resources import icon_path

STATES = ("ok", "syncing", "warning", "terminal_off", "error", "paused")


def pixels(state: str) -> list[QColor]:
    image = QImage(str(icon_path(state, 16)))
    assert image.width() == 16
    return [image.pixelColor(x, y) for y in range(16) for x in range(16)]


def difference(a: str, b: str) -> float:
    """Mean colour distance per pixel (0-255 scale; transparency counts as white)."""
    total = 0.0
    for p, q in zip(pixels(a), pixels(b), strict=True):
        rgb = [[c * ch.alphaF() + 255 * (1 - ch.alphaF()) for c in (ch.red(), ch.green(),
                                                                      ch.blue())]
               for ch in (p, q)]
        total += sum(abs(x - y) for x, y in zip(*rgb, strict=True)) / 3
    return total / 256


@pytest.mark.parametrize(("a", "b"), list(combinations(STATES, 2)))
def test_every_pair_of_states_differs_at_16_px(qapp: object, a: str, b: str) -> None:
    assert difference(a, b) > 20, f"{a} and {b} look alike at 16 px"


def test_mt5_not_running_is_coloured_and_paused_is_not(qapp: object) -> None:
    def saturation(state: str) -> float:
        opaque = [p for p in pixels(state) if p.alpha() > 200]
        return sum(p.hsvSaturationF() for p in opaque) / len(opaque)

    assert saturation("terminal_off") > 0.35
    assert saturation("paused") < 0.15
    assert difference("terminal_off", "paused") > 40  # the old grey pair: 16


def test_icon_sheet_artifact(qapp: object) -> None:
    """Every state at 16 and 24 px, magnified 2x without smoothing, for a look."""
    import os
    from pathlib import Path

    from PySide6.QtGui import QPainter

    from tests.ui.conftest import REPO

    sheet = QImage(len(STATES) * 64, 96, QImage.Format.Format_ARGB32)
    sheet.fill(QColor("#e0e0e0"))
    painter = QPainter(sheet)
    for i, state in enumerate(STATES):
        for j, size in enumerate((16, 24)):
            image = QImage(str(icon_path(state, size)))
            painter.drawImage(i * 64 + 8, 4 + j * 40, image.scaled(size * 2, size * 2))
    painter.end()
    folder = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    assert sheet.save(str(folder / "tray-icon-states.png"))

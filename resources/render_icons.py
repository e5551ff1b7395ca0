"""Render resources/icons/*.svg into the PNGs and ICOs the app ships.

The SVGs are the sources (written by hand on a 32-unit grid); the PNGs and ICOs are
generated and committed, so the app never renders SVG at start-up and the PyInstaller
build needs no extra step. Re-run after editing an SVG:

    QT_QPA_PLATFORM=offscreen python resources/render_icons.py

For each `<name>.svg` it writes `<name>-<size>.png` for every size in
`mt5tray.resources.ICON_SIZES` and `<name>.ico` holding all of them.

Why the ICO is written here rather than by Qt: Qt's "ico" image writer stores one
image per file, as a BMP. An ICO is a 6-byte header, one 16-byte directory entry
per image, then the images; since Windows Vista an image may be a whole PNG file,
which keeps the 256 px entry small. That container is `ico_bytes` below.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parent / "icons"
sys.path.insert(0, str(ICONS.parent.parent))
from mt5tray.resources import ICON_SIZES  # noqa: E402


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """The SVG drawn into a transparent size x size image, as PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # stub says bytes
        raise RuntimeError(f"could not encode a {size} px PNG")
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO container holding one PNG-compressed image per size (valid on Vista+)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in the one-byte fields
        # width, height, palette colours, reserved, colour planes, bits per pixel,
        # size of the image data, offset of the image data from the file start
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def render_all(icons: Path = ICONS) -> list[Path]:
    """Render every SVG in `icons`; returns the files written."""
    written: list[Path] = []
    for svg in sorted(icons.glob("*.svg")):
        renderer = QSvgRenderer(str(svg))
        if not renderer.isValid():
            raise RuntimeError(f"{svg} is not a valid SVG")
        pngs = {size: render_png(renderer, size) for size in ICON_SIZES}
        for size, png in pngs.items():
            written.append(_write(icons / f"{svg.stem}-{size}.png", png))
        written.append(_write(icons / f"{svg.stem}.ico", ico_bytes(pngs)))
    return written


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    written = render_all()
    print(f"wrote {len(written)} files to {ICONS}")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

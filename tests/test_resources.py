"""Resource lookup (checkout, installed package, PyInstaller bundle) and the icon files.

The icon checks read the committed files as bytes (PNG and ICO headers), so they
need no Qt; a stale or missing render fails here rather than in the tray.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

import mt5tray.resources as resources
from mt5tray.resources import (
    ICON_SIZES,
    ICON_STATES,
    ResourceNotFound,
    ico_path,
    icon_path,
    resource_path,
    resource_roots,
)

REPO = Path(__file__).resolve().parents[1]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_checkout_finds_the_repository_resources() -> None:
    assert icon_path("ok") == REPO / "resources" / "icons" / "ok.svg"


@pytest.mark.parametrize("state", ICON_STATES)
def test_every_state_has_its_svg_pngs_and_ico(state: str) -> None:
    assert icon_path(state).read_text(encoding="utf-8").lstrip().startswith("<?xml")
    for size in ICON_SIZES:
        assert png_size(icon_path(state, size).read_bytes()) == (size, size)
    assert ico_path(state).suffix == ".ico"


@pytest.mark.parametrize("state", ICON_STATES)
def test_ico_holds_every_size_as_png(state: str) -> None:
    data = ico_path(state).read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(ICON_SIZES))
    sizes = []
    for index in range(count):
        entry = data[6 + 16 * index : 6 + 16 * (index + 1)]
        width, _h, _c, _r, _planes, bits, length, offset = struct.unpack("<BBBBHHII", entry)
        assert bits == 32
        image = data[offset : offset + length]
        assert png_size(image)[0] == (width or 256)
        sizes.append(width or 256)
    assert sizes == sorted(ICON_SIZES)


def test_bundle_root_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    icons = tmp_path / "resources" / "icons"
    icons.mkdir(parents=True)
    (icons / "ok.svg").write_text("<svg/>", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_roots()[0] == tmp_path / "resources"
    assert icon_path("ok") == icons / "ok.svg"
    # Files the bundle lacks still come from the next root.
    assert icon_path("error") == REPO / "resources" / "icons" / "error.svg"


def test_installed_package_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "mt5tray"
    (package / "_resources" / "icons").mkdir(parents=True)
    (package / "_resources" / "icons" / "app.ico").write_bytes(b"ico")
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    assert ico_path("app") == package / "_resources" / "icons" / "app.ico"


def test_missing_resource_names_every_place_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(ResourceNotFound) as caught:
        resource_path("icons", "nope.png")
    message = str(caught.value)
    assert "icons/nope.png" in message
    for root in resource_roots():
        assert str(root) in message
    assert isinstance(caught.value, FileNotFoundError)


@pytest.mark.parametrize("parts", [(), ("..", "pyproject.toml"), ("/etc/passwd",)])
def test_paths_outside_resources_are_refused(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        resource_path(*parts)


def test_unknown_state_or_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown icon state"):
        icon_path("purple")
    with pytest.raises(ValueError, match="no 20 px icon"):
        icon_path("ok", 20)


def test_resources_and_autostart_import_no_qt() -> None:
    code = (
        "import sys, mt5tray.resources, mt5tray.autostart; "
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_an_explicit_package_list_names_every_package() -> None:
    """Shipping resources/ as mt5tray._resources needs an explicit package list in
    pyproject.toml (find cannot see it); a package missing from it would be left
    out of the wheel silently."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = config["tool"].get("setuptools", {}).get("packages")
    if not isinstance(listed, list):
        pytest.skip("pyproject.toml finds packages; nothing listed to check")
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "mt5tray").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk <= set(listed)
    assert "mt5tray._resources.icons" in listed

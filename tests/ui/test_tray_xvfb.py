"""The real tray app under a virtual X screen with a real tray host (trayer):
the icon is embedded, a screenshot is saved as a test artifact, SIGTERM
quits with status 0. See ../shared/docs/testing.md.

In CI (CI=true) a missing binary or a screen that will not start FAILS the
run: the tray must be proven there. Locally it is skipped without the tools.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.xserver import (
    XServerError,
    icon_embedded,
    start_trayer,
    start_xvfb,
    stop,
    window_tree,
)

pytestmark = pytest.mark.tray

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("Xvfb", "trayer", "import", "identify", "xwininfo")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"tray test cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def tray_host() -> Iterator[str]:
    """Xvfb on a free display with trayer's panel up; yields the display."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        unavailable(f"missing {', '.join(missing)} (apt-get install xvfb trayer imagemagick "
                    "x11-utils)")
    try:
        display, xvfb = start_xvfb()
    except XServerError as exc:
        unavailable(str(exc))
    try:
        try:
            trayer = start_trayer(display)
        except XServerError as exc:
            unavailable(str(exc))
        yield display
        stop(trayer)
    finally:
        stop(xvfb)


def test_icon_is_embedded_in_a_real_tray(tray_host: str, tmp_path: Path) -> None:
    artifacts = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    ready = tmp_path / "ready.json"
    env = {**os.environ, "DISPLAY": tray_host, "QT_QPA_PLATFORM": "xcb",
           "MT5TRAY_HOME": str(tmp_path / "home"), "MT5TRAY_READY_FILE": str(ready),
           "PYTHONPATH": str(REPO)}
    app = subprocess.Popen([sys.executable, "-m", "mt5tray", "tray", "--simulate"], cwd=REPO,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and app.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), f"the app never became ready: {app.communicate(timeout=5)}"
        assert json.loads(ready.read_text())["tray_available"] is True
        end = time.monotonic() + 10
        while not icon_embedded(tray_host) and time.monotonic() < end:
            time.sleep(0.1)
        assert icon_embedded(tray_host), window_tree(tray_host)
        time.sleep(0.5)  # let the icon paint
        shot = artifacts / "tray.png"
        subprocess.run(["import", "-display", tray_host, "-window", "root",
                        "-crop", "300x32+724+0", str(shot)], check=True)
        assert shot.stat().st_size > 0
        colours = subprocess.run(["identify", "-format", "%k", str(shot)],
                                 capture_output=True, text=True, check=True).stdout
        assert int(colours) > 4, "the tray strip is blank"
        app.send_signal(signal.SIGTERM)
        assert app.wait(15) == 0
    finally:
        stop(app)

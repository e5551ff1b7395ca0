"""A virtual X screen (Xvfb) with a system-tray host (trayer), for the tray
test and the idle benchmark. Each on a free display number found here (not
Xvfb's -displayfd: Xvfb sometimes cannot write to the inherited fd)."""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

TRAYER_ARGS = ["--edge", "top", "--align", "right", "--widthtype", "request", "--height", "32",
               "--SetDockType", "true", "--transparent", "false", "--tint", "0x000000"]


class XServerError(RuntimeError):
    pass


def _free_display() -> int:
    for number in random.sample(range(100, 900), 800):
        if not (Path(f"/tmp/.X{number}-lock").exists()
                or Path(f"/tmp/.X11-unix/X{number}").exists()):
            return number
    raise XServerError("no free X display number")


def _answers(display: str) -> bool:
    return subprocess.run(["xwininfo", "-root"], env={**os.environ, "DISPLAY": display},
                          capture_output=True).returncode == 0


def start_xvfb(timeout: float = 15.0) -> tuple[str, subprocess.Popen]:  # type: ignore[type-arg]
    """Start Xvfb; returns (":N", process) once it answers."""
    for _ in range(3):
        display = f":{_free_display()}"
        process = subprocess.Popen(["Xvfb", display, "-screen", "0", "1024x768x24",
                                    "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while time.monotonic() < end and process.poll() is None:
            if _answers(display):
                return display, process
            time.sleep(0.1)
        stop(process)
    raise XServerError("Xvfb did not start")


def start_trayer(display: str, timeout: float = 15.0) -> subprocess.Popen:  # type: ignore[type-arg]
    """Start trayer on `display`; returns once its panel window exists."""
    process = subprocess.Popen(["trayer", *TRAYER_ARGS], env={**os.environ, "DISPLAY": display},
                               stderr=subprocess.DEVNULL)
    end = time.monotonic() + timeout
    while time.monotonic() < end and process.poll() is None:
        if '"panel"' in window_tree(display):
            return process
        time.sleep(0.1)
    stop(process)
    raise XServerError("trayer did not show its panel")


def window_tree(display: str) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True).stdout


def icon_embedded(display: str, name: str = "mt5tray") -> bool:
    """A window called `name` sits inside trayer's panel."""
    text = window_tree(display)
    panel = text.find('"panel"')
    return panel >= 0 and f'"{name}": (' in text[panel:]


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

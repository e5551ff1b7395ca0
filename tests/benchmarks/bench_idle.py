"""Benchmark: what the tray app costs while it sits idle (a script, not a test).

    python tests/benchmarks/bench_idle.py [--seconds 60] [--offscreen] [--json]

Starts `python -m mt5tray tray --simulate` (live demo, throwaway MT5TRAY_HOME)
under Xvfb with a real tray host (trayer) when both are installed, else on
Qt's offscreen platform. Measures:
  to_icon_s   launch -> the app's ready marker (written right after the tray icon
              is shown); under Xvfb also -> the icon embedded in trayer's panel
  rss_mb      resident memory after the idle period (and the peak while idle)
  cpu_pct     CPU time used over the idle period / its wall time
Idle starts once the start-up sync has run. Targets on the dev machine:
<= 100 MB RSS, <= 0.5 % CPU, <= 2 s to the icon.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.support.xserver import icon_embedded, start_trayer, start_xvfb, stop  # noqa: E402

TARGETS = {"rss_mb": 100.0, "cpu_pct": 0.5, "to_icon_s": 2.0}


def start_screen() -> tuple[dict[str, str], list[subprocess.Popen]]:  # type: ignore[type-arg]
    """Xvfb + trayer on a free display; returns the env for the app and the processes."""
    display, xvfb = start_xvfb()
    trayer = start_trayer(display)
    return {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}, [trayer, xvfb]


def measure(seconds: float, offscreen: bool) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="mt5tray-idle-"))
    use_x = not offscreen and all(shutil.which(t) for t in ("Xvfb", "trayer", "xwininfo"))
    env, helpers = start_screen() if use_x else ({"QT_QPA_PLATFORM": "offscreen"}, [])
    ready = work / "ready.json"
    env.update(MT5TRAY_HOME=str(work / "home"), MT5TRAY_READY_FILE=str(ready),
               MT5TRAY_STARTUP_DELAY_S="1", PYTHONPATH=str(REPO))
    launched = time.time()
    app = subprocess.Popen([sys.executable, "-m", "mt5tray", "tray", "--simulate"],
                           cwd=REPO, env={**os.environ, **env})
    try:
        while not ready.exists():
            if app.poll() is not None or time.time() - launched > 30:
                raise SystemExit("the tray app did not start")
            time.sleep(0.01)
        marker = json.loads(ready.read_text())
        result: dict[str, object] = {"platform": "xcb+trayer" if use_x else "offscreen",
                                     "to_icon_s": round(marker["time"] - launched, 2),
                                     "tray_available": marker["tray_available"]}
        if use_x:
            while not icon_embedded(env["DISPLAY"]) and time.time() - launched < 30:
                time.sleep(0.02)
            result["to_embedded_s"] = round(time.time() - launched, 2)
        time.sleep(4)  # the start-up sync (1 s after start) has run
        proc = psutil.Process(app.pid)
        cpu0, wall0, peak = sum(proc.cpu_times()[:2]), time.monotonic(), 0
        while time.monotonic() - wall0 < seconds:
            peak = max(peak, proc.memory_info().rss)
            time.sleep(1)
        cpu = sum(proc.cpu_times()[:2]) - cpu0
        wall = time.monotonic() - wall0
        rss = proc.memory_info().rss
        result.update(idle_s=round(wall, 1), cpu_pct=round(100 * cpu / wall, 3),
                      rss_mb=round(rss / 2**20, 1), peak_rss_mb=round(max(peak, rss) / 2**20, 1))
        app.terminate()
        result["exit_status"] = app.wait(15)
        return result
    finally:
        for process in [app, *helpers]:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--offscreen", action="store_true", help="do not use Xvfb + trayer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.seconds, args.offscreen)
    ok = all(float(result[k]) <= v for k, v in TARGETS.items())  # type: ignore[arg-type]
    if args.json:
        print(json.dumps({**result, "targets": TARGETS, "within_targets": ok}, indent=2))
    else:
        print(f"platform {result['platform']}: icon after {result['to_icon_s']} s"
              + (f" (embedded after {result['to_embedded_s']} s)" if "to_embedded_s" in result
                 else ""))
        print(f"idle {result['idle_s']} s: CPU {result['cpu_pct']} %, RSS {result['rss_mb']} MB "
              f"(peak {result['peak_rss_mb']} MB); exit status {result['exit_status']}")
        print("within targets" if ok else f"OUTSIDE targets {TARGETS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""CLI commands run while another mt5tray holds the home (issue 8): they wait
for it, say for whom and for how long, and never write meanwhile.

The holder is a real second process that holds the home lock the way the
tray does during a sync; the commands run as `python -m mt5tray`.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "tests" / "scenarios" / "hedging_basic.json"

# Holds the home lock like the tray in the middle of a sync, until stdin closes.
HOLDER = """
import sys
sys.argv = ["mt5tray", "tray"]  # what the lock's holder file names
from mt5tray.home_lock import home_lock
from mt5tray.paths import app_paths
with home_lock(app_paths().data_dir).held():
    print("held", flush=True)
    sys.stdin.read()
"""


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "MT5TRAY_HOME": str(home), "PYTHONPATH": str(REPO), **extra}


def _hold(home: Path) -> subprocess.Popen[bytes]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], env=_env(home), cwd=REPO,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    return holder


def _mt5tray(home: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "mt5tray", *args], env=_env(home, **env),
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _stderr_line(process: subprocess.Popen[bytes], timeout_s: float = 30) -> str:
    assert process.stderr is not None
    ready, _, _ = select.select([process.stderr], [], [], timeout_s)
    assert ready, "the command printed nothing on stderr"
    return process.stderr.readline().decode()


def _journal(home: Path) -> Path:
    return home / "data" / f"simulated-{Path(SCENARIO).stem}.sqlite3"


def test_sync_beside_a_busy_tray_waits_for_it_says_so_and_then_syncs(tmp_path):
    holder = _hold(tmp_path)
    sync = _mt5tray(tmp_path, "sync", "--simulate", str(SCENARIO), "--json")
    try:
        waiting = _stderr_line(sync)
        assert waiting.startswith(
            f"mt5tray: Waiting up to 300 s for the running mt5tray (the tray, pid {holder.pid})"
            " to finish its sync or upload")
        assert not _journal(tmp_path).exists()  # nothing written while it waits
    finally:
        holder.communicate(b"", timeout=30)  # the tray's sync ends
    out, err = sync.communicate(timeout=60)
    assert sync.returncode == 0, err
    assert err.decode().startswith("mt5tray: Went ahead after waiting ")
    (result,) = json.loads(out)  # stdout stays JSON: the messages go to stderr
    assert result["status"] == "success" and result["deals_inserted"] == 14


def test_sync_that_waited_long_enough_says_who_holds_the_home_and_writes_nothing(tmp_path):
    holder = _hold(tmp_path)
    try:
        sync = _mt5tray(tmp_path, "sync", "--simulate", str(SCENARIO),
                        MT5TRAY_LOCK_WAIT_S="0.5")
        out, err = sync.communicate(timeout=60)
    finally:
        holder.communicate(b"", timeout=30)
    assert sync.returncode == 1
    message = err.decode().splitlines()[-1]
    assert message == (
        f"mt5tray: mt5tray is busy: The running mt5tray (the tray, pid {holder.pid}) kept "
        f"{(tmp_path / 'data').resolve()} busy for 0.5 s; nothing was done here. Try again when "
        "it has finished (or set MT5TRAY_LOCK_WAIT_S to wait longer).")
    assert "Traceback" not in err.decode()
    assert not _journal(tmp_path).exists()


def test_doctor_waits_for_the_running_mt5tray_too(tmp_path):
    holder = _hold(tmp_path)
    doctor = _mt5tray(tmp_path, "doctor", "--simulate", str(SCENARIO))
    try:
        assert "Waiting up to 300 s for the running mt5tray (the tray" in _stderr_line(doctor)
    finally:
        holder.communicate(b"", timeout=30)
    out, _ = doctor.communicate(timeout=60)
    assert doctor.returncode == 0 and b"[OK  ] store" in out


def test_a_killed_mt5tray_leaves_the_home_free(tmp_path):
    """The OS drops the lock with its process: no stale lock after a crash."""
    holder = _hold(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    out, err = _mt5tray(tmp_path, "sync", "--simulate", str(SCENARIO)).communicate(timeout=60)
    assert b"Waiting" not in err and b"succeeded" in out, err


def test_the_lock_and_the_cli_commands_stay_headless():
    """No Qt on the way to a sync: the lock, the commands and the CLI import
    without PySide6 (only handing a job to the tray loads its network module)."""
    code = ("import sys, mt5tray.home_lock, mt5tray.commands.beside_tray, mt5tray.cli; "
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], env=_env(Path("/nonexistent")),
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

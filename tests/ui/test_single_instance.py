"""The single-instance guard over real local sockets, in this process and in others.

Second launches and crashed instances run as real child processes: the guard's
job is between processes, and a crash (SIGKILL) is the only honest way to leave
a stale socket behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from mt5tray.ui.single_instance import (  # noqa: E402
    SERVE_REQUESTS,
    SingleInstance,
    ask_running_instance,
    notify_running_instance,
    server_name,
)

REPO = Path(__file__).resolve().parents[2]

SECOND_LAUNCH = """
import sys
from PySide6.QtCore import QCoreApplication
from mt5tray.ui.single_instance import SingleInstance
app = QCoreApplication(sys.argv)
sys.exit(0 if not SingleInstance(sys.argv[1]).acquire() else 3)
"""

CRASHING_INSTANCE = """
import os, signal, sys
from PySide6.QtCore import QCoreApplication
from mt5tray.ui.single_instance import SingleInstance
app = QCoreApplication(sys.argv)
guard = SingleInstance(sys.argv[1])
assert guard.acquire()
print(guard.address, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def name(qapp: object) -> Iterator[str]:
    from PySide6.QtNetwork import QLocalServer

    unique = f"mt5tray-test-{uuid.uuid4().hex[:12]}"
    yield unique
    QLocalServer.removeServer(unique)


@pytest.fixture
def first(name: str) -> Iterator[SingleInstance]:
    guard = SingleInstance(name)
    assert guard.acquire()
    yield guard
    guard.release()


def test_second_instance_in_this_process_is_sent_away(qtbot, first, name) -> None:
    with qtbot.waitSignal(first.activation_requested, timeout=3000):
        assert SingleInstance(name).acquire() is False
    assert first.is_primary


def test_second_launch_exits_0_and_activates_the_first(qtbot, first, name) -> None:
    with qtbot.waitSignal(first.activation_requested, timeout=10_000):
        child = run_python(SECOND_LAUNCH, name)
    assert child.wait(timeout=10) == 0


def test_stale_socket_of_a_crashed_instance_is_replaced(qtbot, name) -> None:
    crashed = run_python(CRASHING_INSTANCE, name)
    socket_path, _ = crashed.communicate(timeout=10)
    assert crashed.returncode == -signal.SIGKILL
    if sys.platform != "win32":  # a named pipe dies with its process; a socket file stays
        assert Path(socket_path.strip()).exists()

    guard = SingleInstance(name)
    try:
        assert guard.acquire() is True
        with qtbot.waitSignal(guard.activation_requested, timeout=3000):
            assert notify_running_instance(name) is True
    finally:
        guard.release()


def test_release_lets_the_next_launch_take_over(first, name) -> None:
    first.release()
    assert not first.is_primary
    successor = SingleInstance(name)
    assert successor.acquire() is True
    successor.release()


def test_acquire_twice_keeps_the_same_server(first) -> None:
    assert first.acquire() is True
    assert first.is_primary


def test_other_messages_do_not_activate(qtbot, first, name) -> None:
    with qtbot.assertNotEmitted(first.activation_requested, wait=300):
        assert notify_running_instance(name, b"hello") is True


def test_nothing_listening_means_no_running_instance(name) -> None:
    assert notify_running_instance(name) is False


def test_names_differ_per_user_and_home(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    assert server_name(home_a, "ann") == server_name(home_a, "ann")
    assert server_name(home_a, "ann") != server_name(home_b, "ann")
    assert server_name(home_a, "ann") != server_name(home_a, "bob")
    assert len(server_name(home_a, "ann")) < 40  # Unix socket paths are short


def test_default_name_follows_mt5tray_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path / "one"))
    one = server_name()
    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path / "two"))
    assert server_name() != one
    assert SingleInstance().name == server_name()


def test_silent_and_oversized_clients_are_harmless(qtbot, name) -> None:
    from PySide6.QtNetwork import QLocalSocket

    guard = SingleInstance(name)
    assert guard.acquire()
    silent, flood = QLocalSocket(), QLocalSocket()
    for client in (silent, flood):
        client.connectToServer(name)
        assert client.waitForConnected(1000)
    flood.write(b"x" * 1000)
    flood.waitForBytesWritten(1000)
    with qtbot.assertNotEmitted(guard.activation_requested, wait=300):
        silent.disconnectFromServer()
    guard.release()
    qtbot.wait(50)  # deferred deletes run here: no double free
    assert notify_running_instance(name) is False


ASK = """
import sys
from mt5tray.ui.single_instance import ask_running_instance
print(ask_running_instance(sys.argv[1], sys.argv[2].encode()))
"""


@pytest.mark.parametrize(("takes_it", "answer"), [(True, "b'accepted'"), (False, "b'declined'")])
def test_a_cli_command_hears_whether_the_tray_took_its_job(qtbot, first, name, takes_it,
                                                          answer) -> None:
    """`serve-requests --once` beside the tray (issue 8): the tray's handler
    decides, the command is told, and the status window stays shut."""
    asked: list[bool] = []
    first.handlers[SERVE_REQUESTS] = lambda: asked.append(True) or takes_it
    with qtbot.assertNotEmitted(first.activation_requested, wait=0):
        child = run_python(ASK, name, SERVE_REQUESTS.decode())
        qtbot.waitUntil(lambda: child.poll() is not None, timeout=10_000)
    assert child.stdout is not None and child.stdout.read().strip() == answer
    assert asked == [True]


def test_a_tray_without_the_handler_answers_nothing(qtbot, first, name) -> None:
    child = run_python(ASK, name, SERVE_REQUESTS.decode())
    qtbot.waitUntil(lambda: child.poll() is not None, timeout=10_000)
    assert child.stdout is not None and child.stdout.read().strip() == "b''"


def test_no_tray_means_no_answer_at_all(name) -> None:
    assert ask_running_instance(name, SERVE_REQUESTS) is None


SECOND_LAUNCH_WITH = """
import sys
from PySide6.QtCore import QCoreApplication
from mt5tray.ui.single_instance import SingleInstance, describe_launch
app = QCoreApplication(sys.argv)
guard = SingleInstance(sys.argv[1], launch=describe_launch(sys.argv[2] or None, None))
assert not guard.acquire()
print(guard.ignored_arguments())
"""


def test_a_second_launch_with_other_arguments_says_they_were_ignored(qtbot, name) -> None:
    from mt5tray.ui.single_instance import describe_launch

    guard = SingleInstance(name, launch=describe_launch("live-demo", None))
    assert guard.acquire()
    try:
        with qtbot.waitSignal(guard.activation_requested, timeout=10_000):
            child = run_python(SECOND_LAUNCH_WITH, name, "tests/scenarios/hedging_basic.json")
        qtbot.waitUntil(lambda: child.poll() is not None, timeout=10_000)
        out = child.stdout.read().strip() if child.stdout else ""
        assert child.returncode == 0
        assert out == ("mt5tray is already running (simulated: the live demo) and now shows its "
                       "status window. This launch (simulated: scenario hedging_basic.json) was "
                       "ignored: quit the running mt5tray (tray menu, Quit) to start it this way.")
        with qtbot.waitSignal(guard.activation_requested, timeout=10_000):
            same = run_python(SECOND_LAUNCH_WITH, name, "live-demo")
        qtbot.waitUntil(lambda: same.poll() is not None, timeout=10_000)
        assert same.stdout is not None and same.stdout.read().strip() == "None"
    finally:
        guard.release()


def test_the_windowed_build_says_ignored_arguments_in_a_window(monkeypatch: Any) -> None:
    """C10 in the windowed exe: PyInstaller leaves sys.stderr at None there, so
    the second launch shows its sentence in a message box instead of printing."""
    from mt5tray.ui import app as tray_app

    assert tray_app.has_console()  # pytest has a stderr
    monkeypatch.setattr(sys, "stderr", None)
    assert not tray_app.has_console()

"""One running mt5tray per user and home folder; a second launch shows the first.

Owns a QLocalServer (a Unix socket, or a named pipe on Windows) whose name comes
from the user and the settings folder, so tests and portable installs (which set
MT5TRAY_HOME) never meet the everyday instance. The first instance listens; a later
one connects, sends "show-status" and should exit 0 at once; the first then emits
`activation_requested` (the tray shows its status window).

CLI commands use the same channel to hand work to the running tray (issue 8):
`serve-requests --once` sends "serve-requests"; the tray answers one line,
"accepted" (a handler queued the job) or "declined", and the command exits
or does the work itself.

A crashed instance can leave its socket file behind on Unix. `acquire()` removes it
only after a connection to it fails, so a live instance is never displaced.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from mt5tray.paths import app_paths

SHOW_STATUS = b"show-status"
SERVE_REQUESTS = b"serve-requests"
# "What were you started with?": answered with the running tray's launch line,
# so a second launch with other arguments can say they were ignored (C10).
LAUNCH_ARGS = b"launch-args"
ACCEPTED, DECLINED = b"accepted", b"declined"
REPLY_TIMEOUT_MS = 2000
CONNECT_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 1000
MAX_MESSAGE = 256


def server_name(config_dir: Path | None = None, user: str | None = None) -> str:
    """A short name unique per (user, settings folder); safe as a socket or pipe name."""
    folder = config_dir if config_dir is not None else app_paths().config_dir
    user = user if user is not None else _current_user()
    key = f"{user}\0{folder.expanduser().resolve()}".encode()
    return "mt5tray-" + hashlib.sha256(key).hexdigest()[:20]


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers): still per home
        return "unknown"


class SingleInstance(QObject):
    """The guard: call acquire() once at start-up, before building the tray."""

    activation_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None,
                 launch: str = "") -> None:
        super().__init__(parent)
        self.name = name if name is not None else server_name()
        # How this launch was started (describe_launch); a second launch asks
        # the running one for its own and compares (running_launch).
        self.launch = launch
        self.running_launch: str | None = None
        self._server: QLocalServer | None = None
        # message -> handler run on the GUI thread; it must only queue work
        # and return whether it took the job (the caller is told which).
        self.handlers: dict[bytes, Callable[[], bool]] = {}

    @property
    def is_primary(self) -> bool:
        return self._server is not None and self._server.isListening()

    @property
    def address(self) -> str | None:
        """Where this instance listens (socket path or pipe name), for logs."""
        return self._server.fullServerName() if self._server is not None else None

    def acquire(self) -> bool:
        """True: this is the first instance, now listening. False: another one runs
        and has been asked to show itself; the caller should exit 0."""
        if self.is_primary:
            return True
        if notify_running_instance(self.name):
            self._ask_launch()
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # Lost a race with another instance starting now, or a stale socket.
            if notify_running_instance(self.name):
                self._ask_launch()
                return False
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                raise RuntimeError(
                    f"cannot listen on local socket {self.name!r}: {server.errorString()}"
                )
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def _ask_launch(self) -> None:
        answer = ask_running_instance(self.name, LAUNCH_ARGS)
        self.running_launch = answer.decode("utf-8", "replace") if answer else None

    def ignored_arguments(self) -> str | None:
        """After acquire() returned False: the sentence saying this launch's
        arguments were ignored because the running one uses others (None when
        they are the same, or the running one could not say)."""
        if self.running_launch is None or self.running_launch == self.launch:
            return None
        return (f"mt5tray is already running ({self.running_launch}) and now shows its status "
                f"window. This launch ({self.launch}) was ignored: quit the running mt5tray "
                "(tray menu, Quit) to start it this way.")

    def release(self) -> None:
        """Stop listening (removes the socket file on Unix)."""
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None

    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(partial(self._read, socket))
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        """One line per connection, then the socket is dropped.

        Dropped here rather than on `disconnected`: a socket also emits that from
        its destructor, and a deleteLater() posted then deletes it twice.
        """
        if socket.canReadLine():
            message = bytes(socket.readLine(MAX_MESSAGE).data()).strip()
            if message == LAUNCH_ARGS:
                self._reply(socket, self.launch.encode("utf-8")[:MAX_MESSAGE - 1])
                return
            handler = self.handlers.get(message)
            if handler is not None:
                self._reply(socket, ACCEPTED if handler() else DECLINED)
                return
            self._drop(socket)
            if message == SHOW_STATUS:
                self.activation_requested.emit()
        elif socket.bytesAvailable() >= MAX_MESSAGE:
            self._drop(socket)  # not our protocol: do not buffer it

    @staticmethod
    def _reply(socket: QLocalSocket, answer: bytes) -> None:
        """One line back, then close once it is written (never blocks)."""
        socket.readyRead.disconnect()
        socket.write(answer + b"\n")
        socket.flush()
        socket.disconnectFromServer()
        socket.deleteLater()

    @staticmethod
    def _drop(socket: QLocalSocket) -> None:
        socket.readyRead.disconnect()
        socket.abort()
        socket.deleteLater()


def describe_launch(simulate: str | None, store_url: str | None) -> str:
    """The launch in words, to compare two launches and to tell the user."""
    if simulate is None:
        what = "on the real terminal"
    elif simulate == "live-demo":
        what = "simulated: the live demo"
    else:
        what = f"simulated: scenario {Path(simulate).name}"
    return what + (f", store {store_url}" if store_url else "")


def notify_running_instance(name: str, message: bytes = SHOW_STATUS) -> bool:
    """Send `message` to the instance listening on `name`.

    True when an instance answered the connection (it runs, even if the message
    could not be delivered); False when nothing listens there.
    """
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(message + b"\n")
    socket.waitForBytesWritten(WRITE_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(WRITE_TIMEOUT_MS)
    return True


def ask_running_instance(name: str, message: bytes,
                         timeout_ms: int = REPLY_TIMEOUT_MS) -> bytes | None:
    """Send `message` to the instance on `name` and return its one-line answer:
    None when nothing listens there, b"" when it answered nothing (a tray from
    before this protocol). Blocking: for CLI commands, never the GUI thread."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return None
    socket.write(message + b"\n")
    socket.waitForBytesWritten(WRITE_TIMEOUT_MS)
    answer = b""
    while not socket.canReadLine() and socket.waitForReadyRead(timeout_ms):
        pass
    if socket.canReadLine():
        answer = bytes(socket.readLine(MAX_MESSAGE).data()).strip()
    socket.abort()
    return answer

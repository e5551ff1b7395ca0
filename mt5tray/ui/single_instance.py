"""One running mt5tray per user and home folder; a second launch shows the first.

Owns a QLocalServer (a Unix socket, or a named pipe on Windows) whose name comes
from the user and the settings folder, so tests and portable installs (which set
MT5TRAY_HOME) never meet the everyday instance. The first instance listens; a later
one connects, sends "show-status" and should exit 0 at once; the first then emits
`activation_requested` (the tray shows its status window).

A crashed instance can leave its socket file behind on Unix. `acquire()` removes it
only after a connection to it fails, so a live instance is never displaced.
"""

from __future__ import annotations

import getpass
import hashlib
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from mt5tray.paths import app_paths

SHOW_STATUS = b"show-status"
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

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name if name is not None else server_name()
        self._server: QLocalServer | None = None

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
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # Lost a race with another instance starting now, or a stale socket.
            if notify_running_instance(self.name):
                return False
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                raise RuntimeError(
                    f"cannot listen on local socket {self.name!r}: {server.errorString()}"
                )
        server.newConnection.connect(self._accept)
        self._server = server
        return True

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
            self._drop(socket)
            if message == SHOW_STATUS:
                self.activation_requested.emit()
        elif socket.bytesAvailable() >= MAX_MESSAGE:
            self._drop(socket)  # not our protocol: do not buffer it

    @staticmethod
    def _drop(socket: QLocalSocket) -> None:
        socket.readyRead.disconnect()
        socket.abort()
        socket.deleteLater()


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

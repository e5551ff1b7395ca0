"""Secrets in the OS keyring (Windows Credential Manager, macOS Keychain,
Secret Service on Linux) and nowhere else.

There is deliberately no plaintext fallback: when the only backend is the
`fail` keyring or a file-based one (keyrings.alt), the user is told what to
install or unlock instead of having passwords land in a file.
"""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors

from mt5tray.core.errors import SecretStoreError
from mt5tray.logs import register_secret

SERVICE = "mt5tray"
# Backends that would keep secrets in plain files or nowhere at all.
_REFUSED_MODULES = ("keyring.backends.fail", "keyrings.alt", "keyring.backends.null")


def mt5_password_key(login: int, server: str) -> str:
    return f"mt5:{server}:{login}"


def describe_backend(backend: keyring.backend.KeyringBackend | None = None) -> str:
    backend = backend or keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


# keyring backend module -> what a user knows it as
_FRIENDLY_BACKENDS = {
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.SecretService": "Secret Service (GNOME Keyring, KeePassXC, ...)",
    "keyring.backends.libsecret": "Secret Service (libsecret)",
    "keyring.backends.kwallet": "KDE Wallet",
    "keyring.backends.chainer": "the system keyring",
    "keyring.backends.fail": "none found",
    "keyring.backends.null": "none (switched off)",
}


def friendly_backend_name(backend: keyring.backend.KeyringBackend | None = None) -> str:
    """The keyring as a user knows it ("Windows Credential Manager"), not a class path."""
    backend = backend or keyring.get_keyring()
    return _FRIENDLY_BACKENDS.get(type(backend).__module__, type(backend).__name__)


def usable_backend_problem() -> str | None:
    """Why the current keyring cannot hold secrets, or None if it can."""
    backend = keyring.get_keyring()
    name = describe_backend(backend)
    if name.startswith(_REFUSED_MODULES) or "Plaintext" in name:
        return (
            "No secure OS keyring is available"
            + ("" if name.startswith("keyring.backends.fail")
               else f" (found: {friendly_backend_name(backend)})") + ". "
            "On Windows and macOS the "
            "system keyring is built in; on Linux install and unlock a Secret Service "
            "provider such as gnome-keyring or KeePassXC."
        )
    return None


class KeyringSecrets:
    """SecretStore over the `keyring` package."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def _check(self) -> None:
        problem = usable_backend_problem()
        if problem:
            raise SecretStoreError(problem)

    def get(self, key: str) -> str | None:
        self._check()
        try:
            value = keyring.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The keyring refused to read {key!r}: {exc}") from exc
        if value:
            register_secret(value)
        return value

    def set(self, key: str, value: str) -> None:
        self._check()
        register_secret(value)
        try:
            keyring.set_password(self.service, key, value)
        except keyring.errors.PasswordSetError as exc:
            raise SecretStoreError(
                f"The keyring refused to store {key!r} ({exc}). Unlock the keyring and retry."
            ) from exc
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The keyring refused to store {key!r}: {exc}") from exc

    def delete(self, key: str) -> None:
        self._check()
        try:
            keyring.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone: deleting is idempotent
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The keyring refused to delete {key!r}: {exc}") from exc

"""Encryption at rest for the Supabase outbox: AES-256-GCM, a fresh 96-bit
nonce per row, the key in the OS keyring.

Why: rows wait in the outbox for as long as Supabase is unreachable, and a
copied state file should not hand over that queue. Payloads are JSON written
with orjson: a full import seals and opens 140,000 rows, which the standard
library's encoder took about ten times longer to do. The key is created on
first use and never leaves the keyring; without a usable keyring the
Supabase store refuses to start (SecretStoreError) instead of writing
plaintext.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mt5tray.core.errors import SecretStoreError
from mt5tray.core.ports import SecretStore

OUTBOX_KEY_NAME = "outbox-key"
_NONCE_BYTES = 12


class UndecryptableEntry(SecretStoreError):
    """A payload that does not open under the current key: sealed with another
    key, or damaged. The outbox sets such an entry aside (store/quarantine.py)."""

    title = "Upload entry unreadable"


class OutboxCipher:
    """Seals and opens outbox payloads (any JSON value)."""

    def __init__(self, secrets: SecretStore, key_name: str = OUTBOX_KEY_NAME) -> None:
        self._secrets = secrets
        self._key_name = key_name
        self._aead: AESGCM | None = None
        self._lock = threading.Lock()

    def ensure_key(self) -> None:
        """Load (or create, on first use) the key now, so a locked keyring is
        reported at start-up rather than in the middle of a sync."""
        self._cipher()

    def _cipher(self) -> AESGCM:
        with self._lock:
            if self._aead is None:
                stored = self._secrets.get(self._key_name)
                if stored:
                    try:
                        key = base64.urlsafe_b64decode(stored.encode("ascii"))
                    except (binascii.Error, UnicodeEncodeError):
                        key = b""  # not base64: refused below like any wrong key
                else:
                    key = AESGCM.generate_key(bit_length=256)
                    self._secrets.set(self._key_name,
                                      base64.urlsafe_b64encode(key).decode("ascii"))
                if len(key) != 32:
                    raise SecretStoreError(
                        f"The keyring entry {self._key_name!r} (service mt5tray) is not a "
                        "256-bit outbox key in base64. Delete that entry in the OS keyring and "
                        "run mt5tray again: it creates a new key, and rows that waited for "
                        "upload are queued again from the local journal."
                    )
                self._aead = AESGCM(key)
            return self._aead

    def seal(self, payload: Any, aad: bytes) -> tuple[bytes, bytes]:
        nonce = os.urandom(_NONCE_BYTES)
        plain = orjson.dumps(payload)
        return nonce, self._cipher().encrypt(nonce, plain, aad)

    def open(self, nonce: bytes, payload: bytes, aad: bytes) -> Any:
        try:
            plain = self._cipher().decrypt(nonce, payload, aad)
        except InvalidTag as exc:
            raise UndecryptableEntry(
                "A row waiting for upload cannot be decrypted (the outbox key in the keyring "
                "changed, or the entry is damaged); it is set aside and queued again from the "
                "journal (`mt5tray uploads status`)."
            ) from exc
        return orjson.loads(plain)

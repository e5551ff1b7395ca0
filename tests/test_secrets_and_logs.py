"""Secrets stay in the keyring and out of every log line."""

from __future__ import annotations

import logging
import os

import keyring
import keyring.backends.fail
import pytest

from mt5tray.core.errors import SecretStoreError
from mt5tray.logs import memory_handler, redact, register_secret, setup_logging
from mt5tray.secrets import KeyringSecrets, mt5_password_key


def test_secrets_round_trip(memory_keyring):
    secrets = KeyringSecrets()
    key = mt5_password_key(123, "Broker-Live")
    secrets.set(key, "s3cret-pass")
    assert secrets.get(key) == "s3cret-pass"
    secrets.delete(key)
    secrets.delete(key)  # idempotent
    assert secrets.get(key) is None


def test_no_keyring_is_a_clear_error_not_a_plaintext_fallback():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(SecretStoreError) as caught:
            KeyringSecrets().set("k", "value")
        assert "No secure OS keyring" in caught.value.message
        assert "gnome-keyring" in caught.value.message
    finally:
        keyring.set_keyring(previous)


def test_redaction_masks_known_values_and_patterns():
    register_secret("hunter2-long")
    line = redact(
        "login failed password=hunter2-long token: abc.def "
        "key eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk sb_secret_XYZ123"
    )
    assert "hunter2-long" not in line and "abc.def" not in line
    assert "eyJhbGci" not in line and "sb_secret_XYZ123" not in line


def test_log_file_and_memory_ring_are_redacted(tmp_path):
    setup_logging(tmp_path, logging.INFO, stderr_level=None)
    register_secret("pa55word-xyz")
    logging.getLogger("test").warning("connecting with %s", "pa55word-xyz")
    try:
        raise RuntimeError("refresh_token=abcdef123456 rejected")
    except RuntimeError:
        logging.getLogger("test").exception("auth failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (tmp_path / "mt5tray.log").read_text()
    assert "pa55word-xyz" not in text and "abcdef123456" not in text
    assert "[redacted]" in text
    assert all("pa55word-xyz" not in line for _, line in memory_handler.records)


@pytest.mark.keyring_real
def test_real_secret_service_keyring():
    """Runs inside tests/run.sh's D-Bus session with an unlocked gnome-keyring."""
    backend = keyring.get_keyring()
    name = type(backend).__module__
    if "SecretService" not in name:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide a Secret Service keyring, got {name}")
        pytest.skip(f"no Secret Service keyring here ({name}); run via tests/run.sh")
    secrets = KeyringSecrets(service="mt5tray-test")
    secrets.set("probe", "real-keyring-value")
    try:
        assert secrets.get("probe") == "real-keyring-value"
    finally:
        secrets.delete("probe")
    assert secrets.get("probe") is None

"""Logging: a rotating file in the per-user log dir, stderr, and an
in-memory ring the log window tails, all behind one redacting filter.

Redaction runs on the formatted message, so a secret is masked whichever
handler prints it: known secret values (registered when read from the
keyring), JWTs, Supabase secret keys and `password=`-style pairs.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

MASK = "[redacted]"
_PATTERNS = [
    re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),  # JWTs (sessions, legacy keys)
    re.compile(r"sb_secret_[\w-]+"),
    re.compile(
        r"(?i)\b(password|passwd|pwd|secret|token|refresh_token|access_token|api_?key|apikey)"
        r"(\s*[=:]\s*[\"']?)([^\s\"',&}]+)"
    ),
]
_known_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Mask this exact value in every log line from now on."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    with _secrets_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _PATTERNS[0].sub(MASK, text)
    text = _PATTERNS[1].sub(MASK, text)
    return _PATTERNS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class MemoryLogHandler(logging.Handler):
    """Keeps the last `capacity` formatted lines for the log window."""

    def __init__(self, capacity: int = 5000) -> None:
        super().__init__()
        self.records: deque[tuple[int, str]] = deque(maxlen=capacity)
        self.listeners: list[Callable[[int, str], None]] = []
        # Lines ever appended: with `records`, read under `self.lock`, a reader
        # knows which lines are new even after the ring dropped old ones.
        self.total = 0

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.records.append((record.levelno, line))
        self.total += 1
        for listener in list(self.listeners):
            try:
                listener(record.levelno, line)
            except Exception:  # noqa: BLE001 - e.g. a log window already deleted by Qt
                # Logging must never raise into the code that logged (it once failed a
                # sign-in): a listener that cannot take a line is dropped.
                with contextlib.suppress(ValueError):
                    self.listeners.remove(listener)


_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# The log window is read by traders: no module names, no milliseconds, and
# (like the console) no traceback; those stay in the file.
_WINDOW_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
_WINDOW_DATES = "%Y-%m-%d %H:%M:%S"


class ConsoleFormatter(logging.Formatter):
    """The console gets the message alone: a traceback goes to the log file
    (and the log window) only, never in the user's face."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return f"{text} (details in the log file)" if saved[0] or saved[1] else text
memory_handler = MemoryLogHandler()


def setup_logging(
    log_dir: Path | None, level: int = logging.INFO, stderr_level: int | None = logging.WARNING
) -> None:
    """Install the handlers; calling again replaces them. The file and the
    memory ring get `level`; stderr (None: off) only what the user must see."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    memory_handler.setLevel(level)
    handlers: list[logging.Handler] = [memory_handler]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / "mt5tray.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
        file_handler.setLevel(level)
        handlers.append(file_handler)
    if stderr_level is not None:
        console = logging.StreamHandler()
        console.setLevel(stderr_level)
        handlers.append(console)
    redactor = RedactingFilter()
    for handler in handlers:
        console_only = type(handler) is logging.StreamHandler
        if handler is memory_handler:
            handler.setFormatter(ConsoleFormatter(_WINDOW_FORMAT, _WINDOW_DATES))
        else:
            handler.setFormatter((ConsoleFormatter if console_only else logging.Formatter)(
                _FORMAT))
        handler.addFilter(redactor)
        root.addHandler(handler)
    root.setLevel(min(level, stderr_level or level))

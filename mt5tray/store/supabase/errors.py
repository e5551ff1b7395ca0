"""Vendor errors of supabase-py turned into the app's typed, readable errors.

supabase-py gives `postgrest.APIError` without an HTTP status, auth errors
of its own, and raw httpx exceptions for network trouble; this module is the
one place that knows them. The HTTP status comes from an httpx response
hook (`StatusTracker`), since APIError alone cannot tell a 503 from a 400.

Classification drives retries: `StoreUnavailable` (network, 5xx, 429) is
retried with backoff, `BatchTooLarge` (a timeout, or HTTP 413) is sent again
in halves, `TokenRejected` means "refresh the session once and retry",
everything else is an `ActionRequired` that retrying cannot fix.
"""

from __future__ import annotations

import base64
import json
import logging
import threading

import httpx
from postgrest import APIError
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError

from mt5tray.core.errors import (
    Mt5TrayError,
    StoreAuthRequired,
    StoreMisconfigured,
    StoreRejected,
    StoreUnavailable,
)

log = logging.getLogger(__name__)
LOGIN_HINT = ("sign in again (Settings… > Sign in… in the tray, or `mt5tray login` on the "
              "command line)")
MIGRATIONS_HINT = "apply the migrations in supabase/migrations to the Supabase project"


class TokenRejected(StoreUnavailable):
    """The access token was refused (expired or invalid): refresh once, retry."""

    title = "Supabase session expired"


class BatchTooLarge(StoreUnavailable):
    """The request timed out (client read/write timeout or PostgreSQL's
    statement_timeout) or was too large for the API gateway (HTTP 413): the
    same batch would fail again, so the flusher sends it in halves instead."""


class RowRejected(StoreRejected):
    """PostgreSQL refused the data itself (SQLSTATE class 22, data exception,
    e.g. 22P05 untranslatable character; or class 23, a constraint, except
    23503): one row of the batch is at fault, not the connection or the user.
    The flusher narrows the batch down to that row and sets it aside."""

    title = "Upload refused"

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def row_level(code: str) -> bool:
    """SQLSTATEs that blame a row (PostgreSQL Appendix A, classes 22 and 23).
    23503 (foreign key) is left out: it blames the account mapping, which
    every row of that account shares."""
    return code[:2] in ("22", "23") and code != "23503"


class StatusTracker:
    """Remembers, per thread, the status of the last HTTP response."""

    def __init__(self) -> None:
        self._local = threading.local()

    def hook(self, response: httpx.Response) -> None:
        self._local.status = response.status_code

    def reset(self) -> None:
        self._local.status = None

    @property
    def last(self) -> int | None:
        return getattr(self._local, "status", None)


def is_service_role_key(key: str) -> bool:
    """A key that bypasses row level security: `sb_secret_…` or a legacy JWT
    whose `role` claim is service_role (read without verifying: we only warn)."""
    if key.startswith("sb_secret_"):
        return True
    parts = key.split(".")
    if len(parts) != 3:
        return False
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(claims, dict) and claims.get("role") == "service_role"


def translate(exc: BaseException, url: str, status: int | None = None) -> Mt5TrayError:
    """A readable typed error for anything supabase-py or httpx raised."""
    if isinstance(exc, Mt5TrayError):
        return exc
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return StoreUnavailable(f"Cannot reach Supabase at {url} (no connection in time). Rows "
                                "wait locally and are sent when it is back.")
    if isinstance(exc, httpx.TimeoutException):
        return BatchTooLarge(f"Supabase at {url} did not answer in time; rows wait locally "
                             "and are sent later.")
    if isinstance(exc, httpx.TransportError):
        return StoreUnavailable(
            f"Cannot reach Supabase at {url} ({type(exc).__name__}: {exc}). Rows wait locally "
            "and are sent when it is back; if this persists, check the URL in settings."
        )
    if isinstance(exc, APIError):
        return _from_api_error(exc, url, status)
    if isinstance(exc, AuthError):
        return _from_auth_error(exc, url)
    log.warning("Unexpected Supabase error", exc_info=exc)
    return StoreUnavailable(
        f"Supabase at {url} answered in a way mt5tray does not understand "
        f"({type(exc).__name__}). Rows wait locally and are sent at a later sync; the details "
        "are in the log file (mt5tray.log).")


def _invalid_key(message: str) -> bool:
    return "invalid api key" in message.lower() or "no api key found" in message.lower()


def _from_api_error(exc: APIError, url: str, status: int | None) -> Mt5TrayError:
    code, message = exc.code or "", exc.message or str(exc)
    detail = f"{message} ({code})" if code else message
    if _invalid_key(message):
        return StoreMisconfigured(
            "Supabase refused the API key (Invalid API key): put the project's publishable "
            "key in the Supabase settings (the project's API settings show it)."
        )
    if code in ("PGRST301", "PGRST302", "PGRST303"):
        return TokenRejected(f"Supabase refused the access token: {detail}; {LOGIN_HINT}.")
    if code in ("PGRST205", "PGRST202", "PGRST204", "42P01", "42883"):
        return StoreMisconfigured(f"The Supabase schema is missing or outdated: {detail}; "
                                  f"{MIGRATIONS_HINT}.")
    if code == "57014" or status == 413:
        return BatchTooLarge(f"Supabase could not take the batch in time ({detail}); rows wait "
                             "locally and are sent in smaller batches.")
    if code == "42501":
        return StoreRejected(
            f"Supabase refused a row under row level security ({message}): the signed-in "
            "user may not write it. Sign in as the account's owner (Settings… > Sign in…, "
            "or `mt5tray login`)."
        )
    if code == "23503":
        return StoreRejected(f"Supabase refused a row that points at an account it does not "
                             f"know for this user ({message}).")
    if row_level(code):
        return RowRejected(f"Supabase refused the row: {detail}", code)
    if status is not None and (status >= 500 or status == 429):
        return StoreUnavailable(f"Supabase is having trouble (HTTP {status}: {detail}); rows "
                                "wait locally and are sent later.")
    if status == 404:
        return StoreMisconfigured(f"{url} does not look like a Supabase project (HTTP 404): "
                                  "check the URL in settings.")
    if status == 401:
        return StoreAuthRequired(f"Supabase refused the request: {detail}; {LOGIN_HINT}.")
    return StoreRejected(f"Supabase refused the data: {detail}"
                         + (f" (hint: {exc.hint})" if exc.hint else ""))


def _from_auth_error(exc: AuthError, url: str) -> Mt5TrayError:
    message = getattr(exc, "message", None) or str(exc)
    code = getattr(exc, "code", None) or ""
    status = getattr(exc, "status", None)
    if isinstance(exc, AuthRetryableError):
        if status in (None, 0):
            return StoreUnavailable(
                f"Cannot reach Supabase at {url} ({message}). Rows wait locally and are sent "
                "when it is back; if this persists, check the URL in settings."
            )
        return StoreUnavailable(f"Supabase sign-in service is having trouble (HTTP {status}).")
    if _invalid_key(message):
        return StoreMisconfigured(
            "Supabase refused the API key (Invalid API key): put the project's publishable "
            "key in the Supabase settings (the project's API settings show it)."
        )
    if code == "invalid_credentials":
        return StoreAuthRequired("Supabase refused the email or password.")
    if code.startswith("refresh_token") or code in ("session_not_found", "session_expired",
                                                    "bad_jwt", "user_not_found"):
        return StoreAuthRequired(f"Your Supabase session expired or was revoked ({message}); "
                                 f"{LOGIN_HINT}.")
    if isinstance(exc, AuthApiError) and status == 404:
        return StoreMisconfigured(f"{url} does not look like a Supabase project (auth answered "
                                  "HTTP 404): check the URL in settings.")
    if isinstance(exc, AuthApiError) and status is not None and (status >= 500 or status == 429):
        return StoreUnavailable(f"Supabase sign-in service is having trouble (HTTP {status}).")
    return StoreAuthRequired(f"Supabase sign-in failed: {message}; {LOGIN_HINT}.")

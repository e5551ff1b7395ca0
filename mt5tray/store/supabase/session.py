"""The agent's Supabase session: one supabase-py client, signed in as the
trader, kept alive unattended for months.

Only the refresh token is kept, in the OS keyring (the session JSON is too
big for Windows Credential Manager and holds more than we need). Tokens
rotate on every refresh, so each new one is saved the moment supabase-py
reports it. The client runs with `persist_session=False` (no storage, so
the storage `remove_item` trap cannot wipe the token) and without its
auto-refresh timer (it dies silently after long outages): `ensure()` is
called before each flush and refreshes when needed. `sign_out` is only
called by `mt5tray logout`, never on exit: it revokes the session.

Other mt5tray processes on the PC (`mt5tray sync` beside the tray) rotate the
same keyring entry, and presenting a token another process already spent
makes Supabase revoke the session for the whole PC. So every refresh happens
holding the home lock (`exclusive`) and starts from what the keyring holds
now, not from the token in memory (issue 8).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import httpx
from supabase import Client, ClientOptions, create_client
from supabase_auth.types import SignInWithEmailAndPasswordCredentials

from mt5tray.core.errors import (
    SettingsError,
    StoreAuthRequired,
    StoreMisconfigured,
    StoreUnavailable,
)
from mt5tray.core.ports import SecretStore
from mt5tray.store.supabase.errors import StatusTracker, is_service_role_key, translate

log = logging.getLogger(__name__)

REFRESH_TOKEN_KEY = "supabase-refresh-token"
T = TypeVar("T")


def check_connection_settings(url: str, key: str, allow_service_role_key: bool) -> None:
    """Refuse settings that cannot work, or that would bypass RLS unasked."""
    if not url or not key:
        raise SettingsError(
            "Supabase is not configured: enter the project URL (https://<project>.supabase.co) "
            "and its publishable key in Settings…, or run `mt5tray login --url ... --key ...`."
        )
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"The Supabase URL {url!r} must start with https://.")
    if is_service_role_key(key) and not allow_service_role_key:
        raise StoreMisconfigured(
            "The configured key is a service-role/secret key: it bypasses row level security "
            "for every trader and does not belong on a trader's PC. Use the project's "
            "publishable (anon) key, or set supabase.allow_service_role_key = true if this "
            "really is a trusted server."
        )


class SupabaseSession:
    """A signed-in supabase-py client and its refresh token in the keyring."""

    def __init__(self, url: str, key: str, secrets: SecretStore,
                 allow_service_role_key: bool = False, timeout_s: float = 30,
                 exclusive: Callable[[], AbstractContextManager[object]] = nullcontext) -> None:
        check_connection_settings(url, key, allow_service_role_key)
        # Held while the session (or the outbox, see flush.py) changes: the
        # home lock, shared with the other mt5tray processes of this home.
        self.exclusive = exclusive
        self.url = url.rstrip("/")
        self.key = key
        self.secrets = secrets
        self.status = StatusTracker()
        self._http = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10)),
                                  event_hooks={"response": [self.status.hook]})
        self._client: Client | None = None
        self._saved_token: str | None = None
        self.email: str | None = None  # of the last session seen; no network to read it
        self._lock = threading.RLock()

    @property
    def uses_service_role_key(self) -> bool:
        return is_service_role_key(self.key)

    @property
    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                options = ClientOptions(httpx_client=self._http, auto_refresh_token=False,
                                        persist_session=False)
                self._client = create_client(self.url, self.key, options)
                self._client.auth.on_auth_state_change(self._on_auth_event)
            return self._client

    def _on_auth_event(self, event: str, session: Any) -> None:
        token = getattr(session, "refresh_token", None)
        user = getattr(session, "user", None)
        if user is not None and getattr(user, "email", None):
            self.email = str(user.email)
        if event in ("SIGNED_IN", "TOKEN_REFRESHED") and token and token != self._saved_token:
            self.secrets.set(REFRESH_TOKEN_KEY, token)  # rotated: the old one is spent
            self._saved_token = token

    def call(self, fn: Callable[[], T]) -> T:
        """Run one supabase-py call; raise the app's typed error on failure."""
        self.status.reset()
        try:
            return fn()
        except Exception as exc:
            raise translate(exc, self.url, self.status.last) from exc

    # --- signing in and out ----------------------------------------------------------

    def sign_in(self, email: str, password: str) -> str:
        """Sign in with email and password; returns the signed-in email."""
        with self.exclusive(), self._lock:
            credentials = SignInWithEmailAndPasswordCredentials(email=email, password=password,
                                                                options={})
            try:
                response = self.call(
                    lambda: self.client.auth.sign_in_with_password(credentials))
            except StoreUnavailable as exc:  # the upload wording ("rows wait...") fits no sign-in
                raise StoreUnavailable(
                    f"Cannot reach Supabase at {self.url}. "
                    "Check the internet connection and the Supabase URL in settings, then "
                    "sign in again.") from exc
            user = response.user
            return (user.email if user else None) or email

    def sign_out(self) -> bool:
        """Revoke this session on the server and forget the token; returns False
        when the server could not be told (the token is forgotten anyway)."""
        with self.exclusive(), self._lock:
            revoked = True
            try:
                if self.has_saved_token():
                    self.ensure()
                    self.call(lambda: self.client.auth.sign_out({"scope": "local"}))
            except Exception as exc:  # still forget the token locally
                log.warning("Could not revoke the Supabase session: %s", exc)
                revoked = False
            self.secrets.delete(REFRESH_TOKEN_KEY)
            self._saved_token = self.email = None
            return revoked

    def has_saved_token(self) -> bool:
        return bool(self.secrets.get(REFRESH_TOKEN_KEY))

    # --- keeping the session alive -------------------------------------------------------

    def ensure(self) -> Any:
        """A current session: restored from the keyring's refresh token when
        the client has none or another process rotated the token since, and
        refreshed when the access token is (nearly) expired."""
        with self.exclusive(), self._lock:
            auth = self.client.auth
            token = self.secrets.get(REFRESH_TOKEN_KEY)
            if not token:
                raise StoreAuthRequired("Not signed in to Supabase: sign in from Settings… > Sign "
                                        "in…, or run `mt5tray login`.")
            if token == self._saved_token:  # ours is current: refresh it when due
                session = self.call(auth.get_session)  # refreshes (and rotates) near expiry
                if session is not None:
                    return session
            self._saved_token = token
            return self.call(lambda: auth.refresh_session(token)).session

    def refresh(self) -> None:
        """Refresh now (after the API refused the access token)."""
        with self.exclusive(), self._lock:
            rotated_elsewhere = self.secrets.get(REFRESH_TOKEN_KEY) != self._saved_token
            self.ensure()  # from the keyring's token: a refresh already
            if not rotated_elsewhere:
                self.call(self.client.auth.refresh_session)

    def user(self) -> tuple[str, str]:
        """(id, email) of the signed-in user."""
        session = self.ensure()
        return str(session.user.id), str(session.user.email or "")

    def close(self) -> None:
        """Close the HTTP client; never signs out (that would revoke the session)."""
        self._http.close()

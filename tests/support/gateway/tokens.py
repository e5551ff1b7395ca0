"""API keys and JWTs for the test gateway, the way a Supabase project has them.

One HS256 secret signs everything: the legacy `anon` and `service_role` keys
(JWTs carrying a `role` claim), and the access tokens the auth endpoints
issue. The new-style `sb_publishable_…` / `sb_secret_…` keys are accepted
too; like Supabase's API gateway, a request whose bearer is such a key runs
as that key's role.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from .errors import HttpError, pgrst_error

_TEN_YEARS = 10 * 365 * 24 * 3600


def _invalid_token(code: str, message: str) -> HttpError:
    error = pgrst_error(401, code, message)
    error.headers["WWW-Authenticate"] = (
        f'Bearer error="invalid_token", error_description="{message}"'
    )
    return error


class Tokens:
    """The project's JWT secret and API keys."""

    def __init__(self, secret: str | None = None, ref: str = "mt5traytest") -> None:
        self.secret = secret or secrets.token_urlsafe(32)
        self.ref = ref
        self.anon_key = self._legacy_key("anon")
        self.service_role_key = self._legacy_key("service_role")
        self.publishable_key = "sb_publishable_" + secrets.token_urlsafe(16)
        self.secret_key = "sb_secret_" + secrets.token_urlsafe(16)

    def _legacy_key(self, role: str) -> str:
        now = int(time.time())
        return self.sign({"iss": "supabase", "ref": self.ref, "role": role,
                          "iat": now, "exp": now + _TEN_YEARS})

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def key_role(self, apikey: str | None) -> str | None:
        """The role an API key stands for, or None for an unknown key."""
        return {
            self.anon_key: "anon",
            self.publishable_key: "anon",
            self.service_role_key: "service_role",
            self.secret_key: "service_role",
        }.get(apikey or "")

    def claims_for_bearer(self, token: str) -> dict[str, Any]:
        """Verify a bearer token like PostgREST does (raises PGRST301/PGRST303)."""
        if token in (self.publishable_key, self.secret_key):
            return {"role": self.key_role(token)}
        parts = token.count(".") + 1
        if parts != 3:
            raise _invalid_token("PGRST301", f"Expected 3 parts in JWT; got {parts}")
        try:
            return jwt.decode(
                token, self.secret, algorithms=["HS256"], options={"verify_aud": False}
            )
        except jwt.ExpiredSignatureError:
            raise _invalid_token("PGRST303", "JWT expired") from None
        except jwt.InvalidSignatureError:
            raise _invalid_token("PGRST301", "JWSError JWSInvalidSignature") from None
        except jwt.PyJWTError as exc:
            raise _invalid_token("PGRST301", f"JWSError {exc}") from None

    def verify_quietly(self, token: str) -> dict[str, Any] | None:
        """Claims of a token we signed, or None when it is invalid or expired."""
        try:
            return jwt.decode(
                token, self.secret, algorithms=["HS256"], options={"verify_aud": False}
            )
        except jwt.PyJWTError:
            return None

"""HTTP responses and errors shaped like PostgREST's and Supabase's.

`HttpError` carries a status and a JSON payload; handlers raise it and the
server turns it into a response. `from_postgres` maps a PostgreSQL error to
PostgREST's `{"code", "message", "details", "hint"}` with the status
PostgREST picks for that SQLSTATE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return cls.raw_json(status, json.dumps(payload), headers)

    @classmethod
    def raw_json(cls, status: int, text: str, headers: dict[str, str] | None = None) -> Response:
        all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, text.encode("utf-8"), all_headers)


class HttpError(Exception):
    def __init__(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(payload.get("message") or payload.get("msg") or str(payload))
        self.status = status
        self.payload = payload
        self.headers = headers or {}

    def response(self) -> Response:
        return Response.json(self.status, self.payload, self.headers)


def pgrst_error(
    status: int, code: str, message: str, details: str | None = None, hint: str | None = None
) -> HttpError:
    return HttpError(status, {"code": code, "details": details, "hint": hint, "message": message})


# SQLSTATE (or class prefix) -> HTTP status, as in PostgREST's Error.hs.
_EXACT = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "P0001": 400,
    "42883": 404,
    "42P01": 404,
}
_PREFIX = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500,
    "38": 500, "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500,
    "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500, "XX": 500,
}


def status_for(sqlstate: str, message: str, role: str) -> int:
    if sqlstate == "42501":
        return 401 if role == "anon" else 403
    if sqlstate == "21000":
        # pg-safeupdate's refusal is the client's fault; any other
        # cardinality violation (ON CONFLICT hitting a row twice) is a 500.
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate in _EXACT:
        return _EXACT[sqlstate]
    if sqlstate.startswith("PT") and sqlstate[2:].isdigit():
        # PostgREST: a raised SQLSTATE PTnnn answers HTTP status nnn ("Raise
        # errors with HTTP Status Codes" in its errors reference); the
        # status text (the message) is not reproduced here.
        status = int(sqlstate[2:])
        return status if 100 <= status <= 599 else 500
    return _PREFIX.get(sqlstate[:2], 400)


def from_postgres(error: psycopg.Error, role: str) -> HttpError:
    diag = error.diag
    sqlstate = error.sqlstate or "XX000"
    message = diag.message_primary or str(error).strip()
    return pgrst_error(
        status_for(sqlstate, message, role),
        sqlstate,
        message,
        details=diag.message_detail,
        hint=diag.message_hint,
    )


def bad_request(message: str, details: str | None = None) -> HttpError:
    """PostgREST's generic request-parsing error (PGRST100)."""
    return pgrst_error(400, "PGRST100", message, details)

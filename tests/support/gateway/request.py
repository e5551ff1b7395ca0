"""One PostgREST request as the REST handlers see it, and the JSON responses they send."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import Response, pgrst_error
from .sql import RESERVED_PARAMS

OBJECT_MEDIA = "application/vnd.pgrst.object+json"


@dataclass
class RestRequest:
    method: str
    route: str  # "<table>" or "rpc/<function>"
    params: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    role: str
    claims: dict[str, Any]

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)

    @property
    def filters(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.params if k not in RESERVED_PARAMS]

    @property
    def prefer(self) -> dict[str, str]:
        items = [p.strip() for p in self.headers.get("prefer", "").replace(";", ",").split(",")]
        return dict(p.split("=", 1) for p in items if "=" in p)

    @property
    def wants_object(self) -> bool:
        return self.headers.get("accept", "").startswith(OBJECT_MEDIA)


def read_body(req: RestRequest, expect_object: bool) -> list[dict[str, Any]]:
    """The JSON body as a list of objects (PGRST102 when it is not JSON objects)."""
    try:
        data = json.loads(req.body or b"{}", parse_float=Decimal)
    except ValueError as exc:
        raise pgrst_error(400, "PGRST102", "Empty or invalid json", details=str(exc)) from None
    rows = [data] if isinstance(data, dict) else data
    if (not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows)
            or (expect_object and not isinstance(data, dict))):
        raise pgrst_error(400, "PGRST102", "Empty or invalid json")
    return rows


def rows_response(status: int, req: RestRequest, text: str, n: int, total: int | None,
                  offset: int) -> Response:
    """PostgREST's answer for `n` rows (`text` is their JSON array)."""
    end = f"{offset}-{offset + n - 1}" if n else "*"
    headers = {"Content-Range": f"{end}/{'*' if total is None else total}"}
    if req.method == "GET" and total is not None and n < total:
        status = 206
    writing = req.method in ("POST", "PATCH", "DELETE") and not req.route.startswith("rpc/")
    if writing and req.prefer.get("return") != "representation":
        return Response(201 if req.method == "POST" else 204, b"", headers)
    if req.wants_object:
        if n != 1:
            raise pgrst_error(406, "PGRST116", "Cannot coerce the result to a single JSON "
                              "object", details=f"The result contains {n} rows")
        text = text.strip()[1:-1]
    return Response.raw_json(status, text, headers)

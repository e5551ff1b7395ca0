"""CORS for the test gateway: what a browser needs before supabase-js may call it.

A page on another origin (the dashboard in web/) makes the browser send a
preflight `OPTIONS` with `Origin`, `Access-Control-Request-Method` and
`Access-Control-Request-Headers`, and then lets it read only the response
headers the server exposes. What Chromium asked for on behalf of
supabase-js 2.119 (seen in the dashboard's test):
  GET  /rest/v1/<table>     accept-profile,apikey,authorization,x-client-info
  POST /rest/v1/rpc/<fn>    apikey,authorization,content-profile,content-type,x-client-info
  POST /auth/v1/token       apikey,authorization,content-type,x-client-info,
                            x-supabase-api-version
(plus prefer when a call asks for a count or a representation).

Modelled on PostgREST's documented behaviour (docs.postgrest.org,
references/api/cors: "highly permissive" by default; a preflight is answered
200 with the Origin reflected,
`Access-Control-Allow-Credentials: true`, the methods GET, POST, PATCH, PUT,
DELETE, OPTIONS, HEAD, and `Access-Control-Max-Age: 86400`) and on its
source's fixed expose list (Content-Encoding, Content-Location, Content-Range,
Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit).

Where this differs from a hosted Supabase project:
- One policy serves /rest/v1 and /auth/v1. GoTrue (and the project's API
  gateway in front of both) answers with a fixed list of allowed headers; we
  reflect whatever the browser asks for, as PostgREST does, so a header the
  real Auth server would refuse passes here.
- There is no allowed-origins setting: every origin is accepted, which is
  PostgREST's and Supabase's default.
"""

from __future__ import annotations

from .errors import Response

ALLOWED_METHODS = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
EXPOSED_HEADERS = ("Content-Encoding, Content-Location, Content-Range, Content-Type, Date, "
                   "Location, Server, Transfer-Encoding, Range-Unit")
MAX_AGE_S = 86400


def is_preflight(method: str, headers: dict[str, str]) -> bool:
    """An OPTIONS request a browser sends before a cross-origin call."""
    return method == "OPTIONS" and "origin" in headers \
        and "access-control-request-method" in headers


def preflight(headers: dict[str, str]) -> Response:
    """PostgREST's 200 to a preflight (no API key is needed: browsers send none)."""
    allow = {
        "Access-Control-Allow-Origin": headers["origin"],
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Max-Age": str(MAX_AGE_S),
        "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    }
    requested = headers.get("access-control-request-headers", "").strip()
    if requested:
        allow["Access-Control-Allow-Headers"] = requested
    return Response(200, b"", allow)


def response_headers(headers: dict[str, str]) -> dict[str, str]:
    """The CORS headers on an actual (non-preflight) response to a browser."""
    origin = headers.get("origin")
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }

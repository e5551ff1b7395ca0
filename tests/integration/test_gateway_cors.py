"""The test gateway answers browsers the way PostgREST does (CORS), and only browsers."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.postgres

ORIGIN = "http://127.0.0.1:8123"


def test_a_preflight_is_answered_without_an_api_key(gateway) -> None:
    requested = "accept-profile,apikey,authorization,x-client-info"
    response = httpx.options(f"{gateway.url}/rest/v1/trades?select=*", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": requested})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-headers"] == requested
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-max-age"] == "86400"


def test_a_browser_may_read_the_content_range(gateway) -> None:
    response = httpx.get(f"{gateway.url}/rest/v1/trades?select=ticket", headers={
        "Origin": ORIGIN, "apikey": gateway.service_role_key, "Prefer": "count=exact"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "Content-Range" in response.headers["access-control-expose-headers"]


def test_errors_carry_cors_headers_too(gateway) -> None:
    # Without them the browser hides the body and supabase-js sees only "Failed to fetch".
    response = httpx.get(f"{gateway.url}/rest/v1/trades", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_clients_that_are_not_browsers_get_no_cors_headers(gateway) -> None:
    response = httpx.get(f"{gateway.url}/rest/v1/trades",
                         headers={"apikey": gateway.service_role_key})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers

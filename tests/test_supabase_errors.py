"""How vendor errors are classified decides what the flusher does next:
retry, send in halves, refresh the session, or ask the user."""

from __future__ import annotations

import httpx
import pytest
from postgrest import APIError

from mt5tray.core.errors import StoreMisconfigured, StoreUnavailable
from mt5tray.store.supabase.errors import BatchTooLarge, translate

URL = "https://abc.supabase.co"


@pytest.mark.parametrize("exc, status", [
    (httpx.ReadTimeout("read timed out"), None),
    (httpx.WriteTimeout("write timed out"), None),
    (APIError({"code": "57014", "message": "canceling statement due to statement timeout"}),
     500),
    (APIError({"message": "Request Entity Too Large"}), 413),
])
def test_timeouts_and_oversized_requests_ask_for_smaller_batches(exc, status) -> None:
    error = translate(exc, URL, status)
    assert isinstance(error, BatchTooLarge)
    assert "rows wait locally" in error.message


@pytest.mark.parametrize("exc", [httpx.ConnectTimeout("no route"), httpx.ConnectError("refused")])
def test_an_unreachable_server_is_retried_without_splitting(exc) -> None:
    error = translate(exc, URL)
    assert isinstance(error, StoreUnavailable) and not isinstance(error, BatchTooLarge)
    assert URL in error.message


def test_a_missing_table_points_at_the_migrations() -> None:
    error = translate(APIError({"code": "PGRST205", "message": "Could not find the table"}),
                      URL, 404)
    assert isinstance(error, StoreMisconfigured)
    assert "supabase/migrations" in error.message


@pytest.mark.parametrize("code, status, row_level", [
    ("22P05", 400, True),   # unsupported Unicode escape sequence (a NUL in text)
    ("22003", 400, True),   # numeric value out of range
    ("23502", 400, True),   # not-null violation
    ("23514", 400, True),   # check violation
    ("23503", 409, False),  # foreign key: blames the account mapping, shared by every row
    ("42501", 403, False),  # row level security: blames the user
])
def test_only_errors_that_blame_one_row_set_that_row_aside(code, status, row_level) -> None:
    from mt5tray.store.supabase.errors import RowRejected

    error = translate(APIError({"code": code, "message": "refused"}), URL, status)
    assert isinstance(error, RowRejected) is row_level

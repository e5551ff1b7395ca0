"""The tray's words from a snapshot (issue 11: C4, C8, P3): the tooltip never
contradicts the cards, tells a failed attempt from the last success, names a
warning's cause and stays within what Windows shows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mt5tray.core.snapshot import AccountSnapshot, AppSnapshot, last_sync_text, next_sync_text
from mt5tray.core.tray_text import TOOLTIP_MAX, status_line, tray_tooltip

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)


def account(**kw) -> AccountSnapshot:
    base = dict(login=5090001, server="MT5Tray-Demo", label=None, state="success",
                last_attempt_at=NOW - timedelta(minutes=2), last_attempt_status="success",
                last_success_at=NOW - timedelta(minutes=2))
    return AccountSnapshot(**{**base, **kw})


def snap(*accounts: AccountSnapshot, **kw) -> AppSnapshot:
    base = dict(taken_at=NOW, state="ok", headline="Journal up to date",
                next_sync_at=NOW + timedelta(minutes=3, seconds=10))
    return AppSnapshot(accounts=accounts, **{**base, **kw})


def test_up_to_date() -> None:
    s = snap(account())
    assert tray_tooltip(s, NOW) == ("mt5tray: Journal up to date\nLast sync 2 min ago\n"
                                    "Next sync in 3 min")
    assert status_line(s, NOW) == "Up to date · synced 2 min ago"
    assert next_sync_text(s, s.accounts[0], NOW) == "Next sync in 3 min 10 s"


def test_an_account_that_waits_for_the_user_has_no_next_sync() -> None:
    waiting = account(state="failed", last_attempt_status="failed", waits_for_user=True,
                      last_attempt_at=NOW, last_success_at=NOW - timedelta(hours=2))
    s = snap(waiting, state="error", headline="Wrong password")
    tip = tray_tooltip(s, NOW)
    assert "Next sync" not in tip and "Waits for you: fix it, then Sync Now" in tip
    assert next_sync_text(s, waiting, NOW) == "Waits for you: fix it, then Sync Now"
    assert "Last attempt failed just now · last success 2 h ago" in tip
    assert last_sync_text(waiting, NOW) == "Last attempt failed just now · last success 2 h ago"
    assert status_line(s, NOW) == "Sync failed · synced 2 h ago"


def test_paused_and_never_synced() -> None:
    s = snap(account(last_attempt_at=None, last_attempt_status=None, last_success_at=None,
                     state="never"), state="paused", headline="Automatic sync paused",
             paused=True, next_sync_at=None)
    assert tray_tooltip(s, NOW) == "mt5tray: Automatic sync paused\nNot synced yet"
    assert status_line(s, NOW) == "Paused · not synced yet"


def test_a_long_warning_is_cut_to_what_windows_shows() -> None:
    s = snap(account(), state="warning",
             headline="6,278 rows waiting to upload: " + "a very long reason " * 10)
    tip = tray_tooltip(s, NOW)
    assert len(tip) <= TOOLTIP_MAX and tip.endswith("…")
    assert tip.startswith("mt5tray: 6,278 rows waiting to upload: a very long reason")

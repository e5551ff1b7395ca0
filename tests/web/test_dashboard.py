"""The reference dashboard (web/) end to end in headless Chromium.

Real parts throughout: Debian's Chromium driven by Selenium; the page's
vendored supabase-js talking cross-origin (CORS) to the test gateway over
PostgreSQL with the project's migrations and row level security; a real
mt5tray agent (Supabase mode, simulated terminal) serving Sync Now requests
on a thread the way `mt5tray serve-requests` does (`SupabaseAgent.tick`).
Screenshots land in $MT5TRAY_TEST_ARTIFACTS (dashboard-*.png).
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from mt5tray.terminal import sim as simulated
from tests.support.browser import WEB_DIR, headless_chromium, serve_web
from tests.web.fixtures import HISTORY_DEALS
from tests.web.page import (
    FINAL,
    card,
    click_sync_now,
    config_js,
    console_errors,
    shot,
    sign_in,
    sign_in_here,
    sync_state,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

NEW_DEALS = 12


def sync_log(pg, sync_id: str) -> dict[str, Any]:
    with pg.connect() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        row = cur.execute("select * from sync_logs where id = %s", [sync_id]).fetchone()
    assert row is not None
    return row


def test_sync_now_from_the_dashboard_is_served_by_the_agent(
        chromium, pg, gateway, trader_pc, artifacts) -> None:
    pc = trader_pc
    with serve_web(config_js(gateway)) as base, headless_chromium() as driver:
        # A wrong password is refused with GoTrue's own words, nothing signed in.
        sign_in(driver, base, pc.user.email, "not-the-password")
        error = wait_for(driver, lambda: driver.find_element("id", "signin-error").text,
                         what="the sign-in error")
        assert error == "Invalid login credentials"
        shot(driver, artifacts, "0-sign-in-refused")

        sign_in(driver, base, pc.user.email, pc.user.password)
        wait_for(driver, lambda: card(driver, pc.account_id), what="the account card")
        wait_for(driver, lambda: driver.find_elements("css selector", "#syncs tbody tr"),
                 what="the recent syncs")
        assert driver.find_element("id", "user-email").text == pc.user.email
        account = wait_for(driver, lambda: card(driver, pc.account_id).text, what="the card")
        assert "Synthetic Trader" in account and "#7000001" in account
        assert "Agent online" in account and "Last sync just now" in account
        shot(driver, artifacts, "1-signed-in")

        # New deals on the terminal; Sync Now on the page.
        simulated.add_synthetic_deals(pc.terminal, NEW_DEALS)
        click_sync_now(driver, pc.account_id)
        first = sync_state(driver, pc.account_id)
        assert first[0] and first[1] == "Syncing…", first
        seen = [first]
        busy_shot = False
        deadline = time.monotonic() + 60
        while seen[-1][2] not in FINAL:
            assert time.monotonic() < deadline, f"Sync Now never finished: {seen}"
            state = sync_state(driver, pc.account_id)
            if state != seen[-1]:
                seen.append(state)
            if not busy_shot and state[2] in ("pending", "running"):
                shot(driver, artifacts, "2-syncing")
                busy_shot = True
            time.sleep(0.05)
        busy = [s for s in seen if s[2] not in FINAL]
        assert busy_shot, f"the loading state was never shown: {seen}"
        assert all(disabled for disabled, *_ in busy), f"Sync Now was clickable: {busy}"
        disabled, label, status, text = seen[-1]
        assert status == "done", seen
        assert not disabled and label == "Sync now"
        assert text.startswith(f"Synced: {NEW_DEALS} new deals"), text

        # The counts come from the sync the agent ran, and the page refreshed itself.
        with pg.connect() as conn:
            (sync_id,) = conn.execute(
                "select sync_id::text from sync_requests where account_id = %s"
                " order by requested_at desc limit 1", [pc.account_id]).fetchone() or ("",)
        log = sync_log(pg, sync_id)
        assert (log["trigger"], log["status"], log["deals_inserted"]) == \
            ("remote", "success", NEW_DEALS)
        first_row = wait_for(
            driver, lambda: next((r.text for r in driver.find_elements(
                "css selector", "#syncs tbody tr") if "remote" in r.text), None),
            what="the remote sync in the recent syncs")
        assert "success" in first_row and f" {NEW_DEALS} " in f" {first_row} "
        shot(driver, artifacts, "3-synced")

        # Asked again within the minute: the server's rate limit, said plainly.
        click_sync_now(driver, pc.account_id)
        refused = wait_for(driver, lambda: (lambda s: s if s[2] == "error" else None)(
            sync_state(driver, pc.account_id)), what="the rate-limit answer")
        assert not refused[0] and "try again in" in refused[3], refused

        # Trades: open and closed, P&L with the account's currency; the equity curve.
        with pg.connect() as conn:
            open_n, closed_n = conn.execute(
                "select count(*) filter (where status = 'open'),"
                " count(*) filter (where status = 'closed') from trades where account_id = %s",
                [pc.account_id]).fetchone() or (0, 0)
        assert open_n and closed_n
        assert driver.find_element("id", "tab-open").text == f"Open ({open_n})"
        open_rows = driver.find_elements("css selector", "#trades tbody tr")
        assert len(open_rows) == open_n and "USD" in open_rows[0].text
        driver.find_element("id", "tab-closed").click()
        closed_rows = driver.find_elements("css selector", "#trades tbody tr")
        assert len(closed_rows) == min(closed_n, 50) and "USD" in closed_rows[0].text
        # The curve: every deal, ending at the balance the terminal reports; one
        # equity point per sync.
        balance = driver.execute_script(
            "return document.querySelector('#equity path.line.balance title').textContent")
        equity = driver.execute_script(
            "return document.querySelector('#equity path.line.equity title').textContent")
        terminal_balance = f"{pc.terminal.broker.account['balance']:,.2f} USD"
        assert balance.startswith(f"Balance (from deals): {HISTORY_DEALS + NEW_DEALS} points, "
                                  f"the last {terminal_balance} on "), balance
        assert equity.startswith("Equity (at each sync): 2 points"), equity
        shot(driver, artifacts, "4-closed-trades")
        # The only failures the console reports are the two refusals asked for above.
        expected = [("/auth/v1/token?grant_type=password ", "status of 400"),
                    ("/rest/v1/rpc/request_sync ", "status of 429")]
        errors = console_errors(driver)
        assert all(any(url in e and status in e for url, status in expected)
                   for e in errors), errors
        # The page is on another origin: the browser asked the gateway first (CORS).
        preflights = {r.path.split("?")[0] for r in gateway.requests if r.method == "OPTIONS"}
        assert {"/auth/v1/token", "/rest/v1/rpc/request_sync"} <= preflights, preflights


def test_opened_as_a_file_the_page_asks_which_project_and_refuses_a_secret_key(
        chromium, gateway, make_user, artifacts) -> None:
    user = make_user()
    with headless_chromium() as driver:
        driver.get((WEB_DIR / "index.html").as_uri())  # config.js as shipped: empty
        wait_for(driver, lambda: driver.find_element("id", "connect-view").is_displayed(),
                 what="the connect form")
        shot(driver, artifacts, "0-connect")
        driver.find_element("id", "project-url").send_keys(gateway.url)
        key = driver.find_element("id", "project-key")
        key.send_keys(gateway.tokens.secret_key)
        driver.find_element("css selector", "#connect-form button").click()
        refused = wait_for(driver, lambda: driver.find_element("id", "connect-error").text,
                           what="the refusal")
        assert refused.startswith("That is a secret key: use the project's publishable key")
        key.clear()
        key.send_keys(gateway.tokens.publishable_key)
        driver.find_element("css selector", "#connect-form button").click()
        wait_for(driver, lambda: driver.find_element("id", "signin-view").is_displayed(),
                 what="the sign-in form")
        sign_in_here(driver, user.email, user.password)
        empty = wait_for(driver, lambda: driver.find_element("id", "no-accounts").is_displayed()
                         and driver.find_element("id", "no-accounts").text, what="no accounts")
        assert "No accounts yet" in empty
        assert driver.find_element("id", "project-host").text == f"127.0.0.1:{gateway.port}"
        # Kept across a reload; ended on the server (signed out on another device), the
        # next visit says so instead of failing call by call.
        driver.refresh()
        wait_for(driver, lambda: driver.find_element("id", "no-accounts").is_displayed(),
                 what="the journal after a reload")
        gateway.auth.revoke_sessions(user.id)
        driver.refresh()
        ended = wait_for(driver, lambda: driver.find_element("id", "signin-view").is_displayed()
                         and driver.find_element("id", "signin-error").text, what="the word")
        assert ended.startswith("Your session has ended"), ended
        sign_in_here(driver, user.email, user.password)
        wait_for(driver, lambda: driver.find_element("id", "no-accounts").is_displayed(),
                 what="the journal after signing in again")
        driver.find_element("id", "signout").click()
        wait_for(driver, lambda: driver.find_element("id", "signin-view").is_displayed(),
                 what="the sign-in form after signing out")
        assert driver.execute_script(
            "return localStorage.getItem('mt5tray.dashboard.auth')") is None
        # The only failures: the revoked session's check and its local sign-out, both
        # refused by the server (supabase-js then drops the session all the same).
        errors = console_errors(driver)
        assert all(("/auth/v1/user " in e or "/auth/v1/logout?scope=local " in e)
                   and "status of 403" in e for e in errors), errors

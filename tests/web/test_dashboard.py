"""The reference dashboard (web/) end to end in headless Chromium.

Real parts throughout: Debian's Chromium driven by Selenium; the page's
vendored supabase-js talking cross-origin (CORS) to the test gateway over
PostgreSQL with the project's migrations and row level security; a real
mt5tray agent (Supabase mode, simulated terminal) serving Sync Now requests
on a thread the way `mt5tray serve-requests` does (`SupabaseAgent.tick`).
Screenshots land in $MT5TRAY_TEST_ARTIFACTS (dashboard-*.png).

In CI (CI=true) a missing Chromium FAILS the run, since tests/run.sh
installs it; locally the test is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mt5tray.core.models import AccountRef, SyncType, Trigger
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from tests.integration.agent_setup import agent, supabase_app
from tests.support.browser import WEB_DIR, chromium_missing, headless_chromium, serve_web

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HISTORY_DEALS = 600
NEW_DEALS = 12
AGENT_POLL_S = 1.0  # the test agent's round (serve-requests' --interval; 60 s by default)
FINAL = {"done", "failed", "expired", "error"}


@pytest.fixture(scope="module")
def chromium() -> None:
    reason = chromium_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"the dashboard's browser test cannot run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture
def artifacts() -> Path:
    path = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class TraderPc:
    """A trader's PC: mt5tray signed in, its account synced, serving requests."""

    user: Any
    app: Any
    terminal: simulated.SimulatedMT5
    account_id: str


@pytest.fixture
def trader_pc(tmp_path, pg, gateway, make_user, memory_keyring) -> Iterator[TraderPc]:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    # A synthetic hedging history over ~75 days (one deal every 3 hours) gives the
    # curve and the tables something to show; the engine reads it through the
    # real adapter, as it would the MetaTrader5 package.
    terminal = simulated.synthetic(deals=HISTORY_DEALS, spacing=3 * 3600.0)
    app.engine.terminal_factory = lambda: Mt5ApiTerminal(terminal)
    stop = threading.Event()

    def serve_requests() -> None:  # the loop of `mt5tray serve-requests`
        while not stop.is_set():
            agent(app).tick(app.service)
            stop.wait(AGENT_POLL_S)

    thread = threading.Thread(target=serve_requests, name="serve-requests", daemon=True)
    try:
        result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert result.ok, result
        with pg.connect() as conn:
            (account_id,) = conn.execute("select id::text from trading_accounts where user_id = %s",
                                         [user.id]).fetchone() or ("",)
        agent(app).tick(app.service)  # its first round (heartbeat) before the page looks
        thread.start()
        yield TraderPc(user, app, terminal, account_id)
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(30)
        app.close()


def config_js(gateway) -> str:
    config = {"supabaseUrl": gateway.url, "publishableKey": gateway.tokens.publishable_key,
              "pollIntervalMs": 400}
    return f"window.MT5TRAY_DASHBOARD_CONFIG = {json.dumps(config)};\n"


def wait_for(driver, condition: Callable[[], Any], timeout: float = 30.0,
             what: str = "the page") -> Any:
    end = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # an element replaced between finding and reading it
            value = None
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}; page text:\n"
                                 + driver.find_element("tag name", "body").text)
        time.sleep(0.05)


def shot(driver, artifacts: Path, name: str) -> Path:
    path = artifacts / f"dashboard-{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(900, min(int(height) + 40, 4000)))
    driver.save_screenshot(str(path))
    return path


def card(driver, account_id: str) -> Any:
    return driver.find_element("css selector", f'article[data-account-id="{account_id}"]')


def sync_state(driver, account_id: str) -> tuple[bool, str, str, str]:
    """(button disabled, button text, data-state of the result line, its text), read in
    one go: the page redraws the card on every status update."""
    state = driver.execute_script("""
        const card = document.querySelector(`article[data-account-id="${arguments[0]}"]`);
        const button = card.querySelector("button.sync-now");
        const result = card.querySelector(".sync-result");
        return [button.disabled, button.innerText, result.dataset.state || "", result.innerText];
    """, account_id)
    return (bool(state[0]), str(state[1]), str(state[2]), str(state[3]))


def click_sync_now(driver, account_id: str) -> None:
    wait_for(driver, lambda: card(driver, account_id).find_element(
        "css selector", "button.sync-now").click() or True, what="Sync Now to be clickable")


def sign_in(driver, base: str, email: str, password: str) -> None:
    driver.get(base + "/")
    wait_for(driver, lambda: driver.find_element("id", "signin-view").is_displayed(),
             what="the sign-in form")
    sign_in_here(driver, email, password)


def sign_in_here(driver, email: str, password: str) -> None:
    driver.find_element("id", "email").clear()
    driver.find_element("id", "email").send_keys(email)
    driver.find_element("id", "password").clear()
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "signin-button").click()


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


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


NOT_RUNNING = "MetaTrader 5 is not running on TRADER-PC."


def _journal_of_four_accounts(pg, user_id: str) -> dict[str, str]:
    """Four accounts as agents would have left them: one synced by an online
    agent, one by a paused agent, one by an agent gone quiet (its heartbeat
    interval is a second, so it is offline two seconds later) whose last sync
    failed, and one switched off that no agent lists. Written as the table
    owner, the way the agents' uploads land."""
    accounts = {}
    with pg.connect() as conn:
        for name, login, currency, minutes, active in (
                ("Online", 1001, "USD", 3, True), ("Paused", 1002, "EUR", 12, True),
                ("Offline", 1003, "GBP", 95, True), ("Switched off", 1004, "USD", 4000, False)):
            (accounts[name],) = conn.execute(
                "insert into trading_accounts (user_id, login, server, name, currency, balance,"
                " equity, floating_profit, is_active, last_sync_at, last_connection_error)"
                " values (%s, %s, 'Broker-Live', %s, %s, 25000.5, 24950.25, -50.25, %s,"
                "         now() - make_interval(mins => %s), %s) returning id::text",
                [user_id, login, f"{name} account", currency, active, minutes,
                 NOT_RUNNING if name == "Offline" else None]).fetchone() or ("",)
            conn.execute(
                "insert into sync_logs (user_id, account_id, sync_type, trigger, status,"
                " started_at, finished_at, duration_ms, deals_inserted, error)"
                " values (%s, %s, 'incremental', 'schedule', %s, now() - make_interval(mins => %s),"
                "         now() - make_interval(mins => %s), 850, 3, %s)",
                [user_id, accounts[name], "failed" if name == "Offline" else "success", minutes,
                 minutes, NOT_RUNNING if name == "Offline" else None])
        for install, paused, interval, name in (("pc-online", False, 300, "Online"),
                                                ("pc-paused", True, 300, "Paused"),
                                                ("pc-quiet", False, 1, "Offline")):
            conn.execute(
                "insert into agents (user_id, install_id, host, version, paused,"
                " sync_interval_s, heartbeat_interval_s, account_ids)"
                " values (%s, %s, %s, '0.1.0', %s, %s, %s, array[%s::uuid])",
                [user_id, install, install.upper(), paused, interval, interval, accounts[name]])
    return accounts


def test_each_card_tells_the_agent_states_apart(chromium, pg, gateway, make_user,
                                                artifacts) -> None:
    user = make_user()
    accounts = _journal_of_four_accounts(pg, user.id)
    time.sleep(2.2)  # the quiet agent's heartbeat is now older than two of its intervals
    with serve_web(config_js(gateway)) as base, headless_chromium() as driver:
        sign_in(driver, base, user.email, user.password)
        texts = wait_for(driver, lambda: (lambda t: t if all(
            "Last sync" in x for x in t.values()) else None)(
            {name: card(driver, i).text for name, i in accounts.items()}),
            what="four account cards")
        assert "Agent online" in texts["Online"] and "Last sync 3 min ago" in texts["Online"]
        assert "Agent paused" in texts["Paused"] and "24,950.25 EUR" in texts["Paused"]
        assert "Agent offline" in texts["Offline"] and "Last sync 1 h ago" in texts["Offline"]
        assert "Terminal not reached" in texts["Offline"]
        assert "Last error: MetaTrader 5 is not running on TRADER-PC." in texts["Offline"]
        assert "No agent" in texts["Switched off"] and "Switched off" in texts["Switched off"]

        # A request made before a reload (another tab, a closed laptop) is picked up
        # again: the button stays disabled until the agent has finished it.
        with pg.connect() as conn:
            (request_id,) = conn.execute(
                "insert into sync_requests (user_id, account_id) values (%s, %s)"
                " returning id::text", [user.id, accounts["Online"]]).fetchone() or ("",)
            # and one nobody picked up in 10 minutes (the read RPCs call it expired)
            conn.execute("insert into sync_requests (user_id, account_id, requested_at)"
                         " values (%s, %s, now() - interval '11 minutes')",
                         [user.id, accounts["Paused"]])
        driver.refresh()
        expired = wait_for(driver, lambda: (lambda s: s if s[2] == "expired" else None)(
            sync_state(driver, accounts["Paused"])), what="the expired request")
        assert not expired[0] and "within 10 minutes" in expired[3], expired
        resumed = wait_for(driver, lambda: (lambda s: s if s[2] == "pending" else None)(
            sync_state(driver, accounts["Online"])), what="the resumed request")
        assert resumed[0] and resumed[1] == "Syncing…", resumed
        with pg.connect() as conn:  # what the agent's claim and finish do
            conn.execute("update sync_requests set status = 'running', started_at = now()"
                         " where id = %s", [request_id])
            conn.execute("select finish_sync_request(%s, 'done', null, null,"
                         " '{\"deals_inserted\": 3, \"positions_closed\": 1}'::jsonb)",
                         [request_id])
        done = wait_for(driver, lambda: (lambda s: s if s[2] == "done" else None)(
            sync_state(driver, accounts["Online"])), what="the finished request")
        assert not done[0] and done[3] == "Synced: 3 new deals · positions 1 closed", done

        # Sync Now on the switched-off account: the server says why not.
        click_sync_now(driver, accounts["Switched off"])
        refused = wait_for(driver, lambda: (lambda s: s if s[2] == "error" else None)(
            sync_state(driver, accounts["Switched off"])), what="the refusal")
        assert "switched off (is_active = false)" in refused[3], refused
        shot(driver, artifacts, "5-agent-states")
        driver.set_window_size(390, 844)  # a phone: one column, nothing cut off
        assert driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth")
        driver.save_screenshot(str(artifacts / "dashboard-6-phone.png"))

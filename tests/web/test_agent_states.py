"""The dashboard's account cards tell the agent's states apart (online, paused,
offline, none), pick up a request made before a reload, show an expired one,
and give the server's reason when a switched-off account is asked to sync."""

from __future__ import annotations

import time

import pytest

from tests.support.browser import headless_chromium, serve_web
from tests.web.page import card, click_sync_now, config_js, shot, sign_in, sync_state, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.browser]


NOT_RUNNING = "MetaTrader 5 is not running on TRADER-PC."


def journal_of_four_accounts(pg, user_id: str) -> dict[str, str]:
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
    accounts = journal_of_four_accounts(pg, user.id)
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

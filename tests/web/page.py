"""Reading and driving the dashboard page from a test (Selenium on Chromium).

The page redraws an account's card on every status update, so whatever a
test reads from it is read in one go (a script) or retried (`wait_for`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FINAL = {"done", "failed", "expired", "error"}


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

"""Headless Chromium for the dashboard's browser test, and a static server for web/.

Chromium and its driver are Debian's (`chromium`, `chromium-driver`, one
package version, so they always match); Selenium drives them through
/usr/bin/chromedriver and never downloads a driver (Selenium Manager runs
only when no driver path is given). The flags keep a headless Chromium from
calling home: without the background-networking ones it tries to reach
Google's services, which a closed network refuses.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WEB_DIR = REPO / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1600", "--lang=en-US",
]


def chromium_missing() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            return f"{path} is missing: apt-get install {package} (tests/run.sh does)"
    return None


class _WebHandler(SimpleHTTPRequestHandler):
    """web/ as files, except config.js, which points the page at the test project."""

    config_js: bytes = b""

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        if self.path.split("?", 1)[0] == "/config.js":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(self.config_js)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(self.config_js)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serve_web(config_js: str, directory: Path = WEB_DIR) -> Iterator[str]:
    """Serve `directory` on a free port of 127.0.0.1; yields the base URL."""
    handler = type("Handler", (_WebHandler,), {"config_js": config_js.encode("utf-8")})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              name="web-static", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A Selenium WebDriver on Debian's headless Chromium with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mt5tray-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)

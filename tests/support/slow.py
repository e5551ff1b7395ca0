"""Slowing the simulated terminal down, to test what happens during a long sync."""

from __future__ import annotations

import time
from typing import Any


class SlowTerminal:
    """The simulated terminal, slowed down: every open() takes `delay` seconds."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def open(self, account: Any) -> Any:
        time.sleep(self.delay)
        return self.inner.open(account)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def slow_down(app: Any, delay: float) -> None:
    """Make every sync of `app` take at least `delay` seconds (in the terminal)."""
    factory = app.engine.terminal_factory
    app.engine.terminal_factory = lambda: SlowTerminal(factory(), delay)

"""How numbers, counts and times read, everywhere a person reads them.

One module so the tray, the status window, notifications and the CLI's text
output agree: money with its currency and thousands separators, counts with
correct plurals, local times without microseconds, relative times. Nothing
here ever returns "None": a missing value reads as an em dash.
"""

from __future__ import annotations

from datetime import datetime, timezone

MISSING = "—"
_PLURALS = {"entry": "entries", "was": "were", "is": "are", "this": "these"}


def plural(word: str, n: int) -> str:
    """The word for `n` of it: deal/deals, entry/entries."""
    if n == 1:
        return word
    return _PLURALS.get(word, word + "s")


def count(n: int | None, word: str) -> str:
    """'1 deal', '4,607 deals', '0 syncs' ('—' for None)."""
    if n is None:
        return MISSING
    return f"{n:,} {plural(word, n)}"


def number(value: float | int | None, decimals: int = 2) -> str:
    """'44,602.61' ('—' for None)."""
    if value is None or not isinstance(value, (int, float)):
        return MISSING
    return f"{value:,.{decimals}f}"


def money(value: float | int | None, currency: str | None = None, signed: bool = False) -> str:
    """'44,602.61 USD'; signed: '+96.48 USD' / '−12.00 USD' for P&L."""
    if value is None or not isinstance(value, (int, float)):
        return MISSING
    if signed:
        sign = "+" if value > 0 else "−" if value < 0 else ""
        text = f"{sign}{abs(value):,.2f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {currency}" if currency else text


def price(value: float | None) -> str:
    """A quote as the terminal shows it: up to 5 decimals, no trailing zeros."""
    if value is None:
        return MISSING
    text = f"{value:,.5f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def volume(value: float | None) -> str:
    """Lots: '0.5', '1.25'."""
    if value is None:
        return MISSING
    return f"{value:g}"


def local_time(when: datetime | str | None, seconds: bool = True) -> str:
    """'2026-12-02 14:05:33' in the computer's local time, no microseconds."""
    parsed = parse_time(when)
    if parsed is None:
        return MISSING
    return parsed.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def parse_time(when: datetime | str | None) -> datetime | None:
    """An aware datetime from the journal's ISO text (UTC when it has no zone)."""
    if when is None or when == "":
        return None
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def relative(when: datetime | str | None, now: datetime | None = None) -> str:
    """'just now', '3 min ago', 'in 4 min', '2 h ago', 'never'."""
    parsed = parse_time(when)
    if parsed is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    seconds = (parsed - now).total_seconds()
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 45:
        return "in a moment" if future else "just now"
    if seconds < 3600:
        text = f"{round(seconds / 60)} min"
    elif seconds < 86400:
        text = f"{round(seconds / 3600)} h"
    else:
        text = f"{round(seconds / 86400)} d"
    return f"in {text}" if future else f"{text} ago"


def countdown(seconds: float) -> str:
    """'45 s', '75 s', '2 min 05 s', '1 h 04 min': for things that tick every second."""
    s = max(int(seconds + 0.999), 0)
    if s < 100:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def duration_ms(ms: int | None) -> str:
    """'70 ms', '2.3 s', '1 min 05 s'."""
    if ms is None:
        return MISSING
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return countdown(ms / 1000)


def store_words(label: str) -> str:
    """'sqlite:////home/x/journal.sqlite3' as people read it: 'local journal /home/x/…'
    (the URL form stays in --json and the settings; UX review P1)."""
    return label.replace("sqlite:///", "local journal ")

"""Pure: the trade server's clock as a rule, not an offset.

MT5 reports every time as the broker's server wall clock written as epoch
seconds, with no zone anywhere in the API (../shared/docs/server-time.md §1,
§4). Most brokers run the "New York close" clock (GMT+2 winter / +3 summer,
switching on US dates); others switch on EU dates or are fixed. A
`ServerClock` is one such rule held as (IANA zone, shift): server wall time =
wall time of `zone` + `shift`. All conversions go through `zoneinfo` (IANA
tzdata; the `tzdata` package provides it on Windows), so the switch instants
are the IANA ones. Imports only the standard library.

Accepted settings (§5.1): `auto`, `ny-close` (= `GMT+2/US`), `GMT+<b>/US`,
`GMT+<b>/EU`, `GMT+<b>/AU`, a fixed `GMT+<b>` or `+05:30`, or an IANA key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

AUTO = "auto"
NY_CLOSE = "GMT+2/US"
ACCEPTED_FORMS = (
    "auto (detect from the broker's price history), ny-close (= GMT+2/US), GMT+<b>/US, "
    "GMT+<b>/EU, GMT+<b>/AU (base offset b in hours, e.g. GMT+2/EU), a fixed offset such as "
    "GMT+3 or +05:30, or an IANA zone such as Asia/Jerusalem"
)

# Rule -> (IANA zone whose switches it follows, that zone's standard offset in minutes).
RULES: dict[str, tuple[str, int]] = {
    "US": ("America/New_York", -300),
    "EU": ("Europe/London", 0),
    "AU": ("Australia/Sydney", 600),  # standard = southern winter; +1 h from October to April
}
RULE_WORDS = {"US": "US dates", "EU": "EU dates", "AU": "Australian dates"}
_MIN_OFFSET, _MAX_OFFSET = -12 * 60, 14 * 60
_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1)


class ServerClockError(ValueError):
    """A server_timezone value that is not one of the accepted forms."""


class TimeKind(str, Enum):
    """How a server wall-clock instant maps to UTC."""

    NORMAL = "normal"
    FOLD = "fold"  # the repeated hour in autumn: two UTC instants
    GAP = "gap"  # the skipped hour in spring: no UTC instant (converted with the old offset)


@dataclass(frozen=True, slots=True)
class ServerClock:
    """A server clock: `zone` wall time plus `shift_minutes`.

    `rule` is US/EU/AU for a DST rule, None for a fixed offset, "IANA" for a
    named zone; `base_minutes` is the winter (standard) offset of a rule or
    the fixed offset.
    """

    zone_key: str
    shift_minutes: int
    rule: str | None
    base_minutes: int
    spec: str = field(compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.zone_key)

    # --- conversions -------------------------------------------------------------

    def offset_at(self, utc_seconds: float) -> int:
        """Minutes the server is ahead of UTC at this UTC instant."""
        moment = datetime.fromtimestamp(utc_seconds, _UTC).astimezone(self.zone)
        utcoffset = moment.utcoffset() or timedelta(0)
        return int(utcoffset.total_seconds() // 60) + self.shift_minutes

    def to_server(self, utc_seconds: float) -> float:
        """Server wall-clock epoch seconds (what MT5 reports) for a UTC instant."""
        return utc_seconds + self.offset_at(utc_seconds) * 60

    def resolve(self, server_seconds: float) -> tuple[int, int, TimeKind]:
        """Offsets (minutes) for the earlier and later reading of a server
        wall time, and its kind. Equal offsets for a normal instant; in a gap
        both are the offset in force before the switch (PEP 495 fold=0)."""
        return _resolve(self, int(server_seconds // 900))

    def to_utc(self, server_seconds: float, fold: str = "earlier") -> float:
        """UTC epoch seconds for a server wall time. `fold` picks the reading
        of a repeated hour: "earlier" or "later"."""
        earlier, later, _ = self.resolve(server_seconds)
        return server_seconds - (later if fold == "later" else earlier) * 60

    def kind(self, server_seconds: float) -> TimeKind:
        return self.resolve(server_seconds)[2]

    # --- words -----------------------------------------------------------------

    def describe(self) -> str:
        """For people: "GMT+2/+3 (US dates)", "GMT+0 (fixed)", "Asia/Jerusalem"."""
        if self.rule in RULES:
            return f"{_gmt(self.base_minutes)}/{_gmt(self.base_minutes + 60)[3:]} " \
                   f"({RULE_WORDS[self.rule]})"
        if self.rule is None:
            return f"{_gmt(self.base_minutes)} (fixed)"
        return self.zone_key


@dataclass(frozen=True, slots=True)
class SegmentedClock:
    """A broker that changed convention (§5.2 step 7): one clock per span.

    `parts` are (first UTC instant, clock) pairs, oldest first; the first
    part reaches back without limit. Spec: "GMT+0 until 2025-05-31, GMT+2/US"
    (the date is the UTC day the next clock starts). Same methods as
    ServerClock, so every conversion accepts either."""

    parts: tuple[tuple[float, ServerClock], ...]
    spec: str = field(compare=False)

    @property
    def rule(self) -> str:
        return "segments"

    @property
    def base_minutes(self) -> int:
        return self.parts[-1][1].base_minutes

    def _at(self, utc_seconds: float) -> ServerClock:
        current = self.parts[0][1]
        for start, clock in self.parts[1:]:
            if utc_seconds >= start:
                current = clock
        return current

    def offset_at(self, utc_seconds: float) -> int:
        return self._at(utc_seconds).offset_at(utc_seconds)

    def to_server(self, utc_seconds: float) -> float:
        return self._at(utc_seconds).to_server(utc_seconds)

    def resolve(self, server_seconds: float) -> tuple[int, int, TimeKind]:
        """The newest span whose clock puts this server time inside it."""
        for i in range(len(self.parts) - 1, -1, -1):
            start, clock = self.parts[i]
            earlier, later, kind = clock.resolve(server_seconds)
            if i == 0 or server_seconds - earlier * 60 >= start:
                return earlier, later, kind
        raise AssertionError("unreachable")

    def to_utc(self, server_seconds: float, fold: str = "earlier") -> float:
        earlier, later, _ = self.resolve(server_seconds)
        return server_seconds - (later if fold == "later" else earlier) * 60

    def kind(self, server_seconds: float) -> TimeKind:
        return self.resolve(server_seconds)[2]

    def describe(self) -> str:
        words = [self.parts[0][1].describe()]
        for start, clock in self.parts[1:]:
            day = datetime.fromtimestamp(start, _UTC).date().isoformat()
            words.append(f"from {day} {clock.describe()}")
        return ", ".join(words)


def segmented_clock(parts: list[tuple[float, ServerClock]]) -> SegmentedClock | ServerClock:
    """One clock per span; a single span is just that clock."""
    if len(parts) == 1:
        return parts[0][1]
    words = []
    for (_, clock), (start, _) in zip(parts, parts[1:], strict=False):
        day = datetime.fromtimestamp(start, _UTC).date().isoformat()
        words.append(f"{clock.spec} until {day}")
    spec = ", ".join([*words, parts[-1][1].spec])
    return SegmentedClock(tuple(parts), spec)


def _parse_segments(value: str) -> SegmentedClock | ServerClock:
    pieces = [p.strip() for p in value.split(",")]
    parts: list[tuple[float, ServerClock]] = []
    start = float("-inf")
    for piece in pieces[:-1]:
        match = re.fullmatch(r"(.+?)\s+until\s+(\d{4}-\d{2}-\d{2})", piece, re.IGNORECASE)
        if not match:
            raise ServerClockError(f"{piece!r}: expected 'SPEC until YYYY-MM-DD'; use "
                                   f"{ACCEPTED_FORMS}, or a list such as "
                                   "'GMT+0 until 2025-06-01, GMT+2/US'")
        clock = parse_clock(match[1])
        if isinstance(clock, SegmentedClock):
            raise ServerClockError(f"{piece!r}: one clock per span")
        parts.append((start, clock))
        start = datetime.fromisoformat(match[2]).replace(tzinfo=_UTC).timestamp()
    last = parse_clock(pieces[-1])
    if isinstance(last, SegmentedClock):
        raise ServerClockError(f"{pieces[-1]!r}: one clock per span")
    parts.append((start, last))
    if any(b[0] <= a[0] for a, b in zip(parts, parts[1:], strict=False)):
        raise ServerClockError(f"{value!r}: the dates must increase")
    return segmented_clock(parts)


def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


@lru_cache(maxsize=65536)
def _resolve(clock: ServerClock, quarter: int) -> tuple[int, int, TimeKind]:
    """Cached per server quarter hour: switches happen on quarter hours, so
    every instant of one quarter resolves alike (a 100,000-deal import costs
    a few thousand zoneinfo look-ups, not 100,000)."""
    server = quarter * 900
    wall = _EPOCH + timedelta(seconds=server - clock.shift_minutes * 60)
    offsets = []
    for fold in (0, 1):
        local = wall.replace(tzinfo=clock.zone, fold=fold)
        offsets.append(int((local.utcoffset() or timedelta(0)).total_seconds() // 60)
                       + clock.shift_minutes)
    first, second = offsets
    if first == second:
        return first, first, TimeKind.NORMAL
    if clock.to_server(server - first * 60) == server and \
            clock.to_server(server - second * 60) == server:
        return max(first, second), min(first, second), TimeKind.FOLD
    return first, first, TimeKind.GAP


def _gmt(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{mins:02d}" if mins else "")


# --- the settings grammar -----------------------------------------------------------

_OFFSET = r"(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?"
_RULE_RE = re.compile(rf"^(?:GMT|UTC){_OFFSET}/(?P<rule>US|EU|AU)$", re.IGNORECASE)
_FIXED_RE = re.compile(rf"^(?:GMT|UTC)(?:{_OFFSET})?$", re.IGNORECASE)
_BARE_RE = re.compile(rf"^{_OFFSET}$")


def _minutes(match: re.Match[str], text: str) -> int:
    sign, hours, mins = match["sign"], match["h"], match["m"]
    if sign is None:
        return 0  # bare GMT/UTC
    value = int(hours or 0) * 60 + int(mins or 0)
    if int(mins or 0) >= 60 or value % 15:
        raise ServerClockError(f"{text!r}: offsets are whole quarter hours (e.g. +05:30); "
                               f"use {ACCEPTED_FORMS}")
    value = value if sign == "+" else -value
    if not _MIN_OFFSET <= value <= _MAX_OFFSET:
        raise ServerClockError(f"{text!r}: the offset must lie between GMT-12 and GMT+14; "
                               f"use {ACCEPTED_FORMS}")
    return value


def rule_clock(rule: str, base_minutes: int) -> ServerClock:
    """GMT+<b>/<rule>: the rule's zone shifted so its winter offset is b."""
    zone, standard = RULES[rule]
    return ServerClock(zone, base_minutes - standard, rule, base_minutes,
                       f"{_gmt(base_minutes)}/{rule}")


def fixed_clock(minutes: int) -> ServerClock:
    return ServerClock("UTC", minutes, None, minutes, _gmt(minutes))


def parse_clock(text: str) -> ServerClock:
    """A concrete clock from a spec (anything but `auto`); ServerClockError
    with the accepted forms otherwise. A list "A until DATE, B" is a
    SegmentedClock (it has the same methods)."""
    value = (text or "").strip()
    if "," in value:
        return _parse_segments(value)  # type: ignore[return-value]
    if value.lower() == AUTO:
        raise ServerClockError("'auto' is not a clock: it asks for detection")
    if value.lower() in ("ny-close", "nyclose", "new-york-close"):
        return rule_clock("US", 120)
    if match := _RULE_RE.match(value):
        return rule_clock(match["rule"].upper(), _minutes(match, value))
    if match := _FIXED_RE.match(value) or _BARE_RE.match(value):
        return fixed_clock(_minutes(match, value))
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*", value):
        try:
            zone = ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is not None:
            return ServerClock(value, 0, "IANA", 0, value)
    raise ServerClockError(f"{value!r} is not a server clock; use {ACCEPTED_FORMS}")


def parse_setting(text: str | None) -> ServerClock | None:
    """A settings value: None for `auto` (or unset), else the clock."""
    if text is None or text.strip().lower() in ("", AUTO):
        return None
    return parse_clock(text)


def canonical_spec(text: str) -> str:
    """The canonical spelling: "auto", "GMT+2/US", "GMT+5:30", an IANA key."""
    clock = parse_setting(text)
    return AUTO if clock is None else clock.spec


def from_legacy_offset(minutes: int) -> ServerClock:
    """The deprecated server_utc_offset_minutes setting: a fixed clock."""
    return fixed_clock(minutes)


__all__ = [
    "ACCEPTED_FORMS", "AUTO", "NY_CLOSE", "RULES", "SegmentedClock", "ServerClock",
    "ServerClockError", "TimeKind", "segmented_clock",
    "canonical_spec", "fixed_clock", "from_legacy_offset", "parse_clock", "parse_setting",
    "rule_clock",
]

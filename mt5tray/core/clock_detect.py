"""Pure: which server clock a broker runs, from the times of its H1 bars.

server-time.md §5.2: the forex week ends at Friday 17:00 New York, a known
UTC instant, so the last H1 bar before each weekend gap gives the server's
offset for that week. Each week votes for every (rule, base) that explains
its offset; the winner needs a unique maximum, 90 % of the weeks and at
least 8 of them. Weeks the winner misses (Christmas early closes, Good
Friday) are outliers. A tie (summer-only history, a young terminal) is
ambiguous: the result is provisional, preferring GMT+2/US (the documented
majority) among the candidates. Works on any day: it needs no live tick and
no PC clock. Also the live check of §5.2 step 6 against a fresh tick.
Imports only the standard library and core.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from mt5tray.core.server_clock import (
    NY_CLOSE,
    RULES,
    ServerClock,
    fixed_clock,
    rule_clock,
    segmented_clock,
)

H1 = 3600
WEEKEND_GAP_S = 40 * 3600
MIN_WEEKS = 8
MIN_SHARE = 0.9
TICK_TOLERANCE_S = 120  # a fresh tick is within this of the clock's "now"
_NY = ZoneInfo("America/New_York")
_RULE_ORDER = ("US", "EU", None, "AU")


@dataclass(frozen=True, slots=True)
class Week:
    """One weekly close: the UTC anchor (Friday 17:00 New York) and the offset seen."""

    anchor_utc: int
    offset_minutes: int


@dataclass(slots=True)
class Detection:
    """What the bars say. `clock` None: no usable evidence at all."""

    clock: ServerClock | None
    provisional: bool
    weeks_matched: int = 0
    weeks_total: int = 0
    candidates: list[ServerClock] = field(default_factory=list)
    outliers: list[int] = field(default_factory=list)  # anchors (UTC) the winner misses
    first_week: int | None = None
    last_week: int | None = None
    # A convention change (§5.2 step 7): [(first anchor UTC, clock), ...] oldest
    # first, when the whole history has no clear winner but its parts do.
    segments: list[tuple[int, ServerClock]] = field(default_factory=list)


def weekly_closes(bar_times: list[int], timeframe_s: int = H1) -> list[Week]:
    """The weekly closes in bar open times (server epoch seconds, any order)."""
    times = sorted(set(bar_times))
    weeks: list[Week] = []
    for here, after in zip(times, times[1:], strict=False):
        close = here + timeframe_s
        if after - close < WEEKEND_GAP_S:
            continue
        day = datetime.fromtimestamp(close, timezone.utc).date()
        while day.weekday() > 4:  # Saturday/Sunday (server): that week's Friday
            day -= timedelta(days=1)
        if day.weekday() != 4:
            continue  # a mid-week gap (a long holiday): no anchor
        anchor = int(datetime(day.year, day.month, day.day, 17, tzinfo=_NY).timestamp())
        offset = math.ceil((close - anchor - 60) / 900) * 15  # brokers close at or before 17:00
        if -12 * 60 <= offset <= 14 * 60:
            weeks.append(Week(anchor, offset))
    return weeks


def _dst_minutes(rule: str | None, utc_seconds: int) -> int:
    if rule is None:
        return 0
    zone, standard = RULES[rule]
    moment = datetime.fromtimestamp(utc_seconds, timezone.utc).astimezone(ZoneInfo(zone))
    return int((moment.utcoffset() or timedelta(0)).total_seconds() // 60) - standard


def _clock(rule: str | None, base: int) -> ServerClock:
    return fixed_clock(base) if rule is None else rule_clock(rule, base)


def _preference(clock: ServerClock) -> tuple[int, int, int]:
    return (clock.spec != NY_CLOSE, _RULE_ORDER.index(clock.rule), abs(clock.base_minutes - 120))


def detect(bar_times: list[int], timeframe_s: int = H1) -> Detection:
    """Vote over the weekly closes (see the module doc)."""
    if timeframe_s > H1:
        raise ValueError("detection needs H1 bars or finer: H4/D1 hide the switch weeks")
    weeks = weekly_closes(bar_times, timeframe_s)
    if not weeks:
        return Detection(None, True)
    found = _vote(weeks)
    if found.provisional and len(weeks) >= 2 * RECENT_WEEKS:
        segments = _segments(weeks)
        if len(segments) > 1:
            recent = _vote([w for w in weeks if w.anchor_utc >= segments[-1][0]])
            recent.segments = segments
            if not recent.provisional:  # apply each span's clock to its own history
                clock = segmented_clock([(float("-inf"), segments[0][1])] + [
                    (_sunday_before(anchor), c) for anchor, c in segments[1:]])
                recent.clock = clock  # type: ignore[assignment]
                matched = [w for w in weeks if w.offset_minutes == clock.offset_at(w.anchor_utc)]
                recent.weeks_matched, recent.weeks_total = len(matched), len(weeks)
                recent.outliers = [w.anchor_utc for w in weeks if w not in matched]
                recent.first_week = weeks[0].anchor_utc
            return recent
    return found


RECENT_WEEKS = 26


def _sunday_before(friday_anchor_utc: int) -> float:
    """00:00 UTC on the Sunday that starts the week of this Friday close: a
    weekend instant between the old clock's last week and the new one's first."""
    day = datetime.fromtimestamp(friday_anchor_utc, timezone.utc).date() - timedelta(days=5)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def _segments(weeks: list[Week]) -> list[tuple[int, ServerClock]]:
    """Where the broker changed convention: each half-year votes on its own;
    neighbouring halves with the same clear winner merge."""
    segments: list[tuple[int, ServerClock]] = []
    for start in range(0, len(weeks), RECENT_WEEKS):
        part = weeks[start:start + RECENT_WEEKS]
        if len(part) < MIN_WEEKS:
            break
        found = _vote(part)
        if found.clock is None:
            continue
        if segments and segments[-1][1] in found.candidates:
            continue
        if found.provisional and segments:
            continue
        first = next((w.anchor_utc for w in part
                      if w.offset_minutes == found.clock.offset_at(w.anchor_utc)),
                     part[0].anchor_utc)
        if segments:  # it began right after the last week the old clock explains
            old = segments[-1][1]
            last_old = max((w.anchor_utc for w in weeks if w.anchor_utc < first
                            and w.offset_minutes == old.offset_at(w.anchor_utc)), default=None)
            if last_old is not None:
                first = min(w.anchor_utc for w in weeks if w.anchor_utc > last_old)
        segments.append((first, found.clock))
    return segments


def _vote(weeks: list[Week]) -> Detection:
    votes: Counter[tuple[str | None, int]] = Counter()
    for week in weeks:
        for rule in _RULE_ORDER:
            votes[(rule, week.offset_minutes - _dst_minutes(rule, week.anchor_utc))] += 1
    best = max(votes.values())
    top = sorted((_clock(rule, base) for (rule, base), n in votes.items() if n == best),
                 key=_preference)
    winner = top[0]
    matched = [w for w in weeks if w.offset_minutes == winner.offset_at(w.anchor_utc)]
    clear = len(top) == 1 and best / len(weeks) >= MIN_SHARE and len(weeks) >= MIN_WEEKS
    return Detection(
        winner, not clear, len(matched), len(weeks), top,
        [w.anchor_utc for w in weeks if w not in matched], weeks[0].anchor_utc,
        weeks[-1].anchor_utc)


def tick_agrees(clock: ServerClock, tick_server: int, utc_now: float) -> bool:
    return abs(tick_server - clock.to_server(utc_now)) <= TICK_TOLERANCE_S


def narrow(candidates: list[ServerClock], tick_server: int | None, utc_now: float
           ) -> list[ServerClock]:
    """The candidates a fresh tick agrees with (all of them if none does:
    then the tick was stale and says nothing)."""
    if not tick_server:
        return candidates
    fitting = [c for c in candidates if tick_agrees(c, tick_server, utc_now)]
    return fitting or candidates


def live_check(clock: ServerClock, tick_server: int | None, utc_now: float) -> str:
    """'confirmed', 'stale' (no evidence: a tick older than a few minutes, a
    closed market, a PC clock a little off) or 'mismatch' (the tick is a
    whole quarter hour or more ahead of the clock: the server clock changed
    or the PC clock is wrong). A tick behind is never evidence."""
    if not tick_server:
        return "stale"
    ahead = tick_server - clock.to_server(utc_now)
    if abs(ahead) <= TICK_TOLERANCE_S:
        return "confirmed"
    quarters = round(ahead / 900)
    if quarters >= 1 and abs(ahead - quarters * 900) <= TICK_TOLERANCE_S:
        return "mismatch"
    return "stale"

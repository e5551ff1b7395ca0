"""The server clock: server-time.md §6.1 table, §6.2 boundary rows, round
trip and the settings grammar (§6.3 case 9). Expected values are the
document's, computed there with IANA rules."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from mt5tray.core.server_clock import (
    ServerClockError,
    TimeKind,
    canonical_spec,
    parse_clock,
    parse_setting,
)

CLOCKS = {"US+2": "GMT+2/US", "EU+2": "GMT+2/EU", "EU+1": "GMT+1/EU", "US+0": "GMT+0/US",
          "fixed+0": "GMT+0", "fixed+3": "GMT+3"}
COLUMNS = list(CLOCKS)

# server-time.md §6.1: server wall time of deal.time -> expected UTC hour.
TABLE = """
2024-03-06 10 10 11 12 12 09
2024-03-13 09 10 11 11 12 09
2024-04-03 09 09 10 11 12 09
2024-10-30 09 10 11 11 12 09
2024-11-06 10 10 11 12 12 09
2025-03-05 10 10 11 12 12 09
2025-03-12 09 10 11 11 12 09
2025-04-02 09 09 10 11 12 09
2025-10-29 09 10 11 11 12 09
2025-11-05 10 10 11 12 12 09
2026-03-04 10 10 11 12 12 09
2026-03-11 09 10 11 11 12 09
2026-04-01 09 09 10 11 12 09
2026-10-28 09 10 11 11 12 09
2026-11-04 10 10 11 12 12 09
"""
ROWS = [(line.split()[0], [int(h) for h in line.split()[1:]])
        for line in TABLE.strip().splitlines()]


def server(text: str) -> int:
    """A server wall time as MT5 encodes it: the wall fields as epoch seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def utc(server_value: float) -> str:
    return datetime.fromtimestamp(server_value, timezone.utc).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(("day", "hours"), ROWS, ids=[r[0] for r in ROWS])
def test_conversion_table(day: str, hours: list[int]) -> None:
    for column, hour in zip(COLUMNS, hours, strict=True):
        clock = parse_clock(CLOCKS[column])
        got = utc(clock.to_utc(server(f"{day} 12:00")))
        assert got == f"{day} {hour:02d}:00", (column, day)


BOUNDARY = [  # (server wall time, spec, expected UTC, kind)
    ("2024-03-11 00:00", "GMT+2/US", "2024-03-10 21:00", TimeKind.NORMAL),
    ("2024-03-11 00:00", "GMT+2/EU", "2024-03-10 22:00", TimeKind.NORMAL),
    ("2026-03-09 00:00", "GMT+2/US", "2026-03-08 21:00", TimeKind.NORMAL),
    ("2026-03-09 00:00", "GMT+2/EU", "2026-03-08 22:00", TimeKind.NORMAL),
    ("2024-03-15 23:59", "GMT+2/US", "2024-03-15 20:59", TimeKind.NORMAL),
    ("2024-03-15 23:59", "GMT+2/EU", "2024-03-15 21:59", TimeKind.NORMAL),
    ("2024-11-01 22:59", "GMT+2/US", "2024-11-01 19:59", TimeKind.NORMAL),
    ("2024-11-01 22:59", "GMT+2/EU", "2024-11-01 20:59", TimeKind.NORMAL),
    ("2025-12-31 23:00", "GMT+2/US", "2025-12-31 21:00", TimeKind.NORMAL),
    ("2026-01-01 01:00", "GMT+2/US", "2025-12-31 23:00", TimeKind.NORMAL),
    ("2026-01-01 01:00", "GMT+2/EU", "2025-12-31 23:00", TimeKind.NORMAL),
    ("2024-03-10 09:30", "GMT+2/US", None, TimeKind.GAP),
    ("2024-03-10 09:30", "GMT+2/EU", "2024-03-10 07:30", TimeKind.NORMAL),
    ("2024-11-03 08:30", "GMT+2/US", "2024-11-03 05:30|2024-11-03 06:30", TimeKind.FOLD),
    ("2024-11-03 08:30", "GMT+2/EU", "2024-11-03 06:30", TimeKind.NORMAL),
    ("2024-03-31 03:30", "GMT+2/US", "2024-03-31 00:30", TimeKind.NORMAL),
    ("2024-03-31 03:30", "GMT+2/EU", None, TimeKind.GAP),
    ("2024-10-27 03:30", "GMT+2/US", "2024-10-27 00:30", TimeKind.NORMAL),
    ("2024-10-27 03:30", "GMT+2/EU", "2024-10-27 00:30|2024-10-27 01:30", TimeKind.FOLD),
    ("2025-03-09 09:30", "GMT+2/US", None, TimeKind.GAP),
    ("2025-03-09 09:30", "GMT+2/EU", "2025-03-09 07:30", TimeKind.NORMAL),
    ("2025-11-02 08:30", "GMT+2/US", "2025-11-02 05:30|2025-11-02 06:30", TimeKind.FOLD),
    ("2025-11-02 08:30", "GMT+2/EU", "2025-11-02 06:30", TimeKind.NORMAL),
    ("2026-03-08 09:30", "GMT+2/US", None, TimeKind.GAP),
    ("2026-03-08 09:30", "GMT+2/EU", "2026-03-08 07:30", TimeKind.NORMAL),
    ("2026-11-01 08:30", "GMT+2/US", "2026-11-01 05:30|2026-11-01 06:30", TimeKind.FOLD),
    ("2026-11-01 08:30", "GMT+2/EU", "2026-11-01 06:30", TimeKind.NORMAL),
    ("2026-03-29 03:30", "GMT+2/US", "2026-03-29 00:30", TimeKind.NORMAL),
    ("2026-03-29 03:30", "GMT+2/EU", None, TimeKind.GAP),
    ("2026-10-25 03:30", "GMT+2/US", "2026-10-25 00:30", TimeKind.NORMAL),
    ("2026-10-25 03:30", "GMT+2/EU", "2026-10-25 00:30|2026-10-25 01:30", TimeKind.FOLD),
]


@pytest.mark.parametrize(("wall", "spec", "expected", "kind"), BOUNDARY)
def test_boundary_rows(wall: str, spec: str, expected: str | None, kind: TimeKind) -> None:
    clock = parse_clock(spec)
    at = server(wall)
    assert clock.kind(at) is kind
    if kind is TimeKind.FOLD:
        assert f"{utc(clock.to_utc(at))}|{utc(clock.to_utc(at, fold='later'))}" == expected
    elif kind is TimeKind.GAP:
        # no such instant: converted with the pre-switch offset (+2), flagged as a gap
        assert clock.to_utc(at) == at - 120 * 60
    else:
        assert utc(clock.to_utc(at)) == expected
        assert clock.to_server(clock.to_utc(at)) == at


def test_holding_time_across_the_switch() -> None:
    """§6.3 case 2: hours between open and close, in UTC."""
    us, eu = parse_clock("ny-close"), parse_clock("GMT+2/EU")
    def hours(clock, a: str, b: str) -> float:  # noqa: ANN001
        return (clock.to_utc(server(b)) - clock.to_utc(server(a))) / 3600
    assert hours(us, "2024-03-08 15:00", "2024-03-11 10:00") == 66
    assert hours(eu, "2024-10-25 15:00", "2024-10-28 10:00") == 68
    assert hours(us, "2025-10-31 15:00", "2025-11-03 10:00") == 68


@pytest.mark.parametrize("spec", list(CLOCKS.values()) + ["GMT+1/AU", "Asia/Jerusalem",
                                                          "+05:30"])
def test_round_trip_outside_switch_hours(spec: str) -> None:
    """§6.3 case 4: to_server(to_utc(x)) == x for every non-gap, non-fold instant."""
    clock = parse_clock(spec)
    rng = random.Random(spec)
    start, end = server("2024-01-01 00:00"), server("2026-12-31 00:00")
    for _ in range(3000):
        at = rng.randrange(start, end)
        if clock.kind(at) is TimeKind.NORMAL:
            assert clock.to_server(clock.to_utc(at)) == at


def test_offset_at_and_descriptions() -> None:
    us = parse_clock("ny-close")
    assert us.offset_at(server("2026-03-10 10:00")) == 180  # §6.3 case 5: server 13:00
    assert parse_clock("GMT+2/EU").offset_at(server("2026-03-10 10:00")) == 120
    assert us.describe() == "GMT+2/+3 (US dates)"
    assert parse_clock("GMT+1/EU").describe() == "GMT+1/+2 (EU dates)"
    assert parse_clock("+05:30").describe() == "GMT+5:30 (fixed)"
    assert parse_clock("GMT+0").describe() == "GMT+0 (fixed)"
    assert parse_clock("Asia/Jerusalem").describe() == "Asia/Jerusalem"


def test_grammar() -> None:
    """§6.3 case 9."""
    assert parse_clock("ny-close") == parse_clock("GMT+2/US")
    assert canonical_spec("ny-close") == "GMT+2/US"
    assert canonical_spec(" gmt+2/eu ") == "GMT+2/EU"
    assert canonical_spec("+05:30") == "GMT+5:30"
    assert canonical_spec("UTC+3") == "GMT+3"
    assert canonical_spec("GMT-3:30") == "GMT-3:30"
    assert canonical_spec("auto") == "auto"
    assert parse_setting("auto") is None and parse_setting(None) is None
    athens, eu = parse_clock("Europe/Athens"), parse_clock("GMT+2/EU")
    for day, _ in ROWS:
        at = server(f"{day} 12:00")
        assert athens.to_utc(at) == eu.to_utc(at)
    for bad in ("GMT+2/XX", "Mars/Olympus", "+05:17", "GMT+15", "twelve", ""):
        with pytest.raises(ServerClockError, match="ny-close"):
            parse_clock(bad)


def test_fold_hour_keeps_ticket_order_and_gap_is_flagged() -> None:
    """Issue 10: in the repeated autumn hour the reading follows ticket order;
    a time in the skipped spring hour is converted with the old offset and flagged."""
    from mt5tray.core.ledger import stamp_times

    us = parse_clock("GMT+2/US")
    first, second = server("2024-11-03 08:40") * 1000, server("2024-11-03 08:20") * 1000
    stamps = stamp_times([(1, first), (2, second)], us)
    assert stamps[1] == ("2024-11-03T05:40:00.000+00:00", 180)  # before the switch
    assert stamps[2] == ("2024-11-03T06:20:00.000+00:00", 120)  # after it: ticket order kept
    alone = stamp_times([(3, second)], us)
    assert alone[3] == ("2024-11-03T05:20:00.000+00:00", 180)  # no neighbour: the earlier
    gaps: list[int] = []
    stamp_times([(4, server("2024-03-10 09:30") * 1000)], us, gaps)
    assert gaps == [4]


def test_a_week_of_deals_keeps_utc_order_equal_to_ticket_order() -> None:
    """§6.3 case 4: deals numbered in the order they happened, across the
    autumn fold, come out in the same order in UTC."""
    from mt5tray.core.ledger import stamp_times

    us = parse_clock("GMT+2/US")
    rng = random.Random(10)
    utc_start = int(datetime(2024, 10, 30, tzinfo=timezone.utc).timestamp())
    instants = sorted(rng.randrange(utc_start, utc_start + 7 * 86400) for _ in range(2000))
    fold_start = int(datetime(2024, 11, 3, 5, tzinfo=timezone.utc).timestamp())
    # a dense run through both readings of the fold
    instants += [fold_start + m * 60 for m in range(0, 120, 7)]
    instants.sort()
    items = [(i, int(us.to_server(t)) * 1000) for i, t in enumerate(instants)]
    stamps = stamp_times(items, us)
    in_utc = [stamps[i][0] for i, _ in items]
    assert in_utc == sorted(in_utc)


def test_a_list_of_spans() -> None:
    """The manual override for a broker that changed convention."""
    clock = parse_clock("GMT+0 until 2025-06-01, ny-close")
    assert canonical_spec("gmt+0 until 2025-06-01,  ny-close") == clock.spec
    assert clock.offset_at(server("2025-03-01 12:00")) == 0
    assert clock.offset_at(server("2025-07-01 12:00")) == 180
    for bad in ("GMT+0 until 2025-06-01, GMT+1 until 2025-01-01, GMT+2",
                "GMT+0 before 2025-06-01, GMT+2/US", "GMT+0 until 2025-06-01, Mars/Base"):
        with pytest.raises(ServerClockError):
            parse_clock(bad)

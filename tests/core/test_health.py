"""Tray state, tooltip and notification policy (core.health)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mt5tray.core.health import NoticePolicy, describe_counts, overall_health, relative_time
from mt5tray.core.models import SyncCounts, SyncResult, SyncStatus, SyncType, Trigger

NOW = datetime(2026, 8, 3, 12, 0, tzinfo=timezone.utc)


def result(status: SyncStatus = SyncStatus.SUCCESS, title: str | None = None,
           trigger: Trigger = Trigger.SCHEDULE, counts: SyncCounts | None = None) -> SyncResult:
    return SyncResult("id", 1, "S", SyncType.INCREMENTAL, trigger, status, NOW, NOW,
                      counts=counts or SyncCounts(), error="boom" if title else None,
                      error_title=title)


def test_states() -> None:
    assert overall_health([], False, False, 0).state == "syncing"
    assert overall_health([result()], True, False, 0).state == "syncing"
    assert overall_health([result()], False, True, 0).state == "paused"
    assert overall_health([result()], False, False, 0).state == "ok"
    assert overall_health([result(SyncStatus.PARTIAL)], False, False, 0).state == "warning"
    assert overall_health([result()], False, False, 0, pending_uploads=3).state == "warning"
    assert overall_health([result(SyncStatus.FAILED, "Sync failed")], False, False, 0
                          ).state == "error"


def test_terminal_not_running_waits_out_the_grace_period() -> None:
    closed = [result(SyncStatus.FAILED, "MT5 terminal not running")]
    early = overall_health(closed, False, False, uptime_s=30, grace_s=120)
    assert early.state == "syncing" and "Waiting" in early.headline
    assert overall_health(closed, False, False, uptime_s=200, grace_s=120).state == "terminal_off"


def test_missing_package_is_terminal_off_at_once() -> None:
    missing = [result(SyncStatus.FAILED, "MetaTrader 5 unavailable")]
    health = overall_health(missing, False, False, uptime_s=1)
    assert health.state == "terminal_off" and health.detail == "boom"


def test_failure_once_per_streak_and_once_on_recovery() -> None:
    policy, key = NoticePolicy(), (1, "S")
    failed = result(SyncStatus.FAILED, "MT5 terminal not running")
    assert policy.on_result(key, failed).is_error  # type: ignore[union-attr]
    assert policy.on_result(key, failed) is None
    assert policy.on_result(key, failed) is None
    back = policy.on_result(key, result())
    assert back is not None and back.title == "Sync working again"
    assert policy.on_result(key, result()) is None


def test_manual_sync_reports_counts() -> None:
    counts = SyncCounts(positions_updated=3, positions_closed=1)
    notice = NoticePolicy().on_result((1, "S"), result(trigger=Trigger.MANUAL, counts=counts))
    # C5: refreshing floating P&L is not "updated"; plurals agree with their numbers
    assert notice is not None and notice.message == "1 position closed, 3 open positions refreshed"
    assert describe_counts(SyncCounts()) == "nothing new"
    assert describe_counts(SyncCounts(deals_inserted=2, positions_created=1)) == (
        "2 new deals, 1 position opened")
    assert describe_counts(SyncCounts(deals_inserted=1, positions_updated=8)) == (
        "1 new deal, 8 open positions refreshed")
    assert describe_counts(SyncCounts(trades_upserted=8, positions_updated=8)) == (
        "8 open positions refreshed")


def test_a_full_resync_is_named_and_says_how_many_deals_it_re_read() -> None:
    full = result(trigger=Trigger.MANUAL, counts=SyncCounts(positions_updated=8))
    full.sync_type, full.deals_read = SyncType.FULL, 4607
    notice = NoticePolicy().on_result((1, "S"), full)
    assert notice is not None and notice.title == "1@S fully resynced"
    assert notice.message == "re-read 4,607 deals, 0 new deals, 8 open positions refreshed"
    assert "full resync succeeded" in full.summary() and "re-read 4,607 deals" in full.summary()


def test_relative_time() -> None:
    assert relative_time(None) == "never"
    assert relative_time(NOW - timedelta(seconds=10), NOW) == "just now"
    assert relative_time(NOW - timedelta(minutes=3), NOW) == "3 min ago"
    assert relative_time(NOW + timedelta(minutes=4), NOW) == "in 4 min"
    assert relative_time(NOW - timedelta(hours=5), NOW) == "5 h ago"


def test_the_first_import_is_announced_once_and_later_syncs_stay_quiet() -> None:
    """UX review P8: a first import is not silent; scheduled syncs after it are."""
    from datetime import datetime, timezone

    from mt5tray.core.health import NoticePolicy
    from mt5tray.core.models import SyncCounts, SyncResult, SyncStatus, SyncType, Trigger

    def result(kind: SyncType, read: int | None, new: int) -> SyncResult:
        done = SyncResult(sync_id="s", login=1001, server="Broker-Live", sync_type=kind,
                          trigger=Trigger.SCHEDULE, status=SyncStatus.SUCCESS,
                          started_at=datetime.now(timezone.utc))
        done.counts = SyncCounts(deals_inserted=new)
        done.deals_read = read
        return done

    notifier = NoticePolicy()
    first = notifier.on_result((1001, "Broker-Live"), result(SyncType.FULL, 4630, 4630))
    assert first is not None
    assert first.title == "1001@Broker-Live: journal ready"
    assert first.message == "imported 4,630 deals"
    later = notifier.on_result((1001, "Broker-Live"), result(SyncType.INCREMENTAL, None, 1))
    assert later is None
    resync = notifier.on_result((1001, "Broker-Live"), result(SyncType.FULL, 4630, 0))
    assert resync is None  # a scheduled full resync that found nothing new stays quiet

"""One account, one sync: read the terminal, build rows, write them at once.

The engine owns the order of operations and the rules users notice
(design.md "Sync correctness"): check the account before and after reading,
commit rows, cursor and log in one store transaction, and never let an
exception escape: every sync ends as a SyncResult and, once the account is
known, as a sync_logs row. Imports only the standard library and core.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone

from mt5tray.core.audit import audit_full_sync
from mt5tray.core.clean import Cleaning, note_cleaning
from mt5tray.core.clock_choice import choose_clock
from mt5tray.core.errors import AccountMismatch, ActionRequired, Mt5TrayError
from mt5tray.core.ledger import account_snapshot_row, equity_snapshot_row
from mt5tray.core.models import (
    AccountRef,
    AccountState,
    Row,
    SyncCounts,
    SyncRequest,
    SyncResult,
    SyncStatus,
    SyncType,
    TerminalAccount,
)
from mt5tray.core.plan import ReadWindow, SyncTuning, plan_window
from mt5tray.core.ports import JournalStore, Terminal, TerminalFactory
from mt5tray.core.reader import Reading, read_account

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """Who writes: stamped on sync logs and on the account heartbeat."""

    version: str
    host: str


@dataclass(slots=True)
class SyncEngine:
    """Runs single syncs; the service decides when and for which accounts."""

    store: JournalStore
    terminal_factory: TerminalFactory
    agent: AgentInfo
    tuning: SyncTuning = field(default_factory=SyncTuning)
    clock: Callable[[], float] = time.time
    # Held for the whole sync: one writer per home (bootstrap passes the home
    # lock; issue 8). Raising Mt5TrayError means it stayed busy: nothing done.
    exclusive: Callable[[], AbstractContextManager[object]] = nullcontext

    def sync(self, request: SyncRequest) -> SyncResult:
        try:
            with self.exclusive():
                return self._sync_exclusively(request)
        except Mt5TrayError as exc:
            return self._not_started(request, exc)

    def _not_started(self, request: SyncRequest, exc: Mt5TrayError) -> SyncResult:
        """Another mt5tray kept the home busy: a failed result, nothing written."""
        log.warning("Sync of %s not started: %s", request.account.describe(), exc)
        now = _utc(self.clock())
        return SyncResult(sync_id=str(uuid.uuid4()), login=request.account.login,
                          server=request.account.server, sync_type=request.sync_type,
                          trigger=request.trigger, status=SyncStatus.FAILED, started_at=now,
                          finished_at=now, error=exc.message, error_title=exc.title)

    def _sync_exclusively(self, request: SyncRequest) -> SyncResult:
        result = SyncResult(
            sync_id=str(uuid.uuid4()),
            login=request.account.login,
            server=request.account.server,
            sync_type=request.sync_type,
            trigger=request.trigger,
            status=SyncStatus.PROCESSING,
            started_at=_utc(self.clock()),
        )
        terminal: Terminal | None = None
        state: AccountState | None = None
        try:
            state = self._known_inactive(request.account)
            if state is not None:  # a switched-off account is not even logged into
                return self._skip(result, state)
            terminal = self.terminal_factory()
            account = terminal.open(request.account)
            result.login, result.server = account.login, account.server
            state = self._account_state(account)
            result.account_id = state.account_id
            if not state.is_active:
                return self._skip(result, state)
            self.store.start_sync(self._log_row(result, state.account_id))
            self._run(request, terminal, account, state, result)
        except Mt5TrayError as exc:
            self._fail(result, request.account, state, exc)
        except Exception as exc:  # a bug must not stop the other accounts
            log.exception("Unexpected error while syncing %s", request.account.describe())
            damaged = self._journal_damage()
            wrapped = Mt5TrayError(damaged, "Journal damaged") if damaged else Mt5TrayError(
                f"An unexpected error stopped the sync of {request.account.describe()} "
                f"({type(exc).__name__}: {exc}); nothing from this sync was written. The details "
                "are in the log file (mt5tray.log); if it happens again, report it with that "
                "file.", "Sync failed")
            ref = request.account
            if damaged:  # its row was in the damaged file: the fresh journal gets its own
                state = None
                ref = AccountRef(result.login, result.server) if result.login else ref
            self._fail(result, ref, state, wrapped)
        finally:
            if terminal is not None:
                _close_quietly(terminal)
        return result

    def _run(
        self,
        request: SyncRequest,
        terminal: Terminal,
        account: TerminalAccount,
        state: AccountState,
        result: SyncResult,
    ) -> None:
        choice = choose_clock(terminal, state, self._clock_setting(request), self.clock())
        window = plan_window(request, state, self.tuning, self.clock(), choice.clock)
        result.sync_type = window.sync_type
        reading = read_account(terminal, self.store, state, window, choice.clock, self.clock)
        again = terminal.account()
        if again.login != account.login:
            raise AccountMismatch(
                f"The terminal switched from account {account.login} to {again.login} during "
                "the sync, so nothing was written. Switch it back and sync again.",
            )
        result.status, result.error, result.counts = reading.status, reading.warning, reading.counts
        if choice.warning:  # a fresh tick contradicts the clock: say so, rewrite nothing
            log.warning("Sync of %s: %s", account.login, choice.warning)
            result.status = SyncStatus.PARTIAL
            result.error = f"{result.error} {choice.warning}" if result.error else choice.warning
        if window.sync_type is SyncType.FULL:
            self._audit(result, state, window, reading, again)
        self._stamp_finished(result)
        finished = result.finished_at.isoformat(timespec="milliseconds")  # type: ignore[union-attr]
        account_row = account_snapshot_row(again, reading.offset_minutes)
        account_row.update(choice.account_columns())
        if choice.clock.spec != state.server_timezone:  # every stored time, once (issue 10)
            who = f"{account.login}@{account.server}"
            if state.server_timezone is None:  # first sync (or a journal from before issue 10)
                log.info("Server clock of %s: %s (%s)", who, choice.clock.describe(),
                         choice.source)
            else:
                log.info("Server clock of %s changed from %s to %s (%s); recomputing its "
                         "stored times", who, state.server_timezone, choice.clock.describe(),
                         choice.source)
            reading.batch.restamp_clock = choice.clock
        account_row.update(self._health(finished, error=None, failures=0))
        account_row["last_successful_sync_at"] = finished
        reading.batch.account_row = reading.cleaning.clean(account_row, "account")
        reading.batch.equity_snapshot = reading.cleaning.clean(
            equity_snapshot_row(state.account_id, again, finished), "equity snapshot")
        note_cleaning(result, reading.cleaning, reading.batch)
        reading.batch.sync_log = self._log_row(result, state.account_id)
        committed = self.store.commit_sync(reading.batch)
        if committed is not None:  # counted inside the commit: another writer may have been first
            committed.deals_archived = result.counts.deals_archived  # the audit's, not the commit's
            result.counts = committed

    def _clock_setting(self, request: SyncRequest) -> str:
        """The account's server_timezone; at auto, the default (the legacy offset)."""
        spec = request.account.server_timezone
        return spec if spec and spec != "auto" else self.tuning.server_timezone

    def _audit(self, result: SyncResult, state: AccountState, window: ReadWindow,
               reading: Reading, account: TerminalAccount) -> None:
        """Archived deals and the balance check: a warning, never a deletion."""
        audit = audit_full_sync(self.store, state.account_id, window, reading.returned_tickets,
                                reading.batch.new_deals, account.balance)
        result.counts.deals_archived = audit.deals_archived
        result.deals_read = len(reading.returned_tickets)  # issue 11: "re-read N deals"
        result.balance_difference = audit.balance_difference
        warning = audit.warning(account.currency)
        if warning:
            log.warning("Sync of %s: %s", account.login, warning)
            result.status = SyncStatus.PARTIAL
            result.error = f"{result.error} {warning}" if result.error else warning

    # --- bookkeeping ---------------------------------------------------------------

    def _skip(self, result: SyncResult, state: AccountState) -> SyncResult:
        """Log a switched-off account's sync as skipped."""
        result.account_id = state.account_id
        result.status = SyncStatus.SKIPPED
        result.error = "The account is switched off (is_active = false in the journal); not synced."
        self._stamp_finished(result)
        self.store.start_sync(self._log_row(result, state.account_id))
        return result

    def _known_inactive(self, ref: AccountRef) -> AccountState | None:
        """The stored state of a configured account that is switched off."""
        if ref.login is None or not ref.server:
            return None
        state = self.store.find_account(ref.login, ref.server)
        return state if state is not None and not state.is_active else None

    def _account_state(self, account: TerminalAccount) -> AccountState:
        state = self.store.find_account(account.login, account.server)
        if state is None:
            row = account_snapshot_row(account, self.tuning.fallback_offset_minutes)
            state = self.store.ensure_account(Cleaning().clean(row, "account"))
        return state

    def _health(self, stamp: str, error: str | None, failures: int) -> Row:
        return {
            "last_sync_at": stamp,
            "last_connection_error": error,
            "sync_failure_count": failures,
            "agent_last_seen_at": stamp,
            "agent_version": self.agent.version,
            "agent_host": self.agent.host,
        }

    def _log_row(self, result: SyncResult, account_id: str) -> Row:
        row = result.to_json()
        row["id"] = row.pop("sync_id")
        row["account_id"] = account_id
        row["app_version"], row["host"] = self.agent.version, self.agent.host
        return row

    def _stamp_finished(self, result: SyncResult) -> None:
        result.finished_at = _utc(self.clock())
        elapsed = result.finished_at - result.started_at
        result.duration_ms = max(int(elapsed.total_seconds() * 1000), 0)

    def _fail(
        self, result: SyncResult, ref: AccountRef, state: AccountState | None, exc: Mt5TrayError
    ) -> None:
        result.status = SyncStatus.FAILED
        result.error, result.error_title = exc.message, exc.title
        result.needs_action = isinstance(exc, ActionRequired)
        result.counts = SyncCounts()
        self._stamp_finished(result)
        log.debug("Sync of %s failed: %s", ref.describe(), exc)  # service.py logs the line
        account_id = state.account_id if state else self._account_id_for(ref)
        result.account_id = account_id
        if account_id is None:
            return  # the account is unknown: there is no row to log against
        try:
            self.store.record_failure(account_id, self._log_row(result, account_id), str(exc))
        except Mt5TrayError as again:  # the store itself failed (locked journal): a sentence
            log.warning("Could not record the failed sync of %s: %s", ref.describe(), again)
        except Exception:
            log.exception("Could not record the failed sync of %s", ref.describe())

    def _journal_damage(self) -> str | None:
        """After an unexpected error, ask the journal to check itself (a store
        without the check, such as a test fake, has nothing to say)."""
        check = getattr(self.store, "check_after_error", None)
        try:
            return check() if check is not None else None
        except Exception:
            log.exception("Could not check the journal after the error")
            return None

    def _account_id_for(self, ref: AccountRef) -> str | None:
        """The row of a configured account, created if needed, so that even a
        sync that never reached the terminal leaves its sync_logs row."""
        if ref.login is None or not ref.server:
            return None
        try:
            state = self.store.find_account(ref.login, ref.server)
            if state is None:
                state = self.store.ensure_account({"login": ref.login, "server": ref.server})
        except Mt5TrayError as exc:  # e.g. the journal is locked: a sentence, no traceback
            log.warning("Could not reach the store for %s: %s", ref.describe(), exc)
            return None
        except Exception:
            log.exception("Could not reach the store for %s", ref.describe())
            return None
        return state.account_id


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def _close_quietly(terminal: Terminal) -> None:
    try:
        terminal.close()
    except Exception:
        log.debug("Closing the terminal failed", exc_info=True)

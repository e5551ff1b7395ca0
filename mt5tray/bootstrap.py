"""The composition root: settings -> terminal, store, secrets, engine, service.

The one place that decides which adapters run. Two rules live here:
a simulated terminal never writes to a user's configured store unless a
store is named explicitly, and the real MetaTrader5 package is imported
only when a sync actually needs it (so the tray starts without it and says
why it cannot sync).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mt5tray import __version__
from mt5tray.config import Settings, SettingsFile
from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.errors import SettingsError
from mt5tray.core.hooks import OptionalJobs
from mt5tray.core.models import AccountRef
from mt5tray.core.ports import Terminal, TerminalFactory
from mt5tray.core.service import SyncService
from mt5tray.home_lock import HomeLock, home_lock
from mt5tray.paths import AppPaths, app_paths
from mt5tray.secrets import KeyringSecrets, mt5_password_key
from mt5tray.store.local import LocalStore

if TYPE_CHECKING:
    from mt5tray.core.watch import Watcher
    from mt5tray.store.supabase.agent import SupabaseAgent
    from mt5tray.store.supabase.realtime import LiveRequests
    from mt5tray.store.supabase.session import SupabaseSession

LIVE_DEMO = "live-demo"  # --simulate with no scenario file


@dataclass(frozen=True, slots=True)
class Simulation:
    """Run on the simulated terminal: a scenario file, or the live demo."""

    scenario: Path | None = None

    @classmethod
    def from_arg(cls, value: str | None) -> Simulation | None:
        if value is None:
            return None
        return cls(None if value == LIVE_DEMO else Path(value))


@dataclass
class App:
    """Everything a command or the tray needs, built once."""

    paths: AppPaths
    settings: Settings
    settings_file: SettingsFile
    store: LocalStore
    engine: SyncEngine
    service: SyncService
    simulation: Simulation | None
    store_label: str
    # Supabase mode only (None otherwise).
    remote: SupabaseAgent | None = None
    live_requests: LiveRequests | None = None  # Realtime Sync Now + fallback poll
    # The optional jobs the scheduler and the tray call (empty without Supabase).
    hooks: OptionalJobs = field(default_factory=OptionalJobs)
    # One writer per home (issue 8): syncs, uploads and session refreshes hold it.
    lock: HomeLock | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)
    # Simulated runs: the accounts the scenario's terminals hold (empty: "whatever
    # the terminal is logged into").
    simulated_accounts: list[AccountRef] = field(default_factory=list)
    # A simulated run leaves the configured accounts alone: this says which
    # (None when there are none), for the log, the CLI and the status window.
    ignored_accounts_note: str | None = None

    def terminal_label(self) -> str:
        """Which terminal this app syncs from, for the start-up line."""
        if self.simulation is None:
            return "MetaTrader 5 (the MetaTrader5 package)"
        return f"simulated ({self.simulation.scenario or 'the live demo account'})"

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self.store.close()


def agent_info() -> AgentInfo:
    return AgentInfo(version=__version__, host=socket.gethostname())


def load_settings(paths: AppPaths) -> tuple[SettingsFile, Settings]:
    settings_file = SettingsFile(paths.settings_file)
    return settings_file, settings_file.load()


log = logging.getLogger(__name__)

SUPABASE = "supabase"


def resolve_store(
    store_url: str | None, settings: Settings, paths: AppPaths, simulated: bool,
    scenario: Path | None = None,
) -> tuple[Path, bool]:
    """Which local journal to write, and whether Supabase gets the rows too.

    A simulated run uses its own journal and never reaches Supabase unless a
    store is named on the command line: demo data never lands in the user's
    configured store by accident. In Supabase mode the local journal stays
    the engine's store and mirror; the outbox in it feeds Supabase."""
    url = store_url if (store_url or simulated) else settings.store
    default = paths.journal_file
    if simulated:
        default = paths.scenario_journal_file(scenario) if scenario else paths.demo_journal_file
    if url is None:
        return default, False
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not path:
            raise SettingsError("The store URL sqlite:/// names no file: use sqlite:///PATH.")
        return Path(path).expanduser(), False
    if url == SUPABASE:
        return default, True
    raise SettingsError(
        f"Unknown store {url!r}: use sqlite:///PATH for a local journal, or 'supabase'."
    )


def simulated_api(simulation: Simulation) -> Any:
    """The simulated MetaTrader5 module: a scenario's terminal(s), or the live demo."""
    from mt5tray.terminal import sim as simulated

    if simulation.scenario is not None:
        try:
            api = simulated.from_scenario(simulation.scenario)
        except simulated.ScenarioError as exc:  # a user's file: say what to fix, no traceback
            raise SettingsError(f"{exc}. Fix the scenario file, or run --simulate without "
                                "a file for the live demo.", "Scenario file problem") from None
        # A scenario may freeze its clock for tests; a user's run happens
        # now, so ticks stay fresh and the server offset is measured.
        api.clock.utc = time.time
        return api
    return simulated.live_demo()


def terminal_factory(simulation: Simulation | None, secrets: KeyringSecrets,
                     start_if_closed: bool = False, api: Any = None,
                     timeout_ms: int = 60000) -> TerminalFactory:
    """A factory of per-sync terminal connections over one MT5 API object
    (`api`: the simulated one already built, if any)."""
    from mt5tray.terminal.mt5api import Mt5ApiTerminal

    if simulation is not None:
        api = api if api is not None else simulated_api(simulation)
        return lambda: Mt5ApiTerminal(api, start_if_closed=start_if_closed,
                                      timeout_ms=timeout_ms)

    def real_terminal() -> Terminal:
        from mt5tray.terminal.metatrader import load_metatrader5

        def password_for(login: int, server: str | None) -> str | None:
            return secrets.get(mt5_password_key(login, server or ""))

        return Mt5ApiTerminal(load_metatrader5(), password_for=password_for,
                              start_if_closed=start_if_closed, timeout_ms=timeout_ms)

    return real_terminal


def account_refs(settings: Settings, simulation: Simulation | None,
                 simulated: Sequence[AccountRef] | None = None) -> list[AccountRef]:
    """The accounts a plain `sync` covers: the enabled ones, or, when none is
    configured (or on the simulator), whatever the terminal is logged into.
    A scenario that names its terminals' accounts (`simulated`) syncs those."""
    if simulation is not None and simulated:
        return list(simulated)
    if simulation is not None or not settings.accounts:
        return [AccountRef(login=None)]
    return [account.ref() for account in settings.enabled_accounts()]


def ignored_accounts_note(settings: Settings, simulation: Simulation | None) -> str | None:
    """Names the configured accounts a simulated run does not sync (C9):
    they are left alone on purpose, never dropped without a word."""
    if simulation is None or not settings.accounts:
        return None
    names = ", ".join(f"{a.login}@{a.server}" for a in settings.accounts[:5])
    more = f" and {len(settings.accounts) - 5} more" if len(settings.accounts) > 5 else ""
    many = len(settings.accounts) != 1
    return (f"This simulated session syncs only its simulated account, not the "
            f"{'accounts' if many else 'account'} in settings ({names}{more}); "
            f"{'they are' if many else 'it is'} synced when mt5tray runs on the real terminal.")


def build_app(
    simulation: Simulation | None = None,
    store_url: str | None = None,
    paths: AppPaths | None = None,
) -> App:
    paths = paths or app_paths()
    settings_file, settings = load_settings(paths)
    store_path, supabase = resolve_store(store_url, settings, paths, simulation is not None,
                                         simulation.scenario if simulation else None)
    secrets = KeyringSecrets()
    lock = home_lock(paths.data_dir)
    session = None
    if supabase:
        from mt5tray.store.outbox import OutboxingStore
        from mt5tray.store.outbox_crypto import OutboxCipher
        from mt5tray.store.supabase.session import SupabaseSession

        sb = settings.supabase
        session = SupabaseSession(sb.url, sb.publishable_key, secrets,
                                  sb.allow_service_role_key, sb.timeout_s, exclusive=lock.held)
        cipher = OutboxCipher(secrets, exclusive=lock.held)
        cipher.ensure_key()
        outboxing = OutboxingStore(store_path, cipher, sb.batch_size)
        with lock.held():
            outboxing.outbox.backfill(sb.url)  # history synced before Supabase mode
        store: LocalStore = outboxing
    else:
        store = LocalStore(store_path)
    with lock.held():  # a `processing` row of another process's running sync is not stale
        store.recover_interrupted_syncs()
    sim_api = simulated_api(simulation) if simulation is not None else None
    simulated = list(getattr(sim_api, "accounts_to_sync", None) or [])
    engine = SyncEngine(
        store=store,
        terminal_factory=terminal_factory(simulation, secrets,
                                          settings.start_terminal_if_closed, sim_api,
                                          int(settings.terminal_timeout_s * 1000)),
        agent=agent_info(),
        tuning=settings.tuning(),
        exclusive=lock.held,
    )
    service = SyncService(engine=engine,
                          accounts=lambda: account_refs(settings, simulation, simulated))
    label = f"sqlite:///{store_path}"
    app = App(paths, settings, settings_file, store, engine, service, simulation, label,
              lock=lock)
    app.simulated_accounts = simulated
    app.ignored_accounts_note = ignored_accounts_note(settings, simulation)
    if app.ignored_accounts_note:
        log.warning("%s", app.ignored_accounts_note)
    if session is not None:
        attach_supabase(app, session)
    return app


def build_watcher(app: App) -> Watcher:
    """Watch mode for a long-running agent (the tray): probes the terminal
    between syncs (settings `watch.*`) and syncs a change at once."""
    from mt5tray.core.watch import Watcher

    watch = app.settings.watch
    return Watcher(app.service, lambda: app.engine.terminal_factory(), app.store,
                   lambda: app.engine.tuning, interval_s=watch.probe_interval_s,
                   enabled=watch.enabled)


def attach_supabase(app: App, session: SupabaseSession) -> SupabaseAgent:
    """Wire the Supabase agent into the app: upload after each sync, and the
    hooks the scheduler and the tray call."""
    from mt5tray.store.outbox import OutboxingStore
    from mt5tray.store.supabase.agent import SupabaseAgent
    from mt5tray.store.supabase.realtime import LiveRequests

    assert isinstance(app.store, OutboxingStore)
    settings = app.settings
    agent = SupabaseAgent(app.store, session, app.engine.agent, settings.supabase.batch_size,
                          default_history_days=lambda: settings.full_resync_days,
                          sync_interval_s=lambda: settings.sync_interval_minutes * 60)
    app.service.subscribe(agent.on_sync_event)
    app.remote = agent
    app.store_label = f"supabase {session.url} (local mirror {app.store_label})"
    live = LiveRequests(session, lambda: agent.poll_requests(app.service),
                        enabled=settings.supabase.realtime)
    app.live_requests = live
    app.hooks = OptionalJobs(
        flush_outbox=agent.flush,
        poll_remote_requests=live.fallback_poll,
        listen_for_requests=live.start,
        heartbeat=lambda: agent.heartbeat(app.service),
        pending_uploads=agent.pending_uploads,
        signed_in_user=agent.signed_in_user,
        service_role_warning=agent.service_role_warning,
        sign_in=session.sign_in,
        sign_out=session.sign_out,
        quarantined_uploads=agent.quarantined_uploads,
    )
    app._closers.append(live.stop)
    app._closers.append(agent.close)
    return agent

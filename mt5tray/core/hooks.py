"""Optional jobs and facts that other parts of the app may provide.

The Supabase store, its outbox, auth and remote requests are built elsewhere
(bootstrap, store/). The scheduler and the UI must work without them, so they
see them only through this one small dataclass of optional callables, which
bootstrap fills in as `App.hooks`:

    flush_outbox() -> object           push queued rows (scheduler, every minute)
    poll_remote_requests() -> object   answer "sync now" from the web app
    heartbeat() -> object              tell the web app the agent is alive
    pending_uploads() -> int           rows waiting in the outbox
    quarantined_uploads() -> int       rows set aside: they cannot be sent as they are
    signed_in_user() -> str | None     e-mail of the Supabase session
    service_role_warning() -> str | None   set when a service-role key is in use
    sign_in(email, password) -> object / sign_out() -> object
    listen_for_requests(submit) -> stop     hear "sync now" at once (Realtime); a
                                       request heard is served by submit(func, name)
                                       on the sync thread; call stop() to end it

Any of them may be None; callers check before use. Qt-free.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptionalJobs:
    flush_outbox: Callable[[], object] | None = None
    poll_remote_requests: Callable[[], object] | None = None
    heartbeat: Callable[[], object] | None = None
    pending_uploads: Callable[[], int] | None = None
    signed_in_user: Callable[[], str | None] | None = None
    service_role_warning: Callable[[], str | None] | None = None
    sign_in: Callable[[str, str], object] | None = None
    sign_out: Callable[[], object] | None = None
    quarantined_uploads: Callable[[], int] | None = None
    listen_for_requests: Callable[[Callable[[Callable[[], object], str], None]],
                                  Callable[[], None]] | None = None

    def pending(self) -> int:
        """Pending uploads, 0 when unknown; never raises (it feeds the tooltip)."""
        return int(_quiet(self.pending_uploads, 0) or 0)

    def quarantined(self) -> int:
        """Rows set aside (never uploaded as they are), 0 when unknown; never raises."""
        return int(_quiet(self.quarantined_uploads, 0) or 0)

    def user(self) -> str | None:
        return _quiet(self.signed_in_user, None)

    def warning(self) -> str | None:
        return _quiet(self.service_role_warning, None)


def _quiet(func: Callable[[], Any] | None, default: Any) -> Any:
    if func is None:
        return default
    try:
        return func()
    except Exception:
        log.debug("An optional hook failed", exc_info=True)
        return default

"""Fault injection for the simulated terminal: which faults are waiting, which
are active, and when they fire. What a fault *does* lives in simulator.py;
the kinds are documented there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FAULT_KINDS = frozenset({
    "ipc_timeout",
    "ipc_timeout_once",
    "not_connected",
    "auth_failed",
    "account_switched",
    "terminal_closed",
    "hang",
})


@dataclass
class _Pending:
    kind: str
    remaining: int


@dataclass
class Faults:
    """Faults count down API calls (last_error excluded) and then become active."""

    pending: list[_Pending] = field(default_factory=list)
    active: set[str] = field(default_factory=set)

    def inject(self, kind: str, after_calls: int = 0) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose one of {sorted(FAULT_KINDS)}")
        if after_calls < 0:
            raise ValueError("after_calls must be >= 0")
        self.pending.append(_Pending(kind, after_calls))

    def tick(self) -> list[str]:
        """Count one API call; return the kinds that fire on this call."""
        fired = [p.kind for p in self.pending if p.remaining <= 0]
        for p in self.pending:
            p.remaining -= 1
        self.pending = [p for p in self.pending if p.remaining >= 0]
        self.active.update(fired)
        return fired

    def is_active(self, kind: str) -> bool:
        return kind in self.active

    def consume(self, kind: str) -> bool:
        """True once for an active once-off fault, which is then gone."""
        if kind in self.active:
            self.active.discard(kind)
            return True
        return False

    def clear(self) -> None:
        self.pending.clear()
        self.active.clear()

"""Full-sync checks that the journal still agrees with the terminal (issue 9).

Brokers archive (delete) old deals: the terminal's history then lacks deals
the journal holds, and the deals no longer sum to the balance (mt5-api.md G3,
G13). Stored deals are never deleted; these checks say so instead of keeping
silent:
- archived: stored deals inside the window a full sync read that the
  terminal no longer returned;
- balance: the sum of every stored deal's money (profit + commission + swap
  + fee; credit deals excluded, they move `credit`) against the balance,
  on full syncs that read all history (then the journal should hold every
  deal; after a limited import a difference says nothing new).
Imports only the standard library and core.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mt5tray.core.models import Row
from mt5tray.core.plan import ReadWindow
from mt5tray.core.ports import JournalStore

BALANCE_TOLERANCE = 0.005  # balances are whole cents; anything below is float noise


@dataclass(frozen=True, slots=True)
class Audit:
    deals_archived: int
    example_ticket: int | None
    balance_difference: float | None  # journal sum minus the balance; None: not checked
    journal_total: float = 0.0
    balance: float = 0.0

    def warning(self, currency: str = "") -> str | None:
        """One readable sentence for the sync log, or None when all agrees."""
        parts = []
        if self.deals_archived:
            parts.append(
                f"{self.deals_archived} stored deal(s) (e.g. ticket {self.example_ticket}) are "
                "no longer in the terminal's history: the broker archived them. They stay in "
                "the journal.")
        if self.balance_difference is not None and abs(self.balance_difference) > \
                BALANCE_TOLERANCE:
            unit = f" {currency}" if currency else ""
            parts.append(
                f"The journal's deals sum to {self.journal_total:.2f}{unit} but the balance is "
                f"{self.balance:.2f}{unit} ({self.balance_difference:+.2f}): deals are missing "
                "from the history (archived by the broker, or older than what was imported).")
        return " ".join(parts) or None


def deal_money(row: Row) -> float:
    """A deal's money; a part stored as NULL (a non-number the terminal sent,
    see core/clean.py) counts as 0, as the journal's own total does."""
    return float(sum(row[k] or 0.0 for k in ("profit", "commission", "swap", "fee")))


def audit_full_sync(store: JournalStore, account_id: str, window: ReadWindow,
                    returned: Iterable[int], new_deals: Iterable[Row],
                    balance: float) -> Audit:
    """Archived deals in `window`, and (all-history reads) the balance check,
    counting this sync's new deals."""
    held = store.deal_tickets_between(account_id, window.date_from * 1000,
                                      window.date_to * 1000 + 999)
    missing = held - set(returned)
    example = min(missing) if missing else None
    if window.date_from > 0:  # a limited window: the balance check would say nothing
        return Audit(len(missing), example, None)
    new_money = sum(deal_money(d) for d in new_deals if d["type"] != "credit")
    total = round(store.deal_money_total(account_id) + new_money, 2)
    return Audit(len(missing), example, round(total - balance, 2), total, balance)

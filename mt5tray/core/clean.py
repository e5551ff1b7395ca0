"""Values that the two stores cannot hold alike, cleaned where terminal
records become rows, so the journal and Supabase always agree.

- Text with NUL characters: PostgreSQL's text type cannot store U+0000
  (error 22P05, "unsupported Unicode escape sequence"; PostgreSQL docs,
  "Character Types"), SQLite can. The NULs are removed.
- NaN and ±Infinity: SQLite stores NaN as NULL but keeps infinities, JSON
  (and so PostgREST) has neither. They are stored as NULL in both stores.

Every cleaning is counted for the rows a sync writes and reported with the
sync (its `cleaned` counts; non-numbers make it `partial` with a warning).
Pure: imports only the standard library and core.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from mt5tray.core.models import Row, SyncBatch, SyncResult, SyncStatus

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Cleaning:
    """What was cleaned, per row label ("deal 123", "trade 45", "account")."""

    # label -> (NUL characters removed, [columns that held NaN/inf])
    found: dict[str, tuple[int, list[str]]] = field(default_factory=dict)

    def clean(self, row: Row, label: str) -> Row:
        """The row with NULs removed from text and non-finite numbers as None."""
        nuls, non_finite = 0, []
        for column, value in row.items():
            if isinstance(value, str) and "\x00" in value:
                nuls += value.count("\x00")
                row[column] = value.replace("\x00", "")
            elif isinstance(value, float) and not math.isfinite(value):
                non_finite.append(column)
                row[column] = None
        if nuls or non_finite:
            self.found[label] = (nuls, non_finite)
        else:
            self.found.pop(label, None)
        return row

    def report(self, batch: SyncBatch) -> tuple[int, list[str]]:
        """(NULs removed, ["deal 123 commission", ...]) over the rows `batch` writes."""
        labels = [f"deal {d['ticket']}" for d in batch.new_deals]
        labels += [f"trade {t['ticket']}" for t in batch.trades]
        labels += ["account", "equity snapshot"]
        nuls, values = 0, list[str]()
        for label in labels:
            n, columns = self.found.get(label, (0, []))
            nuls += n
            values.extend(f"{label} {c}" for c in columns)
        return nuls, values


def note_cleaning(result: SyncResult, cleaning: Cleaning, batch: SyncBatch) -> None:
    """Put what was cleaned on the result (counts, warning) and in the log."""
    nuls, values = cleaning.report(batch)
    result.cleaned = {"nul_characters_removed": nuls, "non_finite_numbers_stored_as_null":
                      len(values)}
    if nuls:
        log.warning("Removed %d NUL character(s) from text the terminal reported (PostgreSQL "
                    "cannot store them); journal and Supabase hold the text without them", nuls)
    if values:
        warning = (f"The terminal reported {len(values)} value(s) that are not numbers (NaN or "
                   f"infinity), e.g. {values[0]}; they are stored as empty (NULL) in the journal "
                   "and in Supabase.")
        log.warning("%s All: %s", warning, ", ".join(values[:20]))
        result.error = f"{result.error} {warning}" if result.error else warning
        if result.status is SyncStatus.SUCCESS:
            result.status = SyncStatus.PARTIAL

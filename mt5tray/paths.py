"""Per-user folders: settings, data (journal, state) and logs.

platformdirs picks the OS convention; `MT5TRAY_HOME` moves all three under
one folder (tests, portable installs on a USB stick or a VPS share).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "mt5tray"


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def journal_file(self) -> Path:
        """The local journal for real terminals."""
        return self.data_dir / "journal.sqlite3"

    @property
    def demo_journal_file(self) -> Path:
        """Simulated accounts get their own journal: demo data never mixes
        with a user's real history."""
        return self.data_dir / "simulated.sqlite3"

    def scenario_journal_file(self, scenario: Path) -> Path:
        """A scenario file's runs get a journal of their own, named after it,
        so they never mix with the live demo's (or another scenario's) data."""
        return self.data_dir / f"simulated-{scenario.stem}.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "mt5tray.log"


def app_paths() -> AppPaths:
    home = os.environ.get("MT5TRAY_HOME")
    if home:
        base = Path(home).expanduser()
        return AppPaths(base / "config", base / "data", base / "logs")
    return AppPaths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )

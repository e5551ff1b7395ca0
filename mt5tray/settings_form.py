"""Validating what the settings dialog collected, before anything is saved.

Qt-free so the rules are tested without a screen. The pydantic Settings
model is the source of truth; this adds the checks a form needs on top of
it (URLs the user typed) and turns pydantic's errors into sentences that
name the field as the dialog labels it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from pydantic import ValidationError

from mt5tray.config import Settings
from mt5tray.core.errors import SettingsError
from mt5tray.validation_text import plain_message, sentence

LABELS = {
    "sync_interval_minutes": "Sync interval (minutes)",
    "full_resync_days": "Full resync default (days)",
    "dashboard_url": "Dashboard URL",
    "supabase.url": "Supabase URL",
    "supabase.publishable_key": "Publishable key",
    "accounts": "Accounts",
}


class SettingsInvalid(SettingsError):
    """The form holds invalid values; `problems` has one sentence per field."""

    title = "Settings not saved"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def validate_settings(data: dict[str, Any]) -> Settings:
    """A valid Settings from the form's values, or SettingsInvalid."""
    problems = _url_problems(data)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems += [_sentence(p) for p in exc.errors()]
        raise SettingsInvalid(problems) from None
    if problems:
        raise SettingsInvalid(problems)
    return settings


def _url_problems(data: dict[str, Any]) -> list[str]:
    problems = []
    supabase = data.get("supabase") or {}
    checks = [("Supabase URL", supabase.get("url", ""), ("https", "http")),
              ("Dashboard URL", data.get("dashboard_url", ""), ("https", "http"))]
    for label, url, schemes in checks:
        if url and (urlparse(url).scheme not in schemes or not urlparse(url).netloc):
            problems.append(f"{label}: '{url}' is not a web address (https://…).")
    if supabase.get("url") and not supabase.get("publishable_key"):
        problems.append("Publishable key: needed with a Supabase URL (Project Settings > API).")
    key = supabase.get("publishable_key", "")
    if key.startswith("sb_secret_"):
        problems.append("Publishable key: this is a secret key; use the publishable (anon) key.")
    return problems


def _sentence(problem: Any) -> str:
    loc = [str(part) for part in problem["loc"]]
    if loc and loc[0] == "accounts" and len(loc) > 1 and loc[1].isdigit():
        field = f"Account {int(loc[1]) + 1}" + (f" {loc[2]}" if len(loc) > 2 else "")
    else:
        field = LABELS.get(".".join(loc), ".".join(loc) or "Settings")
    return sentence(field, plain_message(problem))

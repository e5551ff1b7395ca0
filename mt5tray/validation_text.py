"""pydantic's validation errors in a trader's words.

pydantic says "Input should be a valid integer, unable to parse string as an
integer" and links to errors.pydantic.dev; a user needs "Login: 'abc' is not
an account number: type the digits only." Every place that shows a
ValidationError (the settings and account dialogs, the bad-settings-file
message, `mt5tray accounts add`) words it here, by the error's `type`
(pydantic's stable error codes, https://docs.pydantic.dev/latest/errors/
validation_errors/), falling back to the message without its prefix.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

# What a field is when a message needs a noun ("Login must be ...").
FIELD_NOUNS = {
    "login": "the MT5 account number",
    "server": "the trade server name",
}


def plain_message(problem: Any) -> str:
    """One pydantic error as a short clause (no field name, no full stop)."""
    kind, ctx, value = problem.get("type", ""), problem.get("ctx") or {}, problem.get("input")
    field = str(problem["loc"][-1]) if problem.get("loc") else ""
    if kind in ("int_parsing", "int_type", "int_from_float"):
        shown = f"'{value}' is not" if isinstance(value, str) and value else "it must be"
        return f"{shown} a whole number; type digits only"
    if kind in ("float_parsing", "float_type"):
        return f"'{value}' is not a number" if isinstance(value, str) else "it must be a number"
    if kind == "greater_than":
        if field == "login":
            return "type the MT5 account number (a number above 0)"
        return f"must be more than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}"
    if kind == "less_than_equal":
        return f"must be {ctx.get('le')} or less"
    if kind == "string_too_short" or (kind == "value_error" and field in FIELD_NOUNS
                                      and str(problem.get("msg", "")).endswith("is empty")):
        return f"is empty; type {FIELD_NOUNS.get(field, 'a value')}"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return "is not a setting mt5tray knows"
    if kind in ("string_type", "list_type", "dict_type", "model_type"):
        return {"string_type": "must be text", "list_type": "must be a list",
                "dict_type": "must be an object", "model_type": "must be an object"}[kind]
    message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
    return message


def problems_by_field(error: ValidationError) -> dict[tuple[str | int, ...], str]:
    """The first plain message of each field (pydantic may report a field twice)."""
    found: dict[tuple[str | int, ...], str] = {}
    for problem in error.errors():
        found.setdefault(tuple(problem["loc"]), plain_message(problem))
    return found


def sentence(label: str, message: str) -> str:
    """'Label: message.' with one capital and one full stop."""
    message = message.rstrip(".")
    return f"{label}: {message}." if label else message[:1].upper() + message[1:] + "."


ACCOUNT_LABELS = {"login": "Login", "server": "Server", "mode": "Mode",
                  "terminal_path": "Terminal", "label": "Label", "enabled": "Enabled",
                  "owns_terminal": "Owns terminal", "server_timezone": "Server clock"}


def account_problems(error: ValidationError) -> list[str]:
    """One sentence per field of an AccountSettings error, labelled as the
    account dialog and `accounts add` name the fields."""
    return [sentence(ACCOUNT_LABELS.get(str(loc[-1]) if loc else "", "Account"), message)
            for loc, message in problems_by_field(error).items()]

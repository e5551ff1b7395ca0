"""PostgREST's URL grammar turned into SQL: select lists, filters, order, and the
catalog lookups (table columns, primary key, functions) that stand in for
PostgREST's schema cache.

Only what supabase-py's table builder commonly sends is understood; anything
else fails with a 400 that says the test gateway does not serve it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from .errors import bad_request

_IDENT = re.compile(r'^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$')
_CAST = re.compile(r"^[A-Za-z_][A-Za-z0-9_ \[\]]*$")
_FILTER_OPS = {
    "eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
    "like": "like", "ilike": "ilike",
}
_IS_VALUES = {"null": "null", "not_null": "not null", "true": "true", "false": "false",
              "unknown": "unknown"}
RESERVED_PARAMS = {"select", "order", "limit", "offset", "on_conflict", "columns"}


@dataclass
class Relation:
    """A table or view of schema public, or the row type a function returns."""

    name: str
    columns: dict[str, str]  # column -> type as format_type() spells it
    primary_key: list[str]


@dataclass
class Function:
    name: str
    args: list[tuple[str, str]]  # IN arguments: (name, type)
    required: int  # how many leading args have no default
    returns_set: bool
    return_kind: str  # 'composite', 'scalar' or 'void'
    row_type: str | None  # relation name of a composite return type


def parse_name(name: str) -> str:
    """A bare or double-quoted column name from a URL, unquoted."""
    name = name.strip()
    if not _IDENT.match(name):
        raise bad_request(f'"{name}" is not a column name the test gateway understands')
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def ident(name: str) -> sql.Identifier:
    return sql.Identifier(parse_name(name))


def column_names(value: str) -> list[str]:
    """`"a","b"` or `a,b` (the `columns` and `on_conflict` parameters)."""
    return [parse_name(part) for part in split_top(value) if part.strip()]


def split_top(value: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside double quotes and parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif not quoted and depth == 0 and char == sep:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def select_list(select: str | None, alias: str) -> sql.Composable:
    """`a,b:c,d::text` -> the SQL select list on relation `alias`."""
    items = [item.strip() for item in split_top(select or "*") if item.strip()]
    if not items or items == ["*"]:
        return sql.SQL("{}.*").format(sql.Identifier(alias))
    parts: list[sql.Composable] = []
    for item in items:
        if item == "*":
            parts.append(sql.SQL("{}.*").format(sql.Identifier(alias)))
            continue
        if "(" in item or "->" in item:
            raise bad_request(f"'{item}': embedding and JSON paths are not served by the test "
                              "gateway")
        column, _, cast = item.partition("::")
        label = ""
        if ":" in column:
            label, column = column.split(":", 1)
        out = sql.SQL("{}.{}").format(sql.Identifier(alias), ident(column))
        if cast:
            if not _CAST.match(cast):
                raise bad_request(f"'{cast}' is not a type the test gateway understands")
            out = sql.SQL("{}::{}").format(out, sql.SQL(cast))
        name = ident(label) if label else ident(column)
        parts.append(sql.SQL("{} as {}").format(out, name))
    return sql.SQL(", ").join(parts)


def where_clause(filters: list[tuple[str, str]], rel: Relation | None,
                 alias: str) -> tuple[sql.Composable, list[object]]:
    """PostgREST filters (`col=op.value`, `col=not.op.value`) -> WHERE and params."""
    conditions: list[sql.Composable] = []
    params: list[object] = []
    for column, expr in filters:
        if column in ("or", "and", "not.or", "not.and"):
            raise bad_request("or/and filters are not served by the test gateway")
        negate = expr.startswith("not.")
        if negate:
            expr = expr[4:]
        op, _, value = expr.partition(".")
        col = sql.SQL("{}.{}").format(sql.Identifier(alias), ident(column))
        col_type = rel.columns.get(parse_name(column)) if rel else None
        if col_type is None:
            col, col_type = sql.SQL("{}::text").format(col), "text"
        cond = _condition(col, col_type, op, value, params)
        conditions.append(sql.SQL("not ({})").format(cond) if negate else cond)
    if not conditions:
        return sql.SQL(""), params
    return sql.SQL(" where ") + sql.SQL(" and ").join(conditions), params


def _condition(col: sql.Composable, col_type: str, op: str, value: str,
               params: list[object]) -> sql.Composable:
    if op in _FILTER_OPS:
        if op in ("like", "ilike"):
            params.append(value.replace("*", "%"))
            return sql.SQL("{} {} %s").format(col, sql.SQL(_FILTER_OPS[op]))
        params.append(value)
        return sql.SQL("{} {} %s::{}").format(col, sql.SQL(_FILTER_OPS[op]), sql.SQL(col_type))
    if op == "is":
        if value.lower() not in _IS_VALUES:
            raise bad_request(f'"failed to parse filter (is.{value})"')
        return sql.SQL("{} is {}").format(col, sql.SQL(_IS_VALUES[value.lower()]))
    if op == "in":
        if not (value.startswith("(") and value.endswith(")")):
            raise bad_request(f'"failed to parse filter (in.{value})"')
        items = [_unquote(v) for v in split_top(value[1:-1])] if value[1:-1] else []
        params.append(items)
        return sql.SQL("{} = any(%s::{}[])").format(col, sql.SQL(col_type))
    raise bad_request(f"filter operator '{op}' is not served by the test gateway")


def order_clause(order: str | None, alias: str) -> sql.Composable:
    if not order:
        return sql.SQL("")
    parts: list[sql.Composable] = []
    for term in split_top(order):
        column, *mods = term.strip().split(".")
        piece = sql.SQL("{}.{}").format(sql.Identifier(alias), ident(column))
        for mod in mods:
            words = {"asc": "asc", "desc": "desc", "nullsfirst": "nulls first",
                     "nullslast": "nulls last"}
            if mod not in words:
                raise bad_request(f'"failed to parse order ({order})"')
            piece = sql.SQL("{} {}").format(piece, sql.SQL(words[mod]))
        parts.append(piece)
    return sql.SQL(" order by ") + sql.SQL(", ").join(parts)


# -- the schema cache, read live --------------------------------------------------

def find_relation(conn: psycopg.Connection, name: str) -> Relation | None:
    row = conn.execute(
        """
        select
          array(select a.attname from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 order by a.attnum),
          array(select format_type(a.atttypid, a.atttypmod) from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 order by a.attnum),
          array(select a.attname
                  from pg_index i
                  cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                 where i.indrelid = c.oid and i.indisprimary order by k.ord)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relname = %s and c.relkind in ('r','p','v','m','f')
        """,
        [name],
    ).fetchone()
    if row is None:
        return None
    return Relation(name, dict(zip(row[0], row[1], strict=True)), list(row[2]))


def table_names(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'public' and c.relkind in ('r','p','v','m','f')"
    ).fetchall()
    return [r[0] for r in rows]


def find_functions(conn: psycopg.Connection, name: str) -> list[Function]:
    rows = conn.execute(
        """
        select p.proname, coalesce(p.proargnames, '{}'), coalesce(p.proargmodes::text[], '{}'),
               array(select format_type(t, null) from
                     unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t),
               p.pronargs, p.pronargdefaults, p.proretset, rt.typtype, rt.typname,
               case when rt.typrelid <> 0 then rt.typrelid::regclass::text end
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        join pg_type rt on rt.oid = p.prorettype
        where n.nspname = 'public' and p.proname = %s and p.prokind = 'f'
        """,
        [name],
    ).fetchall()
    found = []
    for proname, names, modes, types, nargs, ndefaults, retset, typtype, typname, rel in rows:
        modes = modes or ["i"] * len(types)
        args = [(n, t) for n, m, t in zip(names, modes, types, strict=False) if m in "ibv"]
        kind = ("void" if typname == "void" else
                "composite" if typtype == "c" or typname == "record" else "scalar")
        row_type = rel.removeprefix("public.") if rel else None
        found.append(Function(proname, args, nargs - ndefaults, retset, kind, row_type))
    return found

"""`/rest/v1/rpc/<function>`: calling a function of schema public the way PostgREST does.

Arguments travel as one JSON object, turned into typed values by
`json_to_record(...) as _a(<arg> <type>, ...)` with the function's own
argument types, then passed by name. Set-returning functions answer a JSON
array, single composites an object, scalars their JSON value, void 204.
"""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg
from psycopg import sql

from .errors import Response, pgrst_error
from .request import RestRequest, read_body, rows_response
from .sql import Function, find_functions, find_relation, order_clause, select_list, where_clause


def call_function(conn: psycopg.Connection, req: RestRequest, name: str) -> Response:
    if req.method == "POST":
        args = read_body(req, expect_object=True)[0]
        arg_text, filters = req.body.decode("utf-8") or "{}", req.filters
        fn = _pick(conn, name, set(args))
    else:  # GET: arguments and filters share the query string
        candidates = dict(req.filters)
        fn = _pick(conn, name, set(candidates) & {n for n, _ in _all_args(conn, name)})
        names = {n for n, _ in fn.args}
        args = {k: v for k, v in candidates.items() if k in names}
        arg_text, filters = json.dumps(args), [(k, v) for k, v in req.filters if k not in names]
    used = [(n, t) for n, t in fn.args if n in args]
    call = sql.SQL("public.{}({})").format(sql.Identifier(fn.name), sql.SQL(", ").join(
        sql.SQL("{n} => _a.{n}").format(n=sql.Identifier(n)) for n, _ in used))
    params: list[object] = []
    source: sql.Composable = sql.SQL("{} _f").format(call)
    if used:
        record = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in used)
        source = sql.SQL("json_to_record(%s::json) as _a({}) cross join lateral {} _f").format(
            record, call)
        params.append(arg_text)
    if fn.return_kind == "void":
        conn.execute(sql.SQL("select 1 from {}").format(source), params)
        return Response(204)
    if fn.return_kind == "scalar":
        agg = "coalesce(json_agg(_f), '[]')" if fn.returns_set else "to_json(_f)"
        row = conn.execute(sql.SQL("select {}::text from {}").format(sql.SQL(agg), source),
                           params).fetchone()
        return Response.raw_json(200, row[0] if row and row[0] is not None else "null")
    rel = find_relation(conn, fn.row_type) if fn.row_type else None
    where, where_params = where_clause(filters, rel, "_f")
    query = sql.SQL(
        "select coalesce(json_agg(_r), '[]')::text, count(*) from"
        " (select {cols} from {source}{where}{order}) _r"
    ).format(cols=select_list(req.param("select"), "_f"), source=source, where=where,
             order=order_clause(req.param("order"), "_f"))
    text, n = conn.execute(query, params + where_params).fetchone() or ("[]", 0)
    if not fn.returns_set:
        rows = json.loads(text, parse_float=Decimal)
        return Response.raw_json(200, json.dumps(rows[0] if rows else None, default=str))
    return rows_response(200, req, text, n, None, 0)


def _all_args(conn: psycopg.Connection, name: str) -> list[tuple[str, str]]:
    return [arg for fn in find_functions(conn, name) for arg in fn.args]


def _pick(conn: psycopg.Connection, name: str, keys: set[str]) -> Function:
    for fn in find_functions(conn, name):
        names = [n for n, _ in fn.args]
        if keys <= set(names) and set(names[: fn.required]) <= keys:
            return fn
    signature = ", ".join(sorted(keys))
    raise pgrst_error(
        404, "PGRST202",
        f"Could not find the function public.{name}({signature}) in the schema cache",
        details=f"Searched for the function public.{name} with parameters {signature}"
                " but no matches were found in the schema cache.",
    )

"""The REST half of the test gateway: PostgREST's `/rest/v1/<table>` and `/rest/v1/rpc/<fn>`.

Each request is one transaction as the caller's role (see db.Database.as_role)
and, like PostgREST, one data statement. Writes pass the request body to
PostgreSQL untouched (`json_populate_recordset`), so numbers are never
rounded through Python floats.
"""

from __future__ import annotations

import difflib
import json
from decimal import Decimal

import psycopg
from psycopg import sql

from .db import Database
from .errors import HttpError, Response, from_postgres, pgrst_error
from .request import RestRequest, read_body, rows_response
from .rpc import call_function
from .sql import (
    Relation,
    column_names,
    find_relation,
    order_clause,
    select_list,
    table_names,
    where_clause,
)


class RestService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def handle(self, req: RestRequest) -> Response:
        for header in ("accept-profile", "content-profile"):
            if req.headers.get(header, "public") != "public":
                raise pgrst_error(406, "PGRST106", "Invalid schema: " + req.headers[header],
                                  hint="Only the following schemas are exposed: public")
        try:
            with self.db.as_role(req.role, req.claims, req.method, "/" + req.route) as conn:
                if req.route.startswith("rpc/"):
                    return call_function(conn, req, req.route[4:])
                rel = find_relation(conn, req.route)
                if rel is None:
                    raise self._missing_table(conn, req.route)
                if req.method in ("GET", "HEAD"):
                    return self._read(conn, req, rel)
                if req.method == "POST":
                    return self._insert(conn, req, rel)
                if req.method == "PATCH":
                    return self._update(conn, req, rel)
                if req.method == "DELETE":
                    return self._delete(conn, req, rel)
                raise pgrst_error(405, "PGRST117", f"Unsupported HTTP method: {req.method}")
        except psycopg.Error as exc:
            if exc.sqlstate == "22P02" and "type json" in str(exc):
                raise pgrst_error(400, "PGRST102", "Empty or invalid json",
                                  details=str(exc).strip()) from None
            raise from_postgres(exc, req.role) from None

    # -- reads ---------------------------------------------------------------

    def _read(self, conn: psycopg.Connection, req: RestRequest, rel: Relation) -> Response:
        where, params = where_clause(req.filters, rel, "_t")
        offset, limit = self._window(req)
        page: sql.Composable = sql.SQL("")
        if limit is not None:
            page += sql.SQL(" limit {}").format(sql.Literal(limit))
        if offset:
            page += sql.SQL(" offset {}").format(sql.Literal(offset))
        query = sql.SQL(
            "select coalesce(json_agg(_r), '[]')::text, count(*) from"
            " (select {cols} from public.{table} _t{where}{order}{page}) _r"
        ).format(cols=select_list(req.param("select"), "_t"), table=sql.Identifier(rel.name),
                 where=where, order=order_clause(req.param("order"), "_t"), page=page)
        text, n = conn.execute(query, params).fetchone() or ("[]", 0)
        total = None
        if "count" in req.prefer:
            count_query = sql.SQL("select count(*) from public.{} _t{}").format(
                sql.Identifier(rel.name), where)
            total = (conn.execute(count_query, params).fetchone() or (0,))[0]
        return rows_response(200, req, text, n, total, offset)

    @staticmethod
    def _window(req: RestRequest) -> tuple[int, int | None]:
        offset, limit = req.param("offset"), req.param("limit")
        range_header = req.headers.get("range", "").removeprefix("items=")
        if offset is None and limit is None and "-" in range_header:
            first, _, last = range_header.partition("-")
            return int(first), (int(last) - int(first) + 1 if last else None)
        try:
            return int(offset or 0), (int(limit) if limit is not None else None)
        except ValueError:
            raise pgrst_error(400, "PGRST103", "Requested range not satisfiable") from None

    # -- writes --------------------------------------------------------------

    def _insert(self, conn: psycopg.Connection, req: RestRequest, rel: Relation) -> Response:
        body = req.body.decode("utf-8").strip()
        missing_default = req.prefer.get("missing") == "default"
        if req.param("columns") and not missing_default:
            # Like PostgREST with `columns`: the body goes to PostgreSQL as it
            # is, which parses it once (and rejects it if it is not JSON).
            rows, columns = [], column_names(req.param("columns") or "")
            if not body.startswith(("[", "{")):
                raise pgrst_error(400, "PGRST102", "Empty or invalid json")
        else:
            rows = read_body(req, expect_object=False)
            columns = (column_names(req.param("columns") or "") if req.param("columns")
                       else list(dict.fromkeys(k for row in rows for k in row)))
        self._check_columns(rel, columns)
        body = body if body.startswith("[") else f"[{body}]"
        groups: list[tuple[list[str], list[int] | None]] = [(columns, None)]
        if missing_default:
            by_keys: dict[tuple[str, ...], list[int]] = {}
            for i, row in enumerate(rows, start=1):
                by_keys.setdefault(tuple(c for c in columns if c in row), []).append(i)
            groups = [(list(keys), idx) for keys, idx in by_keys.items()]
        texts, n = [], 0
        for cols, indexes in groups:
            text, count = self._insert_group(conn, req, rel, cols, body, indexes)
            texts.append(text)
            n += count
        text = json.dumps([r for t in texts for r in json.loads(t, parse_float=Decimal)],
                          default=str) if len(texts) > 1 else texts[0]
        return rows_response(201, req, text, n, n if "count" in req.prefer else None, 0)

    def _insert_group(self, conn: psycopg.Connection, req: RestRequest, rel: Relation,
                      cols: list[str], body: str, indexes: list[int] | None) -> tuple[str, int]:
        source = sql.SQL("%s::json") if indexes is None else sql.SQL(
            "(select json_agg(e order by i) from json_array_elements(%s::json)"
            " with ordinality x(e, i) where i = any(%s))")
        params: list[object] = [body] if indexes is None else [body, indexes]
        names = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
        dml = sql.SQL(
            "insert into public.{table} as _t ({names}) select {names}"
            " from json_populate_recordset(null::public.{table}, {source})"
        ).format(table=sql.Identifier(rel.name), names=names, source=source)
        if not cols:
            dml = sql.SQL("insert into public.{table} as _t default values").format(
                table=sql.Identifier(rel.name))
        dml += self._on_conflict(req, rel, cols)
        return self._run_dml(conn, req, dml, params)

    @staticmethod
    def _on_conflict(req: RestRequest, rel: Relation, cols: list[str]) -> sql.Composable:
        resolution = req.prefer.get("resolution")
        if resolution not in ("merge-duplicates", "ignore-duplicates"):
            return sql.SQL("")
        target = column_names(req.param("on_conflict") or "") or rel.primary_key
        keys = sql.SQL("({})").format(sql.SQL(", ").join(sql.Identifier(c) for c in target))
        if resolution == "ignore-duplicates" or not cols:
            return sql.SQL(" on conflict {} do nothing").format(keys if target else sql.SQL(""))
        sets = sql.SQL(", ").join(
            sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in cols)
        return sql.SQL(" on conflict {} do update set {}").format(keys, sets)

    def _update(self, conn: psycopg.Connection, req: RestRequest, rel: Relation) -> Response:
        (row,) = read_body(req, expect_object=True)
        self._check_columns(rel, list(row))
        where, params = where_clause(req.filters, rel, "_t")
        if not row:
            return rows_response(200, req, "[]", 0, 0 if "count" in req.prefer else None, 0)
        sets = sql.SQL(", ").join(
            sql.SQL("{c} = _b.{c}").format(c=sql.Identifier(c)) for c in row)
        dml = sql.SQL(
            "update public.{table} _t set {sets}"
            " from json_populate_record(null::public.{table}, %s::json) _b{where}"
        ).format(table=sql.Identifier(rel.name), sets=sets, where=where)
        text, n = self._run_dml(conn, req, dml, [req.body.decode("utf-8"), *params])
        return rows_response(200, req, text, n, n if "count" in req.prefer else None, 0)

    def _delete(self, conn: psycopg.Connection, req: RestRequest, rel: Relation) -> Response:
        where, params = where_clause(req.filters, rel, "_t")
        dml = sql.SQL("delete from public.{table} _t{where}").format(
            table=sql.Identifier(rel.name), where=where)
        text, n = self._run_dml(conn, req, dml, params)
        return rows_response(200, req, text, n, n if "count" in req.prefer else None, 0)

    def _run_dml(self, conn: psycopg.Connection, req: RestRequest, dml: sql.Composable,
                 params: list[object]) -> tuple[str, int]:
        if req.prefer.get("return") == "representation":
            query = sql.SQL(
                "with pgrst_source as ({dml} returning _t.*)"
                " select coalesce(json_agg(_r), '[]')::text, count(*)"
                " from (select {cols} from pgrst_source _t) _r"
            ).format(dml=dml, cols=select_list(req.param("select"), "_t"))
        else:
            # RETURNING 1 reads no column, so no SELECT policy is needed (as in PostgREST)
            query = sql.SQL("with pgrst_source as ({dml} returning 1)"
                            " select '', count(*) from pgrst_source").format(dml=dml)
        text, n = conn.execute(query, params).fetchone() or ("", 0)
        return text, n

    # -- helpers ---------------------------------------------------------------

    @staticmethod
    def _check_columns(rel: Relation, columns: list[str]) -> None:
        for column in columns:
            if column not in rel.columns:
                raise pgrst_error(400, "PGRST204", f"Could not find the '{column}' column of "
                                  f"'{rel.name}' in the schema cache")

    @staticmethod
    def _missing_table(conn: psycopg.Connection, name: str) -> HttpError:
        close = difflib.get_close_matches(name, table_names(conn), n=1)
        return pgrst_error(
            404, "PGRST205", f"Could not find the table 'public.{name}' in the schema cache",
            hint=f"Perhaps you meant the table 'public.{close[0]}'" if close else None,
        )


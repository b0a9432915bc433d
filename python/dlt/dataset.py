"""pipeline.dataset() and pipeline.sql_client(): reading what was loaded (DuckDB, Postgres,
and the filesystem through DuckDB views), in libdltc. Identifiers are always quoted and values
are passed as parameters, never pasted into SQL."""


def _ident(name):
    return '"' + str(name).replace('"', '""') + '"'


class _Rows:
    """A materialized result: column names and types, rows as tuples."""

    def __init__(self, result):
        self.columns, self.types, self.rows = result


def _df(columns, rows):
    import pandas

    return pandas.DataFrame.from_records(rows, columns=columns)


class Relation:
    """A table or a query of the dataset (dlt's Relation)."""

    def __init__(self, dataset, table=None, query=None, params=None, _select=None,
                 _where=(), _order=(), _limit=None):
        self._dataset = dataset
        self._table = table
        self._query = query
        self._params = list(params or [])
        self._select = _select
        self._where = list(_where)
        self._order = list(_order)
        self._limit = _limit

    def _copy(self, **kw):
        d = dict(table=self._table, query=self._query, params=self._params,
                 _select=self._select, _where=self._where, _order=self._order,
                 _limit=self._limit)
        d.update(kw)
        return Relation(self._dataset, **d)

    def to_sql(self):
        if self._query is not None and not (self._select or self._where or self._order
                                            or self._limit is not None):
            return self._query
        base = _ident(self._table) if self._table else "(%s) AS q" % self._query
        cols = ", ".join(_ident(c) for c in self._select) if self._select else "*"
        sql = "SELECT %s FROM %s" % (cols, base)
        if self._where:
            sql += " WHERE " + " AND ".join(w[0] for w in self._where)
        if self._order:
            sql += " ORDER BY " + ", ".join("%s %s" % (_ident(c), d) for c, d in self._order)
        if self._limit is not None:
            sql += " LIMIT %d" % int(self._limit)
        return sql

    def _all_params(self):
        p = list(self._params)
        for w in self._where:
            p.extend(w[1])
        return p

    def _run(self, arrow=False):
        return self._dataset._execute(self.to_sql(), self._all_params(), arrow)

    # readers
    def fetchall(self):
        return _Rows(self._run()).rows

    def fetchone(self):
        rows = self.limit(1).fetchall() if self._limit is None else self.fetchall()[:1]
        return rows[0] if rows else None

    def fetchmany(self, size):
        n = size if self._limit is None else min(size, self._limit)
        return self.limit(n).fetchall()

    def fetchscalar(self):
        row = self.fetchone()
        return row[0] if row else None

    def iter_fetch(self, chunk_size):
        rows = self.fetchall()
        for i in range(0, len(rows), chunk_size):
            yield rows[i:i + chunk_size]

    def df(self, chunk_size=None):
        r = _Rows(self._run())
        return _df(r.columns, r.rows)

    def iter_df(self, chunk_size):
        r = _Rows(self._run())
        for i in range(0, len(r.rows), chunk_size):
            yield _df(r.columns, r.rows[i:i + chunk_size])

    def __arrow_c_stream__(self, requested_schema=None):
        return self._run(arrow=True)

    def arrow(self, chunk_size=None):
        import pyarrow

        return pyarrow.table(self)

    @property
    def columns(self):
        return _Rows(self.limit(0)._run()).columns

    # builders
    def limit(self, limit):
        return self._copy(_limit=limit)

    def head(self, limit=5):
        return self.limit(limit)

    def select(self, *columns):
        return self._copy(_select=list(columns))

    def __getitem__(self, columns):
        if isinstance(columns, str):
            columns = [columns]
        return self.select(*columns)

    def order_by(self, column_name, direction="asc"):
        d = direction.upper()
        if d not in ("ASC", "DESC"):
            raise ValueError("direction must be asc or desc")
        return self._copy(_order=self._order + [(column_name, d)])

    def where(self, column_or_expr, operator=None, value=None):
        ops = {"eq": "=", "ne": "<>", "gt": ">", "lt": "<", "gte": ">=", "lte": "<=",
               "=": "=", "!=": "<>", ">": ">", "<": "<", ">=": ">=", "<=": "<=",
               "in": "IN", "not_in": "NOT IN", "like": "LIKE"}
        if operator is None:
            raise ValueError("where(raw_sql) is not supported: give column, operator, value")
        op = ops.get(operator)
        if op is None:
            raise ValueError("unknown operator %r" % operator)
        if op in ("IN", "NOT IN"):
            values = list(value)
            cond = "%s %s (%s)" % (_ident(column_or_expr), op, ", ".join(["%s"] * len(values)))
        else:
            values = [value]
            cond = "%s %s %%s" % (_ident(column_or_expr), op)
        return self._copy(_where=self._where + [(cond, values)])

    filter = where

    def max(self):
        return self._agg("max")

    def min(self):
        return self._agg("min")

    def _agg(self, fn):
        if not self._select or len(self._select) != 1:
            raise ValueError("%s() needs exactly one selected column" % fn)
        q = "SELECT %s(%s) FROM (%s) AS q" % (fn, _ident(self._select[0]),
                                              self._copy(_select=None).to_sql())
        return Relation(self._dataset, query=q, params=self._all_params())

    def __repr__(self):
        return "Relation(%s)" % self.to_sql()


class Dataset:
    """pipeline.dataset(): tables as attributes or items, SQL as a call."""

    def __init__(self, pipeline, schema=None):
        self._pipeline = pipeline
        self._schema = schema

    def _execute(self, sql, params, arrow=False):
        return self._pipeline._impl.execute(sql, params or None, arrow)

    @property
    def dataset_name(self):
        return self._pipeline.dataset_name

    def table(self, name):
        return Relation(self, table=name)

    def __getitem__(self, name):
        return self.table(name)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.table(name)

    def __call__(self, query, params=None):
        return Relation(self, query=query, params=params)

    query = __call__

    @property
    def tables(self):
        from dlt.common.schema import Schema

        return list(Schema.from_pipeline(self._pipeline).tables)

    def row_counts(self, data_tables=True, dlt_tables=False, table_names=None):
        from dlt.common.schema import Schema

        names = table_names or [
            t for t, d in Schema.from_pipeline(self._pipeline).tables.items()
            if (dlt_tables or not t.startswith("_dlt")) and d.get("columns")]
        q = " UNION ALL ".join("SELECT %s AS table_name, COUNT(*) AS row_count FROM %s"
                               % ("%s", _ident(t)) for t in names)
        return Relation(self, query=q or "SELECT NULL AS table_name, 0 AS row_count LIMIT 0",
                        params=names)

    def load_ids(self):
        return [r[0] for r in Relation(self, query="SELECT load_id FROM _dlt_loads ORDER BY "
                                       "load_id").fetchall()]

    def latest_load_id(self):
        ids = self.load_ids()
        return ids[-1] if ids else None

    def loads_table(self):
        return self.table("_dlt_loads")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Cursor:
    def __init__(self, result):
        self._cols, self._types, self._rows = result
        self._pos = 0
        self.description = [(c, t, None, None, None, None, None)
                            for c, t in zip(self._cols, self._types)] if self._cols else None

    def fetchall(self):
        rows = self._rows[self._pos:]
        self._pos = len(self._rows)
        return rows

    def fetchone(self):
        if self._pos >= len(self._rows):
            return None
        self._pos += 1
        return self._rows[self._pos - 1]

    def fetchmany(self, size=1):
        rows = self._rows[self._pos:self._pos + size]
        self._pos += len(rows)
        return rows

    def df(self, chunk_size=None, **kwargs):
        return _df(self._cols, self.fetchall())

    def iter_fetch(self, chunk_size):
        while True:
            rows = self.fetchmany(chunk_size)
            if not rows:
                return
            yield rows

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class SqlClient:
    """pipeline.sql_client(): statements in the dataset (%s parameters)."""

    def __init__(self, pipeline):
        self._pipeline = pipeline
        self.dataset_name = pipeline.dataset_name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def open_connection(self):
        return self

    def close_connection(self):
        pass

    def _run(self, sql, args):
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = tuple(args[0])
        return self._pipeline._impl.execute(sql, list(args) if args else None, False)

    def execute_sql(self, sql, *args, **kwargs):
        cols, types, rows = self._run(sql, args)
        return rows if cols else None

    def execute_query(self, query, *args, **kwargs):
        return _Cursor(self._run(query, args))

    def has_dataset(self):
        rows = self.execute_sql("SELECT 1 FROM information_schema.schemata WHERE schema_name "
                                "= %s", self.dataset_name)
        return bool(rows)

    def make_qualified_table_name(self, table_name, escape=True):
        return "%s.%s" % (_ident(self.dataset_name), _ident(table_name))

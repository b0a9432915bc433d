"""dlt's sql_database source: sql_database() and sql_table() over Postgres and SQLite, read in
libdltc (docs/sql_database.md). Credentials left out are resolved as dlt resolves them
(sources.sql_database.credentials in secrets.toml or SOURCES__SQL_DATABASE__CREDENTIALS)."""
import dlt
from dlt.extract.native import NativeSource, credentials_value, incremental_config

__all__ = ["sql_database", "sql_table"]

_UNSUPPORTED = ("metadata", "table_adapter_callback", "backend_kwargs", "type_adapter_callback",
                "query_adapter_callback", "engine_adapter_callback", "engine_kwargs",
                "table_loader_class")


def _refuse(kw):
    for k in _UNSUPPORTED:
        if kw.get(k) is not None:
            raise NotImplementedError("sql_database: %s is not supported by libdltc's reader"
                                      % k)


def _entry(name, credentials, schema, chunk_size, backend, reflection_level):
    e = {"type": "sql_database", "name": name, "backend": backend,
         "reflection_level": reflection_level, "chunk_size": int(chunk_size)}
    cred = credentials_value(credentials)
    if cred is not None:
        e["credentials"] = cred
    if schema is not None:
        e["schema"] = schema
    return e


def sql_database(credentials=dlt.secrets.value, schema=None, metadata=None, table_names=None,
                 chunk_size=50000, backend="sqlalchemy", detect_precision_hints=False,
                 reflection_level="full", defer_table_reflect=None,
                 table_adapter_callback=None, backend_kwargs=None, include_views=False,
                 type_adapter_callback=None, query_adapter_callback=None,
                 resolve_foreign_keys=False, engine_adapter_callback=None, engine_kwargs=None,
                 table_loader_class=None):
    """A source with one resource per table (named as the table)."""
    _refuse(locals())
    if detect_precision_hints:
        reflection_level = "full_with_precision"
    e = _entry("sql_database", credentials, schema, chunk_size, backend, reflection_level)
    if table_names is not None:
        e["table_names"] = list(table_names)
    if include_views:
        e["include_views"] = True
    return NativeSource(e, "sql_database", section="sql_database")


def sql_table(credentials=dlt.secrets.value, table=dlt.config.value, schema=None, metadata=None,
              incremental=None, chunk_size=50000, backend="sqlalchemy",
              detect_precision_hints=None, reflection_level="full", defer_table_reflect=None,
              table_adapter_callback=None, backend_kwargs=None, type_adapter_callback=None,
              included_columns=None, excluded_columns=None, query_adapter_callback=None,
              resolve_foreign_keys=False, engine_adapter_callback=None, write_disposition=None,
              primary_key=None, merge_key=None, engine_kwargs=None, table_loader_class=None):
    """One table as a resource."""
    _refuse(locals())
    if not isinstance(table, str):
        raise ValueError("sql_table needs the table name")
    if detect_precision_hints:
        reflection_level = "full_with_precision"
    e = _entry("sql_database", credentials, schema, chunk_size, backend, reflection_level)
    t = {}
    inc = incremental_config(incremental)
    if inc is not None:
        t["incremental"] = inc
    for k, v in (("included_columns", included_columns), ("excluded_columns", excluded_columns),
                 ("write_disposition", write_disposition), ("primary_key", primary_key),
                 ("merge_key", merge_key)):
        if v is not None:
            t[k] = list(v) if isinstance(v, tuple) else v
    e["table_names"] = [table]
    e["tables"] = {table: t}
    return NativeSource(e, "sql_database", section="sql_database").resources[table]

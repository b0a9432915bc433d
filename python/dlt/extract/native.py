"""Sources built in libdltc from a config (rest_api_source, sql_database, filesystem): their
resources run in C; Python adds steps (add_map/add_filter), limits and the selection."""
import json

from dlt import _dltc
from dlt.extract.exceptions import ResourceNotFoundError
from dlt.extract.source import DltResourceDict, DltSource


class NativeResource:
    """A resource of a NativeSource: a name, a selection, Python steps and a limit."""

    def __init__(self, source, name, selected):
        self._source = source
        self.name = name
        self.selected = selected
        self._steps = []
        self._limit = None
        self._parent = None
        self._hints = {}

    def add_map(self, fn, insert_at=None):
        self._steps.append(("map", fn))
        return self

    def add_filter(self, fn, insert_at=None):
        self._steps.append(("filter", fn))
        return self

    def add_limit(self, max_items=None, max_time=None, count_rows=False):
        if max_time is not None or count_rows:
            raise NotImplementedError("add_limit of a libdltc resource counts pages only")
        self._limit = max_items
        return self

    def __repr__(self):
        return "NativeResource(%r, selected=%r)" % (self.name, self.selected)


class NativeSource(DltSource):
    """A source whose resources libdltc builds from `entry` (a [[sources]] table of a pipeline
    file: docs/pipeline_file.md). The C source is made when the pipeline runs, so a source
    object may run more than once."""

    def __init__(self, entry, name, section=None, max_table_nesting=None,
                 schema_contract=None, steps=None):
        super().__init__(name, section=section, max_table_nesting=max_table_nesting,
                         schema_contract=schema_contract)
        self._entry = entry
        self._text = json.dumps(entry, default=_default)
        impl = _dltc.source_from_config(self._text, name)  # checks the config now
        self._resources = DltResourceDict()
        for n in impl.resource_names():
            self._resources[n] = NativeResource(self, n, impl.selected(n))
        for res, kind, fn in steps or ():
            getattr(self._resources[res], "add_" + kind)(fn)

    def with_resources(self, *names):
        for n in names:
            if n not in self._resources:
                raise ResourceNotFoundError(n)
        for k, r in self._resources.items():
            r.selected = k in names
        return self

    def add_limit(self, max_items=None, max_time=None, count_rows=False):
        for r in self._resources.values():
            r.add_limit(max_items, max_time, count_rows)
        return self

    def __iter__(self):
        raise NotImplementedError("a libdltc source runs in a pipeline: pipeline.run(source)")

    def _build(self):
        """The libdltc Source for one run."""
        impl = _dltc.source_from_config(self._text, self.name)
        for r in self._resources.values():
            impl.set_selected(r.name, bool(r.selected))
            if r._limit is not None:
                impl.add_limit(r.name, int(r._limit))
            for kind, fn in r._steps:
                impl.add_step(r.name, kind, fn)
        return impl


def _default(o):
    """Values a config dict may hold that JSON has no type for."""
    import datetime
    import decimal

    if isinstance(o, (datetime.datetime, datetime.date, datetime.time)):
        return o.isoformat()
    if isinstance(o, decimal.Decimal):
        return str(o)
    cfg = getattr(o, "_dltc_config", None)  # a built-in paginator
    if callable(cfg) and cfg() is not None:
        return cfg()
    auth = _auth_config(o)
    if auth is not None:
        return auth
    raise TypeError("%s cannot be written in a libdltc config" % type(o).__name__)


def _auth_config(o):
    from dlt.sources.helpers.rest_client import auth as a

    if isinstance(o, a.BearerTokenAuth):
        return {"type": "bearer", "token": o.token}
    if isinstance(o, a.APIKeyAuth):
        return {"type": "api_key", "name": o.name, "api_key": o.api_key, "location": o.location}
    if isinstance(o, a.HttpBasicAuth):
        return {"type": "http_basic", "username": o.username, "password": o.password}
    if isinstance(o, a.OAuth2ClientCredentials):
        d = {"type": "oauth2_client_credentials"}
        for k in ("access_token_url", "client_id", "client_secret", "access_token_request_data",
                  "default_token_expiration"):
            v = getattr(o, k, None)
            if v is not None:
                d[k] = v
        return d
    return None


def incremental_config(inc, fixed_cursor=None):
    """dlt.sources.incremental(...) as a pipeline file's incremental table."""
    if inc is None:
        return None
    if callable(inc.last_value_func) and inc.last_value_func not in (max, min):
        raise NotImplementedError("a custom last_value_func runs in Python only: not with a "
                                  "libdltc source")
    d = {"cursor_path": inc.cursor_path or fixed_cursor}
    if inc.last_value_func is min:
        d["last_value_func"] = "min"
    for k in ("initial_value", "end_value", "row_order", "lag", "on_cursor_value_missing",
              "range_start", "range_end"):
        v = getattr(inc, k, None)
        if v is not None:
            d[k] = v
    if inc.primary_key is not None:
        d["primary_key"] = inc.primary_key
    if fixed_cursor and d["cursor_path"] != fixed_cursor:
        raise ValueError("this source's cursor is %r" % fixed_cursor)
    if fixed_cursor:
        d.pop("cursor_path")
    return d


def _secret_given(v):
    """A value passed in (not dlt.secrets.value / dlt.config.value, which libdltc resolves)."""
    from dlt.common.configuration.accessors import _Sentinel

    return v is not None and not isinstance(v, _Sentinel)


def credentials_value(c):
    """Credentials as libdltc takes them: a URL string or dlt's dict form."""
    if c is None or not _secret_given(c):
        return None
    if isinstance(c, (str, dict)):
        return c
    to_native = getattr(c, "to_native_representation", None)
    if callable(to_native):
        return to_native()
    url = getattr(c, "url", None)  # an SQLAlchemy Engine
    if url is not None:
        return str(url.render_as_string(hide_password=False)) \
            if hasattr(url, "render_as_string") else str(url)
    raise TypeError("credentials: a connection string or a dict, not %s" % type(c).__name__)

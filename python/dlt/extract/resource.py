"""DltResource: what to pull (a function, generator, iterator or data), its hints and steps.
At run time each resource becomes a libdltc resource whose callback pulls it
(python/_dltc/resource.c)."""
from dlt import _dltc
from dlt.extract.exceptions import ResourceNameMissing, InvalidResourceDataType
from dlt.extract.incremental import Incremental
from dlt.extract import inject

_HINTS = (
    "table_name",
    "write_disposition",
    "merge_strategy",
    "primary_key",
    "merge_key",
    "columns",
    "max_table_nesting",
    "file_format",
    "schema_contract",
)


def _keys(v):
    if v is None or isinstance(v, str):
        return v
    return ",".join(v)


def _json(v):
    if v is None or isinstance(v, str):
        return v
    import json

    return json.dumps(v, default=str)


def _columns(cols):
    """dlt's columns: a dict name -> column schema, or a list of column dicts with names."""
    if cols is None:
        return None
    if isinstance(cols, (list, tuple)):
        cols = {c["name"]: {k: v for k, v in c.items() if k != "name"} for c in cols}
    if hasattr(cols, "model_fields") or hasattr(cols, "__fields__"):
        raise InvalidResourceDataType("pydantic models as columns are not supported by dltc")
    return _json(cols)


class DltResource:
    """A resource of dlt: iterate it with a pipeline, or on its own (list(resource))."""

    def __init__(
        self,
        name,
        data=None,
        *,
        fn=None,
        args=(),
        kwargs=None,
        hints=None,
        incremental=None,
        selected=True,
        parent=None,
        section=None,
        parallelized=False,
    ):
        self.name = name
        self._data = data
        self._fn = fn
        self._args = tuple(args)
        self._kwargs = dict(kwargs or {})
        self._hints = dict(hints or {})
        self.incremental = incremental
        self.selected = selected
        self._parent = parent
        self.section = section
        self.parallelized = parallelized
        self._steps = []
        self._limit = 0
        self.source_name = None

    # ---- dlt's resource API ----

    @property
    def table_name(self):
        t = self._hints.get("table_name")
        return t if t is not None else self.name

    @property
    def write_disposition(self):
        return self._hints.get("write_disposition") or "append"

    @property
    def is_transformer(self):
        return self._parent is not None or (self._fn is not None and self._data_from_arg)

    _data_from_arg = False

    def _clone(self):
        c = DltResource.__new__(DltResource)
        c.__dict__.update(self.__dict__)
        c._hints = dict(self._hints)
        c._steps = list(self._steps)
        c._kwargs = dict(self._kwargs)
        return c

    def __call__(self, *args, **kwargs):
        """Bind arguments of a resource function (dlt: calling a resource returns a resource)."""
        if self._fn is None:
            raise TypeError("resource %s is not made from a function" % self.name)
        c = self._clone()
        c._args = args
        c._kwargs = kwargs
        for v in list(args) + list(kwargs.values()):
            if isinstance(v, Incremental):  # an explicit cursor replaces the default
                c.incremental = v
        return c

    def add_map(self, fn, insert_at=None):
        self._steps.append((False, fn)) if insert_at is None else self._steps.insert(
            insert_at, (False, fn))
        return self

    def add_filter(self, fn, insert_at=None):
        self._steps.append((True, fn)) if insert_at is None else self._steps.insert(
            insert_at, (True, fn))
        return self

    def add_yield_map(self, fn, insert_at=None):
        raise NotImplementedError("add_yield_map is not supported by dltc yet")

    def add_limit(self, max_items=None, max_time=None, count_rows=False):
        if max_time is not None or count_rows:
            raise NotImplementedError("add_limit supports max_items only")
        self._limit = int(max_items) if max_items is not None else 0
        return self

    def apply_hints(
        self,
        table_name=None,
        parent_table_name=None,
        write_disposition=None,
        columns=None,
        primary_key=None,
        merge_key=None,
        incremental=None,
        schema_contract=None,
        max_table_nesting=None,
        file_format=None,
        **kwargs,
    ):
        for k, v in (
            ("table_name", table_name),
            ("write_disposition", write_disposition),
            ("columns", columns),
            ("primary_key", primary_key),
            ("merge_key", merge_key),
            ("schema_contract", schema_contract),
            ("max_table_nesting", max_table_nesting),
            ("file_format", file_format),
        ):
            if v is not None:
                self._hints[k] = v
        if isinstance(write_disposition, dict):
            self._hints["write_disposition"] = write_disposition.get("disposition")
            if write_disposition.get("strategy"):
                self._hints["merge_strategy"] = write_disposition["strategy"]
        if incremental is not None:
            self.incremental = incremental
        return self

    def with_name(self, new_name):
        c = self._clone()
        c.name = new_name
        return c

    def __or__(self, transformer):
        """parent | transformer"""
        if not isinstance(transformer, DltResource):
            raise TypeError("a resource can be piped only into a transformer")
        t = transformer._clone()
        t._parent = self
        return t

    def __ror__(self, data):
        # data | transformer: a resource made of the data feeds the transformer
        return DltResource("%s_data" % self.name, data) | self

    @property
    def columns(self):
        return self._hints.get("columns")

    def __iter__(self):
        """Evaluate the resource in Python (no pipeline): its items after the steps."""
        data = self._evaluate(self._incremental_for_call())[0]
        if isinstance(data, dict) or not hasattr(data, "__iter__") or isinstance(
            data, (str, bytes)
        ):
            data = [data]
        n = 0
        for page in data:
            items = page if isinstance(page, list) else [page]
            if self._parent is None:
                n += 1
            for it in items:
                keep = True
                for is_filter, fn in self._steps:
                    if is_filter:
                        if not fn(it):
                            keep = False
                            break
                    else:
                        it = fn(it)
                if keep:
                    yield it
            if self._limit and n >= self._limit:
                break

    def __repr__(self):
        return "DltResource(name=%r, table_name=%r, write_disposition=%r)" % (
            self.name,
            self.table_name,
            self.write_disposition,
        )

    # ---- run time ----

    def _incremental_for_call(self):
        inc = self.incremental
        return inc.copy() if isinstance(inc, Incremental) else None

    def _evaluate(self, inc):
        """The data to pull: call the function (with injection) or take the data."""
        if self._fn is None:
            data = self._data
            if callable(data) and not hasattr(data, "__next__"):
                data = data()
            return data, inc
        kwargs = inject.resolve(self._fn, self.section, self.name, self._args, self._kwargs,
                                skip=self._data_from_arg)
        arg = inject.incremental_arg(self._fn, self._args, self._kwargs)
        if arg is not None and inc is not None:
            kwargs[arg] = inc
        return self._fn(*self._args, **kwargs), inc

    def _hint_kwargs(self, overrides=None):
        h = dict(self._hints)
        for k, v in (overrides or {}).items():
            if v is not None:
                h[k] = v
        table = h.get("table_name")
        out = {
            "table_name": table if isinstance(table, str) else None,
            "table_name_fn": table if callable(table) else None,
            "write_disposition": h.get("write_disposition"),
            "merge_strategy": h.get("merge_strategy"),
            "primary_key": _keys(h.get("primary_key")),
            "merge_key": _keys(h.get("merge_key")),
            "columns": _columns(h.get("columns")),
            "max_table_nesting": h.get("max_table_nesting"),
            "file_format": h.get("file_format"),
            "schema_contract": _json(h.get("schema_contract")),
            "selected": self.selected,
        }
        wd = out["write_disposition"]
        if isinstance(wd, dict):
            out["write_disposition"] = wd.get("disposition")
            out["merge_strategy"] = wd.get("strategy") or out["merge_strategy"]
        return out

    def _build(self, overrides=None, parent_impl=None, selected=None):
        """The libdltc resource of one run."""
        kw = self._hint_kwargs(overrides)
        if selected is not None:
            kw["selected"] = selected
        inc = self._incremental_for_call()
        if self._parent is not None or self._data_from_arg:
            fn = self._fn or self._data

            def transform(item, _fn=fn, _res=self, _inc=inc):
                kwargs = inject.resolve(_fn, _res.section, _res.name, (item,) + _res._args,
                                        _res._kwargs)
                arg = inject.incremental_arg(_fn, (item,) + _res._args, _res._kwargs)
                if arg is not None and _inc is not None:
                    kwargs[arg] = _inc
                return _fn(item, *_res._args, **kwargs)

            kw.update(parent=parent_impl, transform=transform)
            factory = None
        else:
            def factory(_res=self, _inc=inc):
                data, _ = _res._evaluate(_inc)
                if isinstance(data, DltResource):
                    raise InvalidResourceDataType(
                        "resource %s returned a resource; return its data instead" % _res.name)
                return data

        if inc is not None:
            pk = kw.get("primary_key")
            kw["incremental"] = inc.options(pk)
            kw["cursor"] = inc._cursor
        if self._steps:
            kw["steps"] = list(self._steps)
        if self._limit:
            kw["limit"] = self._limit
            kw["one_by_one"] = True
        if self.name is None:
            raise ResourceNameMissing()
        return _dltc.Resource(self.name, factory, **kw)


def data_name(data):
    """dlt's name for a resource made from data: a generator's function name."""
    name = getattr(data, "__name__", None)
    if name and name != "<lambda>" and name != "<genexpr>":
        return name
    return None

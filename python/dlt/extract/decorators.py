"""@dlt.resource, @dlt.transformer, @dlt.source and dlt.resource(data, ...)."""
import functools

from dlt.extract import inject
from dlt.extract.exceptions import ResourceNameMissing, InvalidResourceDataType
from dlt.extract.resource import DltResource, data_name
from dlt.extract.source import DltSource


def _hints(**kw):
    return {k: v for k, v in kw.items() if v is not None}


def resource(
    data=None,
    /,
    name=None,
    table_name=None,
    max_table_nesting=None,
    write_disposition=None,
    columns=None,
    primary_key=None,
    merge_key=None,
    schema_contract=None,
    table_format=None,
    file_format=None,
    references=None,
    nested_hints=None,
    selected=True,
    spec=None,
    parallelized=False,
    incremental=None,
    section=None,
    standalone=None,
    data_from=None,
    _impl_cls=None,
):
    hints = _hints(
        table_name=table_name,
        max_table_nesting=max_table_nesting,
        write_disposition=write_disposition,
        columns=columns,
        primary_key=primary_key,
        merge_key=merge_key,
        schema_contract=schema_contract,
        file_format=file_format,
    )

    def make(f):
        if isinstance(f, DltResource):
            r = f._clone()
            if name:
                r.name = name
            r._hints.update(hints)
            return r
        if callable(f) and not hasattr(f, "__next__"):
            n = name or getattr(f, "__name__", None)
            if n is None:
                raise ResourceNameMissing()
            inc = incremental if incremental is not None else inject.default_incremental(f)
            r = DltResource(n, fn=f, hints=hints, incremental=inc, selected=selected,
                            section=section or inject.section_of(f), parallelized=parallelized)
            if data_from is not None:
                r._data_from_arg = True
                if isinstance(data_from, DltResource):
                    r._parent = data_from
            functools.update_wrapper(r, f, updated=())
            return r
        # data: a list, a dict, a generator or any iterable
        n = name or data_name(f)
        if n is None:
            raise ResourceNameMissing()
        if isinstance(f, (str, bytes)) or f is None:
            raise InvalidResourceDataType("resource %s: data of type %s cannot be loaded"
                                          % (n, type(f).__name__))
        return DltResource(n, f, hints=hints, incremental=incremental, selected=selected,
                           section=section)

    if data is None:
        return make
    return make(data)


def transformer(
    f=None,
    /,
    data_from=None,
    name=None,
    table_name=None,
    max_table_nesting=None,
    write_disposition=None,
    columns=None,
    primary_key=None,
    merge_key=None,
    schema_contract=None,
    table_format=None,
    file_format=None,
    selected=True,
    spec=None,
    parallelized=False,
    section=None,
    standalone=None,
):
    def make(fn):
        r = resource(
            fn,
            name=name,
            table_name=table_name,
            max_table_nesting=max_table_nesting,
            write_disposition=write_disposition,
            columns=columns,
            primary_key=primary_key,
            merge_key=merge_key,
            schema_contract=schema_contract,
            file_format=file_format,
            selected=selected,
            parallelized=parallelized,
            section=section,
            data_from=data_from if data_from is not None else True,
        )
        if not isinstance(data_from, DltResource):
            r._parent = None
        return r

    if f is None:
        return make
    return make(f)


def source(
    func=None,
    /,
    name=None,
    section=None,
    max_table_nesting=None,
    root_key=None,
    schema=None,
    schema_contract=None,
    spec=None,
    parallelized=False,
    _impl_cls=None,
):
    def make(f):
        src_name = name or getattr(f, "__name__", None)
        sec = section or inject.section_of(f)

        @functools.wraps(f)
        def call(*args, **kwargs):
            kw = inject.resolve(f, sec, src_name, args, kwargs)
            out = f(*args, **kw)
            if isinstance(out, DltSource):
                return out
            if isinstance(out, DltResource):
                items = [out]
            elif isinstance(out, (list, tuple)) or hasattr(out, "__next__"):
                items = list(out)
            else:
                items = [resource(out, name=src_name)]
            res = []
            for it in items:
                if not isinstance(it, DltResource):
                    it = resource(it, name=data_name(it))
                # a source's resources resolve config under the source's section
                it = it._clone()
                it.section = sec
                res.append(it)
            return DltSource(src_name, sec, res, max_table_nesting=max_table_nesting,
                             schema_contract=schema_contract, root_key=root_key)

        call.name = src_name
        call.section = sec
        return call

    if func is None:
        return make
    return make(func)

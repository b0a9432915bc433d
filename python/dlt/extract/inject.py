"""Injection of a source's or resource's arguments from config and secrets, as dlt does it:
arguments given explicitly win; arguments whose default is dlt.config.value /
dlt.secrets.value are required; other arguments with defaults are taken from config when
found. The keys tried (sources.<section>.<name>.<arg>, sources.<section>.<arg>, …) and the
missing-value report are libdltc's (dltc_config_resolve_source)."""
import sys

from dlt import _dltc
from dlt.common.configuration.accessors import _Sentinel
from dlt.extract.incremental import Incremental

_sig_cache = {}
_TYPES = {str: "str", int: "int", float: "float", bool: "bool", dict: "dict", list: "list"}


def signature(fn):
    s = _sig_cache.get(fn)
    if s is None:
        import inspect

        s = _sig_cache[fn] = inspect.signature(fn)
    return s


def section_of(fn):
    """dlt's section: the module's name; a script run as __main__ is named by its file."""
    mod = getattr(fn, "__module__", None) or ""
    if mod == "__main__":
        f = getattr(sys.modules.get("__main__"), "__file__", None)
        if f:
            import os

            return os.path.splitext(os.path.basename(f))[0]
        return None
    return mod.rsplit(".", 1)[-1] or None


def _type_name(ann):
    if isinstance(ann, str):
        return {"str": "str", "int": "int", "float": "float", "bool": "bool"}.get(ann, "")
    return _TYPES.get(ann, "")


def resolve(fn, section, name, args, kwargs, skip=False):
    """kwargs for calling fn(*args, **kwargs) with the missing arguments injected."""
    sig = signature(fn)
    params = list(sig.parameters.values())
    given = set(kwargs)
    npos = len(args)
    fields = []
    for i, p in enumerate(params):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if (i < npos and p.kind != p.KEYWORD_ONLY) or p.name in given:
            continue
        d = p.default
        if d is p.empty or isinstance(d, Incremental):
            continue
        if isinstance(d, _Sentinel):
            fields.append((p.name, _type_name(p.annotation), d.is_secret, False))
        elif d is None or isinstance(d, (str, int, float, bool, list, dict, tuple)):
            t = _type_name(p.annotation)
            if not t and d is not None:
                t = _TYPES.get(type(d), "list" if isinstance(d, tuple) else "")
            fields.append((p.name, t, False, True))
    out = dict(kwargs)
    if fields:
        values = _dltc.resolve_source(section, name, fields)
        out.update(values)
    # required values that resolved to nothing keep no sentinel
    return out


def incremental_arg(fn, args, kwargs):
    """The name of the argument that takes the incremental cursor, or None."""
    sig = signature(fn)
    for i, p in enumerate(sig.parameters.values()):
        if isinstance(p.default, Incremental):
            if i < len(args) and p.kind != p.KEYWORD_ONLY:
                return None
            return p.name
        ann = p.annotation
        if ann is Incremental or getattr(ann, "__origin__", None) is Incremental:
            if p.name in kwargs or i >= len(args):
                return p.name
    return None


def default_incremental(fn):
    """The Incremental a function declares as a default, or None."""
    for p in signature(fn).parameters.values():
        if isinstance(p.default, Incremental):
            return p.default
    return None

"""dlt's declarative REST API source: rest_api_source(config) and rest_api_resources(config),
built and run in libdltc (docs/rest_api.md). Processing steps may be dlt's Python functions
({"map": fn}, {"filter": fn}) or libdltc's expressions ({"filter": "qty > 0"})."""
from dlt.extract.native import NativeSource

__all__ = ["rest_api_source", "rest_api_resources", "rest_api"]


def _python_steps(config):
    """Take the Python functions out of processing_steps: (resource, kind, fn) in order. A
    resource's steps are all functions or all expressions."""
    steps = []
    defaults = dict(config.get("resource_defaults") or {})
    d_steps = defaults.get("processing_steps")
    resources = []
    for r in config.get("resources") or ():
        if not isinstance(r, dict):
            resources.append(r)
            continue
        r = dict(r)
        own = r.get("processing_steps", d_steps)
        if own and any(callable(v) for s in own for v in (s or {}).values()):
            for s in own:
                for kind, fn in s.items():
                    if kind == "yield_map":
                        raise NotImplementedError(
                            "yield_map is not supported by libdltc's rest_api source")
                    if not callable(fn):
                        raise ValueError("resource %r: processing steps mix functions and "
                                         "expressions" % r.get("name"))
                    steps.append((r.get("name"), kind, fn))
            r["processing_steps"] = []
        resources.append(r)
    if d_steps and any(callable(v) for s in d_steps for v in (s or {}).values()):
        defaults.pop("processing_steps")
        config = dict(config, resource_defaults=defaults)
    return dict(config, resources=resources), steps


def rest_api_source(config, name=None, section=None, max_table_nesting=None, root_key=None,
                    schema=None, schema_contract=None, parallelized=False):
    """A DltSource of the resources described by `config` (client, resource_defaults,
    resources); checked now: a bad config raises DictValidationException naming the key."""
    if schema is not None or root_key is not None:
        raise NotImplementedError("rest_api_source: schema and root_key are not supported")
    cfg, steps = _python_steps(config)
    for r in cfg.get("resources") or ():
        if not isinstance(r, (str, dict)):
            raise NotImplementedError("rest_api_source: resources are names or dicts here "
                                      "(a DltResource as parent is not supported)")
    for r in cfg.get("resources") or ():
        if isinstance(r, dict) and r.get("processing_steps") == []:
            r.pop("processing_steps")
    entry = {"type": "rest_api", "name": name or "rest_api"}
    if section:
        entry["section"] = section
    if max_table_nesting is not None:
        entry["max_table_nesting"] = max_table_nesting
    entry.update(cfg)
    src = NativeSource(entry, entry["name"], section=section or "rest_api",
                       max_table_nesting=max_table_nesting, schema_contract=schema_contract,
                       steps=steps)
    return src


def rest_api_resources(config):
    """The resources of rest_api_source(config), as a list."""
    return list(rest_api_source(config).resources.values())


def rest_api(client=None, resources=None, resource_defaults=None):
    """dlt's decorated rest_api source: the config passed in parts."""
    cfg = {"client": client, "resources": resources}
    if resource_defaults is not None:
        cfg["resource_defaults"] = resource_defaults
    return rest_api_source(cfg)

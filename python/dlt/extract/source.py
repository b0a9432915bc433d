"""DltSource: a named group of resources (its name is the schema name and the state key)."""
from dlt.extract.exceptions import ResourceNotFoundError
from dlt.extract.resource import DltResource


class DltResourceDict(dict):
    @property
    def selected(self):
        return {k: v for k, v in self.items() if v.selected}


class DltSource:
    def __init__(self, name, section=None, resources=(), max_table_nesting=None,
                 schema_contract=None, root_key=None):
        self.name = name
        self.section = section
        self.max_table_nesting = max_table_nesting
        self.schema_contract = schema_contract
        self.root_key = root_key
        self._resources = DltResourceDict()
        for r in resources:
            self._add(r)

    def _add(self, r):
        if r._parent is not None and r._parent.name not in self._resources:
            # a transformer's parent comes along, not selected unless added itself
            p = r._parent._clone()
            p.selected = False
            self._add(p)
        r.source_name = self.name
        self._resources[r.name] = r

    @property
    def resources(self):
        return self._resources

    @property
    def selected_resources(self):
        return self._resources.selected

    def with_resources(self, *names):
        for n in names:
            if n not in self._resources:
                raise ResourceNotFoundError(n)
        for k, r in self._resources.items():
            r.selected = k in names
        return self

    def add_limit(self, max_items=None, max_time=None, count_rows=False):
        for r in self._resources.values():
            if r._parent is None:
                r.add_limit(max_items, max_time, count_rows)
        return self

    def __getattr__(self, name):
        res = self.__dict__.get("_resources")
        if res is not None and name in res:
            return res[name]
        raise AttributeError(name)

    def __iter__(self):
        for r in self.selected_resources.values():
            yield from r

    def __repr__(self):
        return "DltSource(name=%r, resources=%r)" % (self.name, list(self._resources))

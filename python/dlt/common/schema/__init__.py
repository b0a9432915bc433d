"""The pipeline's schema as dlt shows it: tables with their columns and hints (read from
libdltc's schema document)."""
import json


class Schema:
    def __init__(self, doc):
        self._doc = doc
        self.name = doc.get("name")
        self.version = doc.get("version")
        self.version_hash = doc.get("version_hash")
        self.tables = doc.get("tables", {})

    @classmethod
    def from_pipeline(cls, pipeline):
        text = pipeline._impl.schema(True)
        return cls(json.loads(text) if text else {"name": pipeline.default_schema_name})

    def data_tables(self, include_incomplete=False):
        return [t for n, t in self.tables.items() if not n.startswith("_dlt")
                and (include_incomplete or any(
                    not c.get("x-incomplete") for c in t.get("columns", {}).values()))]

    def data_table_names(self, include_incomplete=False):
        return [t["name"] for t in self.data_tables(include_incomplete)]

    def get_table(self, name):
        return self.tables[name]

    def get_table_columns(self, name):
        return self.tables[name].get("columns", {})

    def to_dict(self):
        return self._doc

    def to_pretty_json(self):
        return json.dumps(self._doc, indent=2)

    def __repr__(self):
        return "Schema %s at version %s" % (self.name, self.version)

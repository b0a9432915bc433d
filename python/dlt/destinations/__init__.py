"""dlt.destinations: the destination factories (dlt.destinations.duckdb(...), …)."""


class Destination:
    """A destination by name with its credentials (never shown: repr masks them)."""

    destination_name = None

    def __init__(self, credentials=None, destination_name=None, **kwargs):
        self.credentials = credentials
        if destination_name:
            self.destination_name = destination_name
        self.config_params = kwargs

    @property
    def destination_type(self):
        return "dlt.destinations.%s" % self.kind

    kind = None

    @staticmethod
    def from_reference(ref, credentials=None, destination_name=None, **kwargs):
        if isinstance(ref, Destination):
            return ref
        if not isinstance(ref, str):
            raise TypeError("destination must be a name or a dlt.destinations factory")
        name = ref.rsplit(".", 1)[-1]
        cls = _FACTORIES.get(name)
        if cls is None:
            from dlt.common.exceptions import DltException

            raise DltException("Destination %s is not one of: %s"
                               % (ref, ", ".join(sorted(_FACTORIES))))
        return cls(credentials=credentials, destination_name=destination_name, **kwargs)

    def location(self):
        """What libdltc opens (a path, a URL, a bucket), or None for config/secrets."""
        c = self.credentials
        if c is None:
            return None
        if isinstance(c, str):
            return c
        if isinstance(c, dict):
            return _conn_string(self.kind, c)
        return str(c)

    def __repr__(self):
        return "%s(destination_name=%r)" % (type(self).__name__, self.destination_name)


def _conn_string(kind, c):
    if kind == "postgres":
        from urllib.parse import quote

        user = quote(str(c.get("username", "")), safe="")
        pw = c.get("password")
        auth = user + (":" + quote(str(pw), safe="") if pw else "")
        host = c.get("host", "localhost")
        port = c.get("port", 5432)
        return "postgresql://%s@%s:%s/%s" % (auth, host, port, c.get("database", ""))
    if kind == "duckdb":
        return c.get("database") or c.get("path")
    return c.get("bucket_url") or c.get("database")


class duckdb(Destination):
    kind = destination_name = "duckdb"


class postgres(Destination):
    kind = destination_name = "postgres"


class motherduck(Destination):
    kind = destination_name = "motherduck"


class filesystem(Destination):
    kind = destination_name = "filesystem"

    def __init__(self, bucket_url=None, credentials=None, destination_name=None, **kwargs):
        super().__init__(credentials=bucket_url or credentials,
                         destination_name=destination_name, **kwargs)
        self.bucket_url = bucket_url


_FACTORIES = {"duckdb": duckdb, "postgres": postgres, "motherduck": motherduck,
              "filesystem": filesystem}

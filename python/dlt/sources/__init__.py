"""dlt.sources: incremental cursors and the resource/source types; helpers (requests,
rest_client) under dlt.sources.helpers."""
from dlt.extract.incremental import Incremental as incremental  # noqa: F401
from dlt.extract.resource import DltResource  # noqa: F401
from dlt.extract.source import DltSource  # noqa: F401

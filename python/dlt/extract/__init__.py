"""dlt.extract: resources, sources, transformers and incremental cursors. The data is pulled
and written by libdltc; this package only describes what to pull (decorators, hints)."""
from dlt.extract.incremental import Incremental  # noqa: F401
from dlt.extract.resource import DltResource  # noqa: F401
from dlt.extract.source import DltSource  # noqa: F401

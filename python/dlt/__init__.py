"""dlt — the data load tool, on libdltc: extract, normalize and load run in C.

The names, defaults and behaviour are dlt 1.26's (docs/python.md); the engine is the library
built from this repository (dlt._dltc).
"""
import os as _os

# an installed package carries libduckdb.so beside the module (setup.py); libdltc loads it
# on first use from $DLTC_DUCKDB_LIB
_duckdb = _os.path.join(_os.path.dirname(__file__), "libduckdb.so")
if "DLTC_DUCKDB_LIB" not in _os.environ and _os.path.exists(_duckdb):
    _os.environ["DLTC_DUCKDB_LIB"] = _duckdb

from dlt import _dltc  # noqa: E402
from dlt.version import __version__  # noqa: F401,E402
from dlt.common import exceptions as _exc
from dlt.common.configuration import exceptions as _cexc
from dlt.extract import exceptions as _xexc

for _name, _cls in (
    ("DltcError", _exc.DltException),
    ("DatabaseError", _exc.DatabaseError),
    ("DictValidationException", _exc.DictValidationException),
    ("ConfigurationException", _cexc.ConfigurationException),
    ("ConfigFieldMissingException", _cexc.ConfigFieldMissingException),
    ("ResourceExtractionError", _xexc.ResourceExtractionError),
    ("InvalidIncrementalConfig", _xexc.InvalidIncrementalConfig),
):
    _dltc._register(_name, _cls)

from dlt.common.configuration.accessors import config, secrets  # noqa: E402,F401
from dlt.extract.decorators import resource, source, transformer  # noqa: E402,F401
from dlt.pipeline import pipeline, attach  # noqa: E402,F401
from dlt import sources, destinations  # noqa: E402,F401
from dlt.extract.incremental import Incremental as _Incremental  # noqa: E402

TSecretValue = str
TCredentials = object

__all__ = ["pipeline", "attach", "resource", "source", "transformer", "config", "secrets",
           "sources", "destinations", "__version__"]

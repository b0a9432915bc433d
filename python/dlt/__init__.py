"""dlt — the data load tool, on libdltc: extract, normalize and load run in C.

The names, defaults and behaviour are dlt 1.26's (see README and docs/python.md); the
engine is the library built from this repository (dlt._dltc).
"""
from dlt import _dltc
from dlt.version import __version__  # noqa: F401
from dlt.common import exceptions as _exc
from dlt.common.configuration import exceptions as _cexc

for _name, _cls in (
    ("DltcError", _exc.DltException),
    ("DatabaseError", _exc.DatabaseError),
    ("ConfigurationException", _cexc.ConfigurationException),
    ("ConfigFieldMissingException", _cexc.ConfigFieldMissingException),
):
    _dltc._register(_name, _cls)

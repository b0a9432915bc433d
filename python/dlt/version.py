"""The version of dlt this package behaves as, and the libdltc version under it."""
__version__ = "1.26.0"
DLT_PKG_NAME = "dlt"

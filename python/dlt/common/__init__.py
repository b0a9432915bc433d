"""dlt.common: shared types of the dlt package on libdltc."""

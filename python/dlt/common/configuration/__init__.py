"""dlt.common.configuration: config and secrets (resolved by libdltc's providers)."""
from dlt.common.configuration.exceptions import (  # noqa: F401
    ConfigFieldMissingException,
    ConfigurationException,
)

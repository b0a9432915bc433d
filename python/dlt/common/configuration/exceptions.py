from dlt.common.exceptions import DltException


class ConfigurationException(DltException):
    """A config or secrets value is malformed, or a provider cannot be read."""


class ConfigFieldMissingException(KeyError, ConfigurationException):
    """Required config values or secrets were not found; the message is dlt's report of the
    keys and providers tried (never a value)."""

    def __init__(self, message, *args):
        ConfigurationException.__init__(self, message, *args)
        self.message = message

    def __str__(self):
        return self.message


class ConfigValueCannotBeCoercedException(ConfigurationException, ValueError):
    pass

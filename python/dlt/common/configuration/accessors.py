"""dlt.config and dlt.secrets: read (and set, for this process) values that libdltc's
providers resolve: environment variables, .dlt/secrets.toml, .dlt/config.toml."""
from dlt import _dltc
from dlt.common.configuration.exceptions import ConfigFieldMissingException


class _Sentinel:
    """dlt.config.value / dlt.secrets.value: 'required, injected from config'."""

    __slots__ = ("literal", "is_secret")

    def __init__(self, literal, is_secret):
        self.literal = literal
        self.is_secret = is_secret

    def __repr__(self):
        return self.literal

    def __bool__(self):
        return False


class _Accessor:
    def __init__(self, is_secret):
        self._secret = is_secret
        self._set = {}
        self.value = _Sentinel("dlt.secrets.value" if is_secret else "dlt.config.value",
                               is_secret)

    def __getitem__(self, key):
        if key in self._set:
            return self._set[key]
        try:
            return _dltc.config_get(key, self._secret)
        except KeyError:
            raise ConfigFieldMissingException(
                "Missing %s value for key '%s'" % ("secret" if self._secret else "config", key)
            ) from None

    def __setitem__(self, key, value):
        self._set[key] = value

    def __contains__(self, key):
        return self.get(key) is not None

    def get(self, key, expected_type=None, default=None):
        if key in self._set:
            return self._set[key]
        try:
            v = _dltc.config_get(key, self._secret)
        except KeyError:
            return default
        if expected_type is not None and v is not None and not isinstance(v, expected_type):
            try:
                v = expected_type(v)
            except Exception:
                pass
        return v

    @staticmethod
    def reload():
        """Read the providers again (the files or the environment changed)."""
        _dltc.config_reload()


config = _Accessor(False)
secrets = _Accessor(True)

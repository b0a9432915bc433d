from dlt import _dltc
from dlt.common.exceptions import DltException


class IgnoreResponseException(DltException):
    """Raised by a response hook: stop paginating without yielding the response."""


class PaginatorNotFound(DltException):
    pass


_dltc._register("IgnoreResponseException", IgnoreResponseException)

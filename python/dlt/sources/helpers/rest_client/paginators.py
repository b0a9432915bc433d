"""dlt's paginators. The built-in ones are settings for libdltc's paginators (dlt's dict
config, validated by libdltc when constructed, ValueError as dlt's constructors); they run in
C, so their update_state/update_request are not callable from Python.

A BasePaginator subclass of your own (or a subclass of a built-in one overriding
init_request, update_state or update_request) runs in Python: libdltc calls its
init_request(request), update_state(response, data) and update_request(request) and reads
has_next_page; the Request's url, params and top-level json keys are carried back to the
request libdltc sends (headers changed there are not)."""
import json as _json
import re
from abc import ABC, abstractmethod

from dlt import _dltc


class BasePaginator(ABC):
    """A base class for all paginator implementations."""

    def __init__(self):
        self._has_next_page = True

    @property
    def has_next_page(self):
        return self._has_next_page

    def init_request(self, request):
        """Prepares the first request (e.g. the first page's parameters)."""
        return None

    @abstractmethod
    def update_state(self, response, data=None):
        """Reads the response (and the page's items) and sets `_has_next_page`."""

    @abstractmethod
    def update_request(self, request):
        """Changes `request` to fetch the next page."""

    def __str__(self):
        return f"{type(self).__name__} at {id(self):x}"

    # ---- libdltc ----

    _dltc_type = None  # the libdltc paginator type of the built-in classes

    def _dltc_config(self):
        """dlt's dict config of a built-in paginator, None for one that runs in Python."""
        return None


class _Native(BasePaginator):
    """A built-in paginator: its work happens in libdltc."""

    def _settings(self):
        return {}

    def _dltc_config(self):
        return {"type": self._dltc_type, **self._settings()}

    def _dltc_paginator(self):
        return _dltc.Paginator(_json.dumps(self._dltc_config()))

    def _validate(self):
        self._dltc_paginator()  # libdltc's ValueError for a bad combination

    def update_state(self, response, data=None):
        raise NotImplementedError(f"{type(self).__name__} runs in libdltc (RESTClient.paginate)")

    def update_request(self, request):
        raise NotImplementedError(f"{type(self).__name__} runs in libdltc (RESTClient.paginate)")

    def __str__(self):
        desc = getattr(self, "_description", None)
        return desc or self._dltc_paginator().describe()


class SinglePagePaginator(_Native):
    """A paginator for single-page API responses."""

    _dltc_type = "single_page"


class JSONLinkPaginator(_Native):
    """The next page URL at `next_url_path` (JSONPath) in the JSON body."""

    _dltc_type = "json_link"

    def __init__(self, next_url_path="next"):
        super().__init__()
        self.next_url_path = next_url_path
        self._validate()

    def _settings(self):
        return {"next_url_path": str(self.next_url_path)}


class JSONResponsePaginator(JSONLinkPaginator):
    """Deprecated name of JSONLinkPaginator."""


class HeaderLinkPaginator(_Native):
    """The next page URL from the `Link` header's rel=`links_next_key`."""

    _dltc_type = "header_link"

    def __init__(self, links_next_key="next"):
        super().__init__()
        self.links_next_key = links_next_key
        self._validate()

    def _settings(self):
        return {"links_next_key": self.links_next_key}


def _path(p):
    return None if p is None else str(p)


class OffsetPaginator(_Native):
    """offset/limit pages; stops at `total_path`, `maximum_offset`, `has_more_path` or an
    empty page."""

    _dltc_type = "offset"

    def __init__(
        self,
        limit,
        offset=0,
        offset_param=None,
        limit_param=None,
        total_path="total",
        maximum_offset=None,
        stop_after_empty_page=True,
        *,
        has_more_path=None,
        offset_body_path=None,
        limit_body_path=None,
    ):
        super().__init__()
        self.limit = limit
        self.offset = offset
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.total_path = total_path
        self.maximum_offset = maximum_offset
        self.stop_after_empty_page = stop_after_empty_page
        self.has_more_path = has_more_path
        self.offset_body_path = offset_body_path
        self.limit_body_path = limit_body_path
        self._validate()

    def _settings(self):
        return {
            "limit": self.limit,
            "offset": self.offset,
            # dlt's default params unless the value goes into the body
            "offset_param": self.offset_param
            or (None if self.offset_body_path else "offset"),
            "limit_param": self.limit_param or (None if self.limit_body_path else "limit"),
            "total_path": _path(self.total_path),
            "maximum_offset": self.maximum_offset,
            "stop_after_empty_page": self.stop_after_empty_page,
            "has_more_path": _path(self.has_more_path),
            "offset_body_path": self.offset_body_path,
            "limit_body_path": self.limit_body_path,
        }


class PageNumberPaginator(_Native):
    """Page numbers from `base_page` (or `page`); stops at `total_path` (total pages),
    `maximum_page`, `has_more_path` or an empty page."""

    _dltc_type = "page_number"

    def __init__(
        self,
        base_page=0,
        page=None,
        page_param=None,
        total_path="total",
        maximum_page=None,
        stop_after_empty_page=True,
        *,
        has_more_path=None,
        page_body_path=None,
    ):
        super().__init__()
        self.base_page = base_page
        self.page = page
        self.page_param = page_param
        self.total_path = total_path
        self.maximum_page = maximum_page
        self.stop_after_empty_page = stop_after_empty_page
        self.has_more_path = has_more_path
        self.page_body_path = page_body_path
        self._validate()

    def _settings(self):
        return {
            "base_page": self.base_page,
            "page": self.page,
            "page_param": self.page_param or (None if self.page_body_path else "page"),
            "total_path": _path(self.total_path),
            "maximum_page": self.maximum_page,
            "stop_after_empty_page": self.stop_after_empty_page,
            "has_more_path": _path(self.has_more_path),
            "page_body_path": self.page_body_path,
        }


class JSONResponseCursorPaginator(_Native):
    """The cursor at `cursor_path` in the body, sent as `cursor_param` (default "cursor")
    or at `cursor_body_path`."""

    _dltc_type = "cursor"

    def __init__(
        self,
        cursor_path="cursors.next",
        cursor_param=None,
        cursor_body_path=None,
        *,
        stop_after_empty_page=False,
        has_more_path=None,
    ):
        super().__init__()
        self.cursor_path = cursor_path
        self.cursor_param = cursor_param
        self.cursor_body_path = cursor_body_path
        self.stop_after_empty_page = stop_after_empty_page
        self.has_more_path = has_more_path
        self._validate()

    def _settings(self):
        return {
            "cursor_path": str(self.cursor_path),
            "cursor_param": self.cursor_param
            or (None if self.cursor_body_path else "cursor"),
            "cursor_body_path": self.cursor_body_path,
            "stop_after_empty_page": self.stop_after_empty_page,
            "has_more_path": _path(self.has_more_path),
        }


class HeaderCursorPaginator(_Native):
    """The cursor in the response header `cursor_key`, sent as `cursor_param`."""

    _dltc_type = "header_cursor"

    def __init__(self, cursor_key="next", cursor_param="cursor"):
        super().__init__()
        self.cursor_key = cursor_key
        self.cursor_param = cursor_param
        self._validate()

    def _settings(self):
        return {"cursor_key": self.cursor_key, "cursor_param": self.cursor_param}


_BY_TYPE = {
    c._dltc_type: c
    for c in (
        SinglePagePaginator,
        JSONLinkPaginator,
        HeaderLinkPaginator,
        OffsetPaginator,
        PageNumberPaginator,
        JSONResponseCursorPaginator,
        HeaderCursorPaginator,
    )
}
_METHODS = ("init_request", "update_state", "update_request")


def _is_native(p):
    """A built-in paginator whose methods are not overridden."""
    base = next((c for c in type(p).__mro__ if c in _BY_TYPE.values()), None)
    return base is not None and all(
        getattr(type(p), m) is getattr(base, m) for m in _METHODS
    )


def _native(p):
    """(dlt._dltc.Paginator or None, Python paginator or None) for RESTClient.paginate:
    built-ins and dict/str configs go to libdltc, other BasePaginators run in Python."""
    if p is None:
        return None, None
    if isinstance(p, str):
        return _dltc.Paginator(p), None
    if isinstance(p, dict):
        return _dltc.Paginator(_json.dumps(p)), None
    if not isinstance(p, BasePaginator):
        raise TypeError(f"paginator must be a BasePaginator, a type name or a dict, not {p!r}")
    if _is_native(p):
        return p._dltc_paginator(), None
    return None, p


def _from_detected(type_name, description):
    """A Python paginator standing for the one libdltc detected (or was configured with):
    its settings as parsed from the description, str() giving libdltc's."""
    cls = _BY_TYPE.get(type_name)
    if cls is None:
        return None
    p = cls.__new__(cls)
    BasePaginator.__init__(p)
    settings = (description or "").split(": ", 1)[-1]  # after "<Class> at <id>: "
    for key, value in re.findall(r"(\w+): (\S+)", settings):
        if key.endswith(("_path", "_param", "_key")):
            setattr(p, key, None if value == "None" else value)
    p._description = description
    return p

"""dlt.sources.incremental: a cursor over a field of the items. The cursor itself (state,
range filter, boundary dedup, lag) runs in libdltc; this object carries the options and,
while its resource runs, reads the live values from there."""
from dlt import _dltc


class Incremental:
    """dlt.sources.incremental(cursor_path, initial_value=None, last_value_func=max,
    primary_key=None, end_value=None, row_order=None, allow_external_schedulers=False,
    on_cursor_value_missing="raise", lag=None, range_start="closed", range_end="open")"""

    def __init__(
        self,
        cursor_path=None,
        initial_value=None,
        last_value_func=max,
        primary_key=None,
        end_value=None,
        row_order=None,
        allow_external_schedulers=False,
        on_cursor_value_missing="raise",
        lag=None,
        range_start="closed",
        range_end="open",
    ):
        self.cursor_path = cursor_path
        self.initial_value = initial_value
        self.last_value_func = last_value_func
        self.primary_key = primary_key
        self.end_value = end_value
        self.row_order = row_order
        self.allow_external_schedulers = allow_external_schedulers
        self.on_cursor_value_missing = on_cursor_value_missing
        self.lag = lag
        self.range_start = range_start
        self.range_end = range_end
        self._cursor = _dltc.Cursor()

    # dlt's generic alias: dlt.sources.incremental[int]("id")
    def __class_getitem__(cls, item):
        return cls

    def copy(self):
        c = Incremental.__new__(Incremental)
        c.__dict__.update(self.__dict__)
        c._cursor = _dltc.Cursor()
        return c

    def _value(self, name, default=None):
        c = self._cursor
        if c.live() or c.get(name) is not None:
            return self._as_given(c.get(name))
        return default

    def _as_given(self, v):
        """libdltc reads ISO strings of initial_value/end_value as datetimes (so they compare
        with typed and with string cursors); dlt keeps them as the user gave them, and URLs
        are built from them: give the string back while the value is still that one."""
        for given in (self.initial_value, self.end_value):
            if isinstance(given, str) and v is not None and not isinstance(v, str):
                try:
                    from datetime import date, datetime

                    if isinstance(v, datetime):
                        parsed = datetime.fromisoformat(given.replace("Z", "+00:00"))
                        if parsed.tzinfo is None:
                            from datetime import timezone

                            parsed = parsed.replace(tzinfo=timezone.utc)
                    elif isinstance(v, date):
                        parsed = date.fromisoformat(given)
                    else:
                        continue
                except ValueError:
                    continue
                if parsed == v:
                    return given
        return v

    @property
    def last_value(self):
        return self._value("last_value", self.initial_value)

    @property
    def start_value(self):
        return self._value("start_value", self.initial_value)

    @property
    def start_out_of_range(self):
        return bool(self._value("start_out_of_range", False))

    @property
    def end_out_of_range(self):
        return bool(self._value("end_out_of_range", False))

    def options(self, resource_primary_key=None):
        """The options as libdltc takes them."""
        func = self.last_value_func
        if func is max or func == "max":
            func = "max"
        elif func is min or func == "min":
            func = "min"
        pk = self.primary_key
        if isinstance(pk, (list, tuple)):
            pk = ",".join(pk)
        lag = self.lag
        if lag is not None and not isinstance(lag, (int, float)):
            lag = lag.total_seconds()  # a timedelta
        return {
            "cursor_path": self.cursor_path,
            "initial_value": self.initial_value,
            "end_value": self.end_value,
            "last_value_func": func,
            "row_order": self.row_order,
            "primary_key": pk,
            "lag": float(lag) if lag is not None else None,
            "on_cursor_value_missing": self.on_cursor_value_missing,
            "range_start": self.range_start,
            "range_end": self.range_end,
        }

    def __repr__(self):
        return "Incremental(cursor_path=%r, initial_value=%r, last_value=%r)" % (
            self.cursor_path,
            self.initial_value,
            self.last_value,
        )

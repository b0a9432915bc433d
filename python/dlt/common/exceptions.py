"""dlt's exception classes that users catch; libdltc errors are raised as these."""


class DltException(Exception):
    """Base of every dlt exception."""

    code = -1

    def __reduce__(self):
        return self.__class__, self.args


class TerminalException(DltException):
    """An error that retrying will not fix."""


class TransientException(DltException):
    """An error that may go away when retried."""


class DestinationTerminalException(TerminalException):
    pass


class DatabaseError(DltException):
    """The destination refused a statement."""


class DictValidationException(DltException):
    pass

from dlt.common.exceptions import DltException


class ExtractorException(DltException):
    pass


class ResourceExtractionError(ExtractorException):
    pass


class ResourceNameMissing(ExtractorException, ValueError):
    def __init__(self):
        super().__init__(
            "Resource name is missing. If you create a resource directly from data, ie. from"
            " a list, you must pass the name explicitly in `name` argument. Please note that"
            " for resources created from functions or generators, the name is the function"
            " name by default."
        )


class InvalidResourceDataType(ExtractorException, TypeError):
    pass


class InvalidTransformerDataTypeGeneratorFunctionRequired(ExtractorException, TypeError):
    pass


class ResourceNotFoundError(ExtractorException, KeyError):
    pass


class InvalidIncrementalConfig(ExtractorException, ValueError):
    pass

from dlt.common.exceptions import DltException


class PipelineException(DltException):
    def __init__(self, pipeline_name, msg):
        self.pipeline_name = pipeline_name
        super().__init__(msg)


class PipelineConfigMissing(PipelineException):
    pass


class CannotRestorePipelineException(PipelineException):
    pass


class PipelineNotActive(PipelineException):
    pass


class PipelineStepFailed(PipelineException):
    """A step failed. `exception` is the cause (also __cause__, with its traceback)."""

    def __init__(self, pipeline, step, load_id, exception, step_info=None):
        self.pipeline = pipeline
        self.step = step
        self.load_id = load_id
        self.exception = exception
        self.step_info = step_info
        msg = "Pipeline execution failed at `step=%s`" % step
        if load_id:
            msg += " when processing package with `load_id=%s`" % load_id
        msg += " with exception:\n\n%s\n%s" % (type(exception), exception)
        name = getattr(pipeline, "pipeline_name", None)
        super().__init__(name, msg)

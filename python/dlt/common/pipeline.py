"""LoadInfo, NormalizeInfo, ExtractInfo and the run trace, with dlt's texts."""


def humanize_elapsed(s):
    """humanize.precisedelta with seconds as the smallest unit, as dlt prints it."""
    if s is None:
        return "---"
    if s < 60:
        return "%.2f seconds" % s
    m = int(s // 60)
    rest = s - m * 60
    if m < 60:
        return "%d minute%s and %.2f seconds" % (m, "" if m == 1 else "s", rest)
    h = m // 60
    m = m % 60
    return "%d hour%s, %d minute%s and %.2f seconds" % (
        h, "" if h == 1 else "s", m, "" if m == 1 else "s", rest)


class LoadPackageInfo:
    def __init__(self, load_id, state, failed_jobs=0, schema_name=None):
        self.load_id = load_id
        self.state = state.lower()
        self.failed_jobs = failed_jobs
        self.schema_name = schema_name

    def asstr(self, verbosity=0):
        st = self.state.upper()
        if st not in ("LOADED", "ABORTED"):
            st += " and NOT YET LOADED to the destination"
        jobs = ("contains %d FAILED job(s)!" % self.failed_jobs if self.failed_jobs
                else "contains no failed jobs")
        return "Load package %s is %s and %s" % (self.load_id, st, jobs)

    def __str__(self):
        return self.asstr()

    def __repr__(self):
        return "LoadPackageInfo(load_id=%r, state=%r)" % (self.load_id, self.state)


class _StepInfo:
    def __init__(self, pipeline, d):
        self.pipeline = pipeline
        d = d or {}
        self.pipeline_name = d.get("pipeline_name")
        self.dataset_name = d.get("dataset_name")
        self.destination_name = d.get("destination_name")
        self.destination_type = d.get("destination_type")
        self.destination_displayable_credentials = d.get("location")
        self.elapsed = d.get("elapsed")
        self.load_packages = [LoadPackageInfo(*p) for p in d.get("packages", [])]
        self.loads_ids = [p.load_id for p in self.load_packages]
        self.row_counts = dict(d.get("row_counts") or {})
        self.first_run = bool(d.get("first_run", False))
        self.metrics = {}
        self._text = d.get("text")

    @property
    def has_failed_jobs(self):
        return any(p.failed_jobs for p in self.load_packages)

    def asdict(self):
        return {
            "pipeline": {"pipeline_name": self.pipeline_name},
            "destination_name": self.destination_name,
            "destination_type": self.destination_type,
            "destination_displayable_credentials": self.destination_displayable_credentials,
            "dataset_name": self.dataset_name,
            "loads_ids": list(self.loads_ids),
            "load_packages": [{"load_id": p.load_id, "state": p.state}
                              for p in self.load_packages],
            "row_counts": dict(self.row_counts),
            "first_run": self.first_run,
        }


class LoadInfo(_StepInfo):
    """What a load did; str() is dlt's text."""

    def raise_on_failed_jobs(self):
        if self.has_failed_jobs:
            from dlt.pipeline.exceptions import PipelineStepFailed

            raise PipelineStepFailed(self.pipeline, "load", None,
                                     RuntimeError("the load has failed jobs"), self)

    def asstr(self, verbosity=0):
        lines = [
            "Pipeline %s load step completed in %s"
            % (self.pipeline_name, humanize_elapsed(self.elapsed)),
            "%d load package(s) were loaded to destination %s and into dataset %s"
            % (len(self.load_packages), self.destination_name, self.dataset_name),
            "The %s destination used %s location to store data"
            % (self.destination_name, self.destination_displayable_credentials),
        ]
        lines += [p.asstr(verbosity) for p in self.load_packages]
        return "\n".join(lines)

    def __str__(self):
        return self.asstr(verbosity=1)

    __repr__ = __str__


class NormalizeInfo(_StepInfo):
    def asstr(self, verbosity=0):
        if self.row_counts:
            lines = ["Normalized data for the following tables:"]
            lines += ["- %s: %d row(s)" % (t, n) for t, n in self.row_counts.items()]
        else:
            lines = ["No data found to normalize"]
        text = "\n".join(lines)
        pk = "\n".join(p.asstr(verbosity) for p in self.load_packages)
        return text + ("\n\n" + pk if pk else "")

    def __str__(self):
        return self.asstr(verbosity=1)

    __repr__ = __str__


class ExtractInfo(_StepInfo):
    def asstr(self, verbosity=0):
        return "\n".join(p.asstr(verbosity) for p in self.load_packages)

    def __str__(self):
        return self.asstr()


class PipelineStepTrace:
    def __init__(self, step, started_at=None, finished_at=None, step_info=None,
                 step_exception=None):
        self.step = step
        self.started_at = started_at
        self.finished_at = finished_at
        self.step_info = step_info
        self.step_exception = step_exception

    def __repr__(self):
        return "PipelineStepTrace(step=%r)" % self.step


class PipelineTrace:
    """pipeline.last_trace: the steps of the last run with their infos; str() is the trace
    text libdltc keeps in the working dir (dlt pipeline NAME trace)."""

    def __init__(self, pipeline, text=None):
        self.pipeline_name = pipeline.pipeline_name
        self.steps = []
        self._pipeline = pipeline
        self._text = text

    def _add(self, step, info=None, exc=None):
        self.steps.append(PipelineStepTrace(step, step_info=info, step_exception=exc))

    def _last(self, cls):
        for s in reversed(self.steps):
            if isinstance(s.step_info, cls):
                return s.step_info
        return None

    @property
    def last_extract_info(self):
        return self._last(ExtractInfo)

    @property
    def last_normalize_info(self):
        return self._last(NormalizeInfo)

    @property
    def last_load_info(self):
        return self._last(LoadInfo)

    def __str__(self):
        t = self._pipeline._impl.trace() if self._pipeline._impl is not None else None
        return t if t is not None else (self._text or "")

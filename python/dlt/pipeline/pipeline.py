"""The Pipeline object: dlt's methods over a libdltc pipeline (dlt._dltc.Pipeline)."""
import os

from dlt import _dltc
from dlt.common.pipeline import ExtractInfo, LoadInfo, NormalizeInfo, PipelineTrace
from dlt.destinations import Destination
from dlt.extract.exceptions import ResourceNameMissing
from dlt.extract.resource import DltResource, data_name
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed


class _StepError(Exception):
    """Raised by the C side when a step fails: (step, python exception or None, message[,
    code]); turned into PipelineStepFailed here."""


_dltc._register("StepError", _StepError)


_PROGRESS_NAMES = ("log", "tqdm", "enlighten", "alive_progress", "none")


def _progress_name(progress):
    """dlt's `progress`: a collector name (log, tqdm, enlighten, alive_progress, none), or
    None for the config's `progress` (env PROGRESS), else off. The C side draws the report
    on stderr; dlt's collector objects are not taken, their names are."""
    if progress is None or isinstance(progress, str):
        return progress
    raise TypeError("progress must be one of %s or None, not %r"
                    % (", ".join(_PROGRESS_NAMES), type(progress).__name__))


class Pipeline:
    def __init__(self, pipeline_name, pipelines_dir=None, destination=None, dataset_name=None,
                 dev_mode=False, progress=None, attach=False):
        self.pipeline_name = pipeline_name
        self.dev_mode = dev_mode
        self.progress = _progress_name(progress)
        self._destination = Destination.from_reference(destination) if destination else None
        self._dataset_arg = dataset_name
        self._pipelines_dir = pipelines_dir
        self._trace = None
        self._impl = None
        if dev_mode:
            self._wipe(pipelines_dir)
            from datetime import datetime

            base = dataset_name or "%s_dataset" % pipeline_name
            self._dataset_arg = base + datetime.now().strftime("_%Y%m%d%I%M%S")
        self._open()

    def _wipe(self, pipelines_dir):
        import shutil

        d = os.path.join(pipelines_dir or _dltc.pipelines_dir(), self.pipeline_name)
        shutil.rmtree(d, ignore_errors=True)

    def _open(self):
        d = self._destination
        if self._impl is not None:
            self._impl.close()
        self._impl = _dltc.Pipeline(
            self.pipeline_name,
            destination=d.kind if d else None,
            dataset_name=self._dataset_arg,
            pipelines_dir=self._pipelines_dir,
            credentials=d.location() if d else None,
            progress=self.progress,
        )

    # ---- attributes ----

    @property
    def dataset_name(self):
        return self._impl.dataset_name

    @property
    def destination(self):
        if self._destination is None:
            self._destination = Destination.from_reference(self._impl.destination)
        return self._destination

    @property
    def pipelines_dir(self):
        return self._impl.pipelines_dir

    @property
    def working_dir(self):
        return self._impl.working_dir

    @property
    def first_run(self):
        return self._impl.first_run

    @property
    def default_schema_name(self):
        return self._impl.schema_name

    @property
    def state(self):
        return self._impl.state()

    @property
    def last_trace(self):
        if self._trace is None and self._impl.trace() is not None:
            self._trace = PipelineTrace(self)
        return self._trace

    @property
    def has_pending_data(self):
        return "ready to be" in (self._impl.info() or "")

    # ---- what to run ----

    def _configure(self, destination=None, dataset_name=None, credentials=None):
        changed = False
        if destination is not None or credentials is not None:
            d = Destination.from_reference(destination or self.destination.kind,
                                           credentials=credentials)
            if credentials is None and isinstance(destination, Destination):
                d = destination
            self._destination = d
            changed = True
        if dataset_name is not None and dataset_name != self._impl.dataset_name:
            self._dataset_arg = dataset_name
            changed = True
        if changed:
            self._open()

    def _resources(self, data, table_name):
        """(source name, [DltResource]) of what run/extract got."""
        if isinstance(data, DltSource):
            return data.name, list(data.resources.values()), data
        if isinstance(data, DltResource):
            return None, [data], None
        if isinstance(data, (list, tuple)) and data and all(
                isinstance(x, (DltResource, DltSource)) for x in data):
            res = []
            name = None
            for x in data:
                if isinstance(x, DltSource):
                    name = name or x.name
                    res.extend(x.resources.values())
                else:
                    res.append(x)
            return name, res, None
        if callable(data) and not hasattr(data, "__next__") and not isinstance(data, (list, dict)):
            data = data()
            if isinstance(data, (DltSource, DltResource)):
                return self._resources(data, table_name)
        name = table_name or data_name(data)
        if name is None:
            raise ResourceNameMissing()
        return None, [DltResource(name, data)], None

    def _source(self, data, hints):
        from dlt.extract.native import NativeResource, NativeSource

        native = getattr(data, "_dltc_native", None)  # filesystem() and its readers
        if callable(native):
            data = native()
        if isinstance(data, NativeResource):
            data = [data]
        if (isinstance(data, (list, tuple)) and data and
                all(isinstance(x, NativeResource) for x in data)):
            srcs = {id(x._source): x._source for x in data}
            if len(srcs) != 1:
                raise NotImplementedError("resources of different libdltc sources: run each "
                                          "source on its own")
            src = next(iter(srcs.values()))
            names = {x.name for x in data}
            for r in src.resources.values():
                r.selected = r.name in names
            data = src
        if isinstance(data, NativeSource):
            if hints:
                raise NotImplementedError(
                    "hints given to run() (%s) do not apply to a libdltc source: set them in "
                    "its config" % ", ".join(sorted(hints)))
            return data._build()
        table_name = hints.get("table_name")
        src_name, resources, src = self._resources(data, table_name)
        impl = _dltc.Source(src_name or self._impl.schema_name)
        built = {}
        # parents first: a transformer needs its parent's libdltc resource
        order = []

        def visit(r, selected):
            if r._parent is not None and r._parent.name not in built:
                visit(r._parent, r._parent in resources and r._parent.selected)
            if r.name in built:
                return
            over = dict(hints)
            if len(resources) != 1 or isinstance(data, DltSource):
                over.pop("table_name", None)
            if src is not None:
                if src.max_table_nesting is not None:
                    over.setdefault("max_table_nesting", src.max_table_nesting)
                if src.schema_contract is not None and "schema_contract" not in r._hints:
                    over.setdefault("schema_contract", src.schema_contract)
            parent_impl = built.get(r._parent.name) if r._parent is not None else None
            if r._data_from_arg and parent_impl is None:
                from dlt.extract.exceptions import ResourceExtractionError

                raise ResourceExtractionError(
                    "transformer %s has no parent: pipe a resource into it (parent | %s)"
                    % (r.name, r.name))
            built[r.name] = r._build(over, parent_impl, selected)
            order.append(r.name)

        for r in resources:
            visit(r, r.selected)
        for n in order:
            impl.add(built[n])
        return impl

    @staticmethod
    def _hints(table_name=None, write_disposition=None, columns=None, primary_key=None,
               schema_contract=None, loader_file_format=None, merge_key=None):
        h = {"table_name": table_name, "write_disposition": write_disposition,
             "columns": columns, "primary_key": primary_key,
             "schema_contract": schema_contract, "file_format": loader_file_format,
             "merge_key": merge_key}
        return {k: v for k, v in h.items() if v is not None}

    def _step_failed(self, e, step_hint, source_impl=None):
        step, pyexc, message = e.args[0], e.args[1], e.args[2]
        step = self._failed_step() or (step if step != "run" else step_hint)
        cause = pyexc
        if cause is None:
            from dlt.common.exceptions import DltException

            cause = DltException(message)
            cause.code = e.args[3] if len(e.args) > 3 else -1
        err = PipelineStepFailed(self, step, None, cause)
        return err, cause

    def _failed_step(self):
        import json

        try:
            with open(os.path.join(self.working_dir, "trace.json")) as f:
                t = json.load(f)
        except (OSError, ValueError):
            return None
        for s in t.get("steps", []):
            if s.get("status") == "FAILED":
                return s.get("step")
        return None

    def _new_trace(self):
        self._trace = PipelineTrace(self)
        return self._trace

    # ---- the steps ----

    def run(self, data=None, *, destination=None, staging=None, dataset_name=None,
            credentials=None, table_name=None, write_disposition=None, columns=None,
            primary_key=None, schema=None, loader_file_format=None, table_format=None,
            schema_contract=None, refresh=None, merge_key=None):
        """extract → normalize → load `data`; what an earlier run left pending is loaded
        first. Returns the LoadInfo."""
        self._configure(destination, dataset_name, credentials)
        trace = self._new_trace()
        if data is None:
            self.normalize()
            return self.load()
        src = self._source(data, self._hints(table_name, write_disposition, columns,
                                             primary_key, schema_contract, loader_file_format,
                                             merge_key))
        try:
            d = self._impl.run_source(src)
        except _StepError as e:
            err, cause = self._step_failed(e, "extract")
            trace._add(err.step, None, cause)
            raise err from cause
        first = self.first_run
        d["first_run"] = first
        n = NormalizeInfo(self, dict(d, packages=[(p[0], "NORMALIZED", p[2])
                                                 for p in d["packages"]]))
        info = LoadInfo(self, d)
        trace._add("extract", ExtractInfo(self, dict(d, row_counts={})))
        trace._add("normalize", n)
        trace._add("load", info)
        return info

    def extract(self, data, *, table_name=None, parent_table_name=None, write_disposition=None,
                columns=None, primary_key=None, schema=None, max_parallel_items=None,
                workers=None, table_format=None, schema_contract=None, refresh=None,
                loader_file_format=None):
        src = self._source(data, self._hints(table_name, write_disposition, columns,
                                             primary_key, schema_contract, loader_file_format))
        trace = self._trace or self._new_trace()
        try:
            d = self._impl.extract(src)
        except _StepError as e:
            err, cause = self._step_failed(e, "extract")
            raise err from cause
        info = ExtractInfo(self, d)
        trace._add("extract", info)
        return info

    def normalize(self, workers=1, loader_file_format=None):
        trace = self._trace or self._new_trace()
        try:
            d = self._impl.normalize()
        except _StepError as e:
            err, cause = self._step_failed(e, "normalize")
            raise err from cause
        info = NormalizeInfo(self, d)
        trace._add("normalize", info)
        return info

    def load(self, destination=None, dataset_name=None, credentials=None, *, workers=20,
             raise_on_failed_jobs=True):
        self._configure(destination, dataset_name, credentials)
        trace = self._trace or self._new_trace()
        try:
            d = self._impl.load()
        except _StepError as e:
            err, cause = self._step_failed(e, "load")
            raise err from cause
        info = LoadInfo(self, d)
        trace._add("load", info)
        norm = trace.last_normalize_info
        if norm is not None and not norm.row_counts:
            norm.row_counts = dict(info.row_counts)
        return info

    # ---- the data ----

    def dataset(self, schema=None, dataset_type="auto"):
        from dlt.dataset import Dataset

        return Dataset(self, schema)

    def sql_client(self, schema_name=None):
        from dlt.dataset import SqlClient

        return SqlClient(self)

    def sync_destination(self, destination=None, staging=None, dataset_name=None):
        self._configure(destination, dataset_name)
        return self._impl.sync()

    def drop_pending_packages(self, with_partial_loads=True):
        return self._impl.drop_pending_packages()

    def drop(self, pipeline_name=None):
        """Wipe the local working dir; a new Pipeline object is returned, as dlt's."""
        self._impl.close()
        self._impl = None
        self._wipe(self._pipelines_dir)
        return Pipeline(pipeline_name or self.pipeline_name, pipelines_dir=self._pipelines_dir,
                        destination=self._destination, dataset_name=self._dataset_arg)

    @property
    def default_schema(self):
        from dlt.common.schema import Schema

        return Schema.from_pipeline(self)

    @property
    def schemas(self):
        s = self.default_schema
        return {s.name: s}

    def __repr__(self):
        return "Pipeline(pipeline_name=%r, destination=%r, dataset_name=%r)" % (
            self.pipeline_name, self._impl.destination if self._impl else None,
            self._impl.dataset_name if self._impl else None)

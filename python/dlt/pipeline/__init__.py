"""dlt.pipeline(...) and dlt.attach(...)."""
import os
import sys

from dlt import _dltc
from dlt.pipeline.exceptions import CannotRestorePipelineException


def _default_name():
    f = getattr(sys.modules.get("__main__"), "__file__", None)
    stem = os.path.splitext(os.path.basename(f))[0] if f else "pipeline"
    return "dlt_" + stem


def pipeline(
    pipeline_name=None,
    pipelines_dir=None,
    pipeline_salt=None,
    destination=None,
    staging=None,
    dataset_name=None,
    import_schema_path=None,
    export_schema_path=None,
    dev_mode=False,
    refresh=None,
    progress=None,
    _impl_cls=None,
    **kwargs,
):
    """Create or open the pipeline `pipeline_name` (dlt's defaults: dlt_<script name>,
    dataset <name>_dataset, working dir <pipelines_dir>/<name>)."""
    from dlt.pipeline.pipeline import Pipeline

    dev_mode = dev_mode or kwargs.pop("full_refresh", False)
    return Pipeline(pipeline_name or _default_name(), pipelines_dir=pipelines_dir,
                    destination=destination, dataset_name=dataset_name, dev_mode=dev_mode,
                    progress=progress)


def attach(pipeline_name=None, pipelines_dir=None, pipeline_salt=None, destination=None,
           staging=None, dataset_name=None, **kwargs):
    """Open an existing pipeline from its working dir."""
    from dlt.pipeline.pipeline import Pipeline

    name = pipeline_name or _default_name()
    if not _dltc.pipeline_exists(pipelines_dir, name):
        d = pipelines_dir or _dltc.pipelines_dir()
        raise CannotRestorePipelineException(
            name, "Pipeline %s could not be restored: no working dir %s"
            % (name, os.path.join(d, name)))
    return Pipeline(name, pipelines_dir=pipelines_dir, destination=destination,
                    dataset_name=dataset_name, attach=True)

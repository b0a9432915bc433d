"""dlt's filesystem source for local files: filesystem() lists files (FileItem rows) and
`filesystem(...) | read_csv()` (read_jsonl, read_parquet, read_csv_duckdb) reads their rows,
both in libdltc with DuckDB's readers (docs/filesystem_source.md)."""
import dlt
from dlt.extract.native import NativeSource, incremental_config

__all__ = ["filesystem", "read_csv", "read_jsonl", "read_parquet", "read_csv_duckdb",
           "FileItemDict"]

_HINTS = ("table_name", "write_disposition", "primary_key", "merge_key", "columns",
          "max_table_nesting", "schema_contract", "file_format")


class FileItemDict(dict):
    """dlt's FileItem as a dict (file_url, file_name, relative_path, mime_type, ...)."""


class _Files:
    """What filesystem() returns: the listing, which a reader is piped onto."""

    def __init__(self, entry):
        self._entry = entry
        self.name = "filesystem"

    def apply_hints(self, incremental=None, **hints):
        if incremental is not None:
            inc = incremental_config(incremental, "modification_date")
            self._entry["incremental"] = inc or True
        for k, v in hints.items():
            if k not in _HINTS:
                raise NotImplementedError("filesystem: the hint %s is not supported" % k)
            if v is not None:
                self._entry[k] = v
        return self

    def _source(self):
        return NativeSource(dict(self._entry), self._entry.get("name", "filesystem"),
                            section="filesystem")

    def __or__(self, reader):
        if not isinstance(reader, _Reader):
            raise TypeError("pipe a reader of dlt.sources.filesystem (read_csv, ...)")
        return reader._on(self)

    # run on its own: the FileItem rows
    def _dltc_native(self):
        return self._source()


class _Reader:
    def __init__(self, fmt, chunksize):
        self.format = fmt
        self.chunksize = chunksize

    def _on(self, files):
        e = dict(files._entry, format=self.format)
        for k in _HINTS:
            e.pop(k, None)
        if self.chunksize:
            e["chunk_size"] = int(self.chunksize)
        return _Piped(e, dict((k, v) for k, v in files._entry.items() if k in _HINTS))


class _Piped:
    """filesystem(...) | read_xxx(): a resource named read_<format>."""

    def __init__(self, entry, hints):
        self._entry = entry
        self._hints = hints
        self.name = "read_" + entry["format"]

    def apply_hints(self, incremental=None, **hints):
        if incremental is not None:
            raise NotImplementedError("incremental on the rows: apply it to filesystem() "
                                      "(new or changed files)")
        for k, v in hints.items():
            if k not in _HINTS:
                raise NotImplementedError("filesystem reader: the hint %s is not supported" % k)
            if v is not None:
                self._hints[k] = v
        return self

    def with_name(self, name):
        self._hints.setdefault("table_name", name)
        return self

    def _dltc_native(self):
        e = dict(self._entry, **self._hints)
        src = NativeSource(e, e.get("name", "filesystem"), section="filesystem")
        return src.resources[self.name]


def filesystem(bucket_url=dlt.secrets.value, credentials=None, file_glob="*",
               files_per_page=100, extract_content=False):
    """The files under bucket_url matching file_glob (local folders and file:// URLs)."""
    e = {"type": "filesystem", "file_glob": file_glob, "files_per_page": int(files_per_page)}
    from dlt.extract.native import _secret_given

    if _secret_given(bucket_url):
        e["bucket_url"] = str(bucket_url)
    if extract_content:
        e["extract_content"] = True
    if credentials is not None:
        raise NotImplementedError("filesystem: local files only (no credentials)")
    return _Files(e)


def read_csv(chunksize=10000, **pandas_kwargs):
    return _Reader("csv", chunksize)


def read_csv_duckdb(chunk_size=5000, use_pyarrow=False, **duckdb_kwargs):
    return _Reader("csv_duckdb", chunk_size)


def read_jsonl(chunksize=1000):
    return _Reader("jsonl", chunksize)


def read_parquet(chunksize=1000, use_pyarrow=False):
    return _Reader("parquet", chunksize)

"""Pipeline.execute(sql, params, arrow=True): query rows as an Arrow C stream in a PyCapsule.

pyarrow is not available here, so the stream is read the way a C consumer reads it: the
Arrow C data / C stream structs declared with ctypes, the stream pointer taken out of the
capsule, formats, children, validity bitmaps and buffers decoded by hand. The expected
values come from the same query without arrow (execute's tuples).
"""
import ctypes
import datetime as dt
import gc
import struct
from decimal import Context, Decimal

import pytest

import dlt._dltc as d
from dlt.common.exceptions import DatabaseError

# ---- the Arrow C data / C stream interface structs (ABI-fixed) ----


class ArrowSchema(ctypes.Structure):
    pass


SCHEMA_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))
ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
    ("dictionary", ctypes.POINTER(ArrowSchema)),
    ("release", SCHEMA_RELEASE),
    ("private_data", ctypes.c_void_p),
]


class ArrowArray(ctypes.Structure):
    pass


ARRAY_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))
ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
    ("dictionary", ctypes.POINTER(ArrowArray)),
    ("release", ARRAY_RELEASE),
    ("private_data", ctypes.c_void_p),
]


class ArrowArrayStream(ctypes.Structure):
    pass


ArrowArrayStream._fields_ = [
    ("get_schema", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream),
                                    ctypes.POINTER(ArrowSchema))),
    ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream),
                                  ctypes.POINTER(ArrowArray))),
    ("get_last_error", ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(ArrowArrayStream))),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArrayStream))),
    ("private_data", ctypes.c_void_p),
]

ARROW_FLAG_NULLABLE = 2

_api = ctypes.pythonapi
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetName.restype = ctypes.c_char_p
_api.PyCapsule_GetName.argtypes = [ctypes.py_object]


def stream_of(capsule):
    """The ArrowArrayStream inside the capsule (a view on the C struct, not a copy)."""
    assert type(capsule).__name__ == "PyCapsule"
    assert _api.PyCapsule_GetName(capsule) == b"arrow_array_stream"
    assert _api.PyCapsule_IsValid(capsule, b"arrow_array_stream") == 1
    ptr = _api.PyCapsule_GetPointer(capsule, b"arrow_array_stream")
    assert ptr
    return ArrowArrayStream.from_address(ptr)


def mark_released(obj):
    """Set obj.release to NULL (ctypes refuses None for a function pointer field)."""
    field = type(obj).release
    ctypes.c_void_p.from_address(ctypes.addressof(obj) + field.offset).value = None
    assert not obj.release


def move_stream(capsule):
    """Move the stream out of the capsule as a consumer does: copy the struct, mark the
    source released (the capsule destructor then only frees the struct)."""
    src = stream_of(capsule)
    assert src.release
    moved = ArrowArrayStream()
    ctypes.memmove(ctypes.byref(moved), ctypes.addressof(src), ctypes.sizeof(moved))
    mark_released(src)
    return moved


# ---- decoding ----

EPOCH = dt.datetime(1970, 1, 1)
EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
EPOCH_DATE = dt.date(1970, 1, 1)


def check_aligned(addr):
    assert addr % 64 == 0, hex(addr)


def buffer(arr, i):
    addr = arr.buffers[i]
    if addr is not None:
        check_aligned(addr)
    return addr


def bits(addr, n):
    raw = ctypes.string_at(addr, (n + 7) // 8)
    return [(raw[i // 8] >> (i % 8)) & 1 for i in range(n)]


def fixed(addr, n, code):
    size = struct.calcsize(code)
    return [x[0] for x in struct.iter_unpack("<" + code, ctypes.string_at(addr, n * size))]


def decode(arr, fmt):
    """The values of a primitive/binary array of Arrow format `fmt` as Python objects."""
    n = arr.length
    assert arr.offset == 0
    assert arr.n_children == 0
    assert not arr.dictionary
    nbuf = 3 if fmt in ("u", "z") else 2
    assert arr.n_buffers == nbuf
    validity = buffer(arr, 0)
    if arr.null_count == 0:
        assert validity is None  # no bitmap when there are no nulls
        valid = [1] * n
    else:
        assert validity is not None
        valid = bits(validity, n)
        assert valid.count(0) == arr.null_count
    data = buffer(arr, 1)
    assert data is not None
    if fmt == "b":
        vals = [bool(b) for b in bits(data, n)]
    elif fmt == "l":
        vals = fixed(data, n, "q")
    elif fmt == "L":
        vals = fixed(data, n, "Q")
    elif fmt == "g":
        vals = fixed(data, n, "d")
    elif fmt == "tdD":
        vals = [EPOCH_DATE + dt.timedelta(days=x) for x in fixed(data, n, "i")]
    elif fmt == "ttu":
        vals = [(dt.datetime.min + dt.timedelta(microseconds=x)).time()
                for x in fixed(data, n, "q")]
    elif fmt in ("tsu:", "tsu:UTC"):
        epoch = EPOCH_UTC if fmt == "tsu:UTC" else EPOCH
        vals = [epoch + dt.timedelta(microseconds=x) for x in fixed(data, n, "q")]
    elif fmt.startswith("d:"):
        prec, scale = (int(x) for x in fmt[2:].split(","))
        raw = ctypes.string_at(data, 16 * n)
        vals = []
        for i in range(n):
            x = int.from_bytes(raw[16 * i:16 * i + 16], "little", signed=True)
            assert abs(x) < 10 ** prec
            vals.append(Decimal(x).scaleb(-scale, Context(prec=80)))  # exact
    elif fmt in ("u", "z"):
        offsets = fixed(data, n + 1, "i")
        assert offsets[0] == 0
        assert all(a <= b for a, b in zip(offsets, offsets[1:]))
        payload = buffer(arr, 2)
        assert payload is not None
        raw = ctypes.string_at(payload, offsets[-1])
        vals = [raw[offsets[i]:offsets[i + 1]] for i in range(n)]
        if fmt == "u":
            vals = [v.decode("utf-8") for v in vals]
        for i in range(n):
            if not valid[i]:
                assert offsets[i] == offsets[i + 1]  # nulls take no bytes
    else:
        raise AssertionError("unexpected format " + fmt)
    return [v if ok else None for v, ok in zip(vals, valid)]


def read_schema(stream):
    schema = ArrowSchema()
    assert stream.get_schema(ctypes.byref(stream), ctypes.byref(schema)) == 0
    assert stream.get_last_error(ctypes.byref(stream)) is None
    assert schema.release
    assert schema.format == b"+s"
    assert schema.name in (b"", None)
    fields = []
    for i in range(schema.n_children):
        c = schema.children[i].contents
        assert c.n_children == 0
        assert not c.dictionary
        assert c.flags == ARROW_FLAG_NULLABLE
        fields.append((c.name.decode(), c.format.decode()))
    schema.release(ctypes.byref(schema))
    assert not schema.release  # the producer marks it released
    return fields


def read_batches(stream, formats):
    """Every batch as (length, [column values]) until the end of the stream; batches
    released after decoding."""
    batches = []
    while True:
        arr = ArrowArray()
        assert stream.get_next(ctypes.byref(stream), ctypes.byref(arr)) == 0
        assert stream.get_last_error(ctypes.byref(stream)) is None
        if not arr.release:
            break
        assert arr.n_children == len(formats)
        assert arr.n_buffers == 1
        assert arr.null_count == 0
        assert arr.offset == 0
        assert arr.buffers[0] is None
        cols = []
        for i, fmt in enumerate(formats):
            child = arr.children[i].contents
            assert child.length == arr.length
            assert child.release
            cols.append(decode(child, fmt))
        batches.append((arr.length, cols))
        arr.release(ctypes.byref(arr))
        assert not arr.release
    # the end stays the end
    arr = ArrowArray()
    assert stream.get_next(ctypes.byref(stream), ctypes.byref(arr)) == 0
    assert not arr.release
    return batches


def consume(capsule):
    """(fields, batches) of a capsule's stream, which is moved out and released."""
    stream = move_stream(capsule)
    try:
        fields = read_schema(stream)
        batches = read_batches(stream, [f for _, f in fields])
    finally:
        stream.release(ctypes.byref(stream))
    mark_released(stream)  # as a consumer that moved it: released, never again
    return fields, batches


def rows_of(batches, ncols):
    rows = []
    for n, cols in batches:
        assert len(cols) == ncols
        rows.extend(zip(*cols) if ncols else [()] * n)
    return [tuple(r) for r in rows]


# ---- fixtures ----


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("arrow")
    mp = pytest.MonkeyPatch()
    mp.chdir(tmp)
    p = d.Pipeline("arrow_t", destination="duckdb", pipelines_dir=str(tmp / "p"),
                   credentials=str(tmp / "a.duckdb"))
    yield p
    p.close()
    mp.undo()


def query(pipeline, sql):
    """(fields, rows) through Arrow, checked against the plain execute of the same SQL."""
    names, _types, expected = pipeline.execute(sql, None, False)
    fields, batches = consume(pipeline.execute(sql, None, True))
    assert [n for n, _ in fields] == names
    rows = rows_of(batches, len(fields))
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected):
        assert got == tuple(want), (got, want)
    return fields, rows


ALL_TYPES = (
    "SELECT 1::BIGINT AS a, 'x' AS b, NULL::DOUBLE AS c, "
    "TIMESTAMPTZ '2024-01-01 00:00:00+00' AS t, DATE '2024-01-02' AS dt, "
    "12.5::DECIMAL(10,2) AS m, true AS f, '\\x01\\x02'::BLOB AS bl, TIME '01:02:03.5' AS tm"
)


# ---- tests ----


def test_capsule_protocol(pipeline):
    cap = pipeline.execute(ALL_TYPES, None, True)
    stream = stream_of(cap)
    assert stream.get_schema and stream.get_next and stream.get_last_error
    assert stream.release
    del stream
    del cap  # never consumed: the destructor releases the stream
    gc.collect()


def test_every_type(pipeline):
    fields, rows = query(pipeline, ALL_TYPES)
    assert fields == [("a", "l"), ("b", "u"), ("c", "g"), ("t", "tsu:UTC"), ("dt", "tdD"),
                      ("m", "d:10,2"), ("f", "b"), ("bl", "z"), ("tm", "ttu")]
    assert rows == [(1, "x", None, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                     dt.date(2024, 1, 2), Decimal("12.50"), True, b"\x01\x02",
                     dt.time(1, 2, 3, 500000))]


def test_integer_types(pipeline):
    fields, rows = query(
        pipeline,
        "SELECT 1::INTEGER i, 2::SMALLINT s, 3::TINYINT ti, 4::UTINYINT ut, "
        "5::USMALLINT us, 6::UINTEGER ui, (-9223372036854775807::BIGINT - 1) bmin, "
        "9223372036854775807::BIGINT bmax, 18446744073709551615::UBIGINT u, "
        "7::UBIGINT u7, 1::HUGEINT h, "
        "99999999999999999999999999999999999999::HUGEINT h38, 8::UHUGEINT uh")
    assert [f for _, f in fields] == ["l"] * 8 + ["L", "L", "d:38,0", "d:38,0", "d:38,0"]
    assert rows[0][8] == 18446744073709551615
    assert rows[0][11] == 10 ** 38 - 1


def test_hugeint_beyond_decimal128_is_text(pipeline):
    # 39 digits do not fit decimal128(38, 0): the column becomes the numbers' text
    sql = ("SELECT * FROM (VALUES (1::HUGEINT, 1::UHUGEINT), "
           "(170141183460469231731687303715884105727::HUGEINT, "
           "340282366920938463463374607431768211455::UHUGEINT), "
           "(-170141183460469231731687303715884105727::HUGEINT - 1, NULL)) t(h, uh)")
    fields, batches = consume(pipeline.execute(sql, None, True))
    assert fields == [("h", "u"), ("uh", "u")]
    assert rows_of(batches, 2) == [
        ("1", "1"),
        ("170141183460469231731687303715884105727", "340282366920938463463374607431768211455"),
        ("-170141183460469231731687303715884105728", None)]


def test_floats(pipeline):
    fields, batches = consume(pipeline.execute(
        "SELECT 1.5::FLOAT f, 'inf'::DOUBLE x, '-inf'::DOUBLE y, 'nan'::DOUBLE z, "
        "-0.0::DOUBLE n, 1e308::DOUBLE big", None, True))
    assert [f for _, f in fields] == ["g"] * 6
    (row,) = rows_of(batches, 6)
    assert row[0] == 1.5 and row[1] == float("inf") and row[2] == float("-inf")
    assert row[3] != row[3]
    assert str(row[4]) == "-0.0" and row[5] == 1e308


def test_decimals(pipeline):
    fields, rows = query(
        pipeline,
        "SELECT -0.05::DECIMAL(4,2) a, 123.456::DECIMAL(18,3) b, "
        "12345678901234567890.123::DECIMAL(38,9) c, "
        "-99999999999999999999999999999.999999999::DECIMAL(38,9) cmin, "
        "2.5::DECIMAL(38,0) d0, 99999999999999999999999999999999999999::DECIMAL(38,0) dmax, "
        "0::DECIMAL(5,5) z, 1.5::DECIMAL(5,1) e, NULL::DECIMAL(10,2) n")
    assert [f for _, f in fields] == ["d:4,2", "d:18,3", "d:38,9", "d:38,9", "d:38,0",
                                      "d:38,0", "d:5,5", "d:5,1", "d:10,2"]
    assert rows == [(Decimal("-0.05"), Decimal("123.456"),
                     Decimal("12345678901234567890.123"),
                     Decimal("-99999999999999999999999999999.999999999"), 3, 10 ** 38 - 1,
                     0, Decimal("1.5"), None)]


def test_timestamps_dates_times(pipeline):
    fields, rows = query(
        pipeline,
        "SELECT TIMESTAMP '2024-01-01 01:02:03.123456' ts, "
        "TIMESTAMPTZ '1960-01-01 00:00:00.5+00' tz_before_epoch, "
        "TIMESTAMP '1900-01-01 00:00:00.000001' ts1900, "
        "TIMESTAMP_S '2024-05-06 07:08:09' tsec, TIMESTAMP_MS '2024-05-06 07:08:09.123' tms, "
        "TIMESTAMP_NS '2024-05-06 07:08:09.123456789' tns, "
        "DATE '1960-01-01' d_before_epoch, DATE '9999-12-31' dmax, "
        "TIME '00:00:00' midnight, TIME '23:59:59.999999' tmax")
    assert [f for _, f in fields] == ["tsu:", "tsu:UTC", "tsu:", "tsu:", "tsu:", "tsu:",
                                      "tdD", "tdD", "ttu", "ttu"]
    assert rows[0][1] == dt.datetime(1960, 1, 1, 0, 0, 0, 500000, tzinfo=dt.timezone.utc)
    assert rows[0][5] == dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    assert rows[0][6] == dt.date(1960, 1, 1)


def test_text_types_and_unicode(pipeline):
    fields, rows = query(
        pipeline,
        "SELECT * FROM (VALUES ('héllo', '{\"a\": [1, 2]}'::JSON, "
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, 'a'::ENUM('a', 'b')), "
        "('日本語 🦆', NULL, NULL, 'b'::ENUM('a', 'b')), ('', '[]'::JSON, NULL, NULL), "
        "('a' || chr(0) || 'b', 'null'::JSON, NULL, NULL)) t(s, j, u, e)")
    assert [f for _, f in fields] == ["u", "u", "u", "u"]
    assert [r[0] for r in rows] == ["héllo", "日本語 🦆", "", "a\x00b"]
    assert rows[0][2] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"


def test_binary(pipeline):
    fields, rows = query(
        pipeline,
        "SELECT * FROM (VALUES ('\\x00\\xFF'::BLOB), (''::BLOB), (NULL), "
        "('abc'::BLOB)) t(b)")
    assert fields == [("b", "z")]
    assert rows == [(b"\x00\xff",), (b"",), (None,), (b"abc",)]


def test_nulls_and_all_null_columns(pipeline):
    fields, rows = query(
        pipeline,
        "SELECT NULL::VARCHAR v, NULL::BIGINT b, NULL::TIMESTAMPTZ t, NULL::DECIMAL(10,2) m, "
        "NULL::BLOB bl, NULL::BOOLEAN f, NULL::DATE dd, NULL::TIME tm, NULL::DOUBLE g, "
        "NULL n FROM range(3)")
    assert [f for _, f in fields] == ["u", "l", "tsu:UTC", "d:10,2", "z", "b", "tdD", "ttu",
                                      "g", "l"]
    assert rows == [(None,) * 10] * 3


def test_bitmaps_across_bytes(pipeline):
    # nulls and booleans at positions that cross byte boundaries of the bitmaps
    sql = ("SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END b, "
           "CASE WHEN i % 5 = 0 THEN NULL ELSE i END n, "
           "CASE WHEN i % 7 = 0 THEN NULL ELSE 'v' || i END s "
           "FROM range(37) t(i) ORDER BY i")
    fields, rows = query(pipeline, sql)
    assert [f for _, f in fields] == ["b", "l", "u"]
    assert rows[3] == (None, 3, "v3")
    assert rows[4] == (True, 4, "v4")
    assert rows[35] == (False, None, None)


def test_empty_result(pipeline):
    cap = pipeline.execute(
        "SELECT 1::BIGINT a, 'x' b, 1.5::DECIMAL(10,2) m, NOW() t WHERE false", None, True)
    fields, batches = consume(cap)
    assert fields == [("a", "l"), ("b", "u"), ("m", "d:10,2"), ("t", "tsu:UTC")]
    assert batches == []


def test_many_rows_in_batches(pipeline):
    n = 200000
    sql = (f"SELECT range AS i, range * 0.5 AS half,  'row ' || range AS s, "
           f"CASE WHEN range % 10 = 0 THEN NULL ELSE range % 2 = 0 END AS even, "
           f"(range % 1000)::DECIMAL(10,3) / 8 AS m, "
           f"TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(range) AS t "
           f"FROM range({n}) ORDER BY range")
    _names, _types, expected = pipeline.execute(sql, None, False)
    fields, batches = consume(pipeline.execute(sql, None, True))
    assert [f for _, f in fields] == ["l", "d:21,1", "u", "b", "g", "tsu:UTC"]
    assert [b[0] for b in batches] == [65536, 65536, 65536, n - 3 * 65536]
    rows = rows_of(batches, 6)
    assert len(rows) == n
    assert rows == [tuple(r) for r in expected]
    assert rows[199999][0] == 199999 and rows[199999][2] == "row 199999"


def test_params(pipeline):
    fields, batches = consume(pipeline.execute("SELECT %s::BIGINT a, %s b", [41, "ü"], True))
    assert fields == [("a", "l"), ("b", "u")]
    assert rows_of(batches, 2) == [(41, "ü")]


def test_schema_copies_and_partial_consumption(pipeline):
    cap = pipeline.execute("SELECT range i FROM range(70000)", None, True)
    stream = stream_of(cap)  # used in place: the capsule keeps ownership
    assert read_schema(stream) == [("i", "l")]
    assert read_schema(stream) == [("i", "l")]  # a new copy on every call
    arr = ArrowArray()
    assert stream.get_next(ctypes.byref(stream), ctypes.byref(arr)) == 0
    assert arr.length == 65536
    assert decode(arr.children[0].contents, "l")[:3] == [0, 1, 2]
    arr.release(ctypes.byref(arr))
    del stream
    del cap  # the rest of the stream is freed by the capsule destructor
    gc.collect()


def test_moved_children(pipeline):
    # a consumer may move a child out of a batch (and schema) and release it later
    fields, _ = consume(pipeline.execute("SELECT 1 a, 'x' b", None, True))
    assert fields == [("a", "l"), ("b", "u")]
    stream = move_stream(pipeline.execute("SELECT 1::BIGINT a, 'x' b", None, True))
    schema = ArrowSchema()
    assert stream.get_schema(ctypes.byref(stream), ctypes.byref(schema)) == 0
    child_schema = ArrowSchema()
    ctypes.memmove(ctypes.byref(child_schema), schema.children[1], ctypes.sizeof(ArrowSchema))
    mark_released(schema.children[1].contents)
    arr = ArrowArray()
    assert stream.get_next(ctypes.byref(stream), ctypes.byref(arr)) == 0
    child = ArrowArray()
    ctypes.memmove(ctypes.byref(child), arr.children[1], ctypes.sizeof(ArrowArray))
    mark_released(arr.children[1].contents)
    arr.release(ctypes.byref(arr))
    schema.release(ctypes.byref(schema))
    stream.release(ctypes.byref(stream))
    assert child_schema.name == b"b" and child_schema.format == b"u"
    assert decode(child, "u") == ["x"]
    child.release(ctypes.byref(child))
    child_schema.release(ctypes.byref(child_schema))
    assert not child.release and not child_schema.release


def test_stream_outlives_pipeline_objects(pipeline, tmp_path):
    # the stream owns its rows: reading after the pipeline is closed still works
    p = d.Pipeline("arrow_t2", destination="duckdb", pipelines_dir=str(tmp_path / "p"),
                   credentials=str(tmp_path / "b.duckdb"))
    cap = p.execute("SELECT 'kept' s", None, True)
    p.close()
    del p
    gc.collect()
    fields, batches = consume(cap)
    assert rows_of(batches, 1) == [("kept",)]


def test_sql_error_raises(pipeline):
    with pytest.raises(DatabaseError):
        pipeline.execute("SELECT * FROM no_such_table", None, True)

"""Columns of row values -> Arrow arrays, without importing pandas.

In: a column's Python values and its Arrow type (the five the schemas use: string, int64,
double, bool, list<string>). Out: the array `pa.array(values, type)` makes.

Why: `pa.array` asks whether its argument is a pandas object, and asking imports pandas (0.3 s,
a sixth of a run on two pages, paid by every run and every worker that writes rows). These
builders (pyarrow's StringBuilder, `Array.from_buffers` over numpy, `ListArray.from_arrays`)
never ask. They take only the exact types rows hold (str, int, float, bool, list or tuple of
str, None); a column with anything else, or an int that int64 or a double cannot hold exactly,
goes to `pa.array`, which converts or refuses it as before. tests/test_write.py compares both
on generated columns.

Many strings (the token columns: some 1 M a cold 10 MB run, twice) are joined with SEP into one
string that Arrow's split kernel cuts again in C++: the StringBuilder appends value by value
(0.23 µs each), the join and the split take about 0.08 µs. Exact: the split gives one string
more than the joined text holds SEPs, so a value holding SEP itself changes the count, and
then the values go to the builder.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_Builder = getattr(pa.lib, "StringBuilder", None)  # pyarrow's own; if a release drops it: pa.array
_NONE = type(None)
_EXACT = 2 ** 53  # the largest integers a double holds exactly (beyond, Arrow refuses them)
# Between joined strings: a Unicode noncharacter (not for text interchange, so hardly ever in a
# value; one that is, is found by the split's count).
SEP = "\uffff"
_JOIN_FROM = 32  # strings; fewer are appended one by one


def array(values, type_: pa.DataType) -> pa.Array:
    built = _build(values, type_) if _Builder is not None else None
    return pa.array(values, type_) if built is None else built


def _build(values, type_: pa.DataType) -> pa.Array | None:
    kinds = set(map(type, values))
    if type_ == pa.string():
        return _strings(values, _NONE in kinds) if kinds <= {str, _NONE} else None
    if type_ == pa.int64():
        if not kinds <= {int, _NONE}:
            return None
        try:
            data = np.array([0 if v is None else v for v in values], dtype=np.int64)
        except OverflowError:
            return None
        return _numbers(pa.int64(), data, values)
    if type_ == pa.float64():
        if not kinds <= {float, int, _NONE} or (int in kinds and any(
                type(v) is int and not -_EXACT <= v <= _EXACT for v in values)):
            return None
        return _numbers(pa.float64(), np.array([0.0 if v is None else v for v in values], dtype=np.float64), values)
    if type_ == pa.bool_():
        if not kinds <= {bool, _NONE}:
            return None
        bits = np.packbits(np.array([v is True for v in values], dtype=bool), bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [_validity(values), pa.py_buffer(bits)])
    if type_ == pa.list_(pa.string()):
        if not kinds <= {list, tuple, _NONE}:
            return None
        lengths = [0 if v is None else len(v) for v in values]
        if sum(lengths) >= 2 ** 31:  # beyond 32-bit offsets: left to pa.array
            return None
        try:  # each list's strings joined (a TypeError: not all strings), then all of them
            child = _split([SEP.join(v) for v in values if v], sum(lengths))
        except TypeError:
            return None
        if child is None:
            items = [s for v in values if v is not None for s in v]
            if not set(map(type, items)) <= {str}:
                return None
            child = _strings(items, False)
        offsets = np.zeros(len(values) + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        return pa.Array.from_buffers(type_, len(values), [_validity(values), pa.py_buffer(offsets)],
                                     children=[child])
    return None


def _strings(values, nulls: bool) -> pa.Array:
    """A string array of `values` (str, and None if `nulls`)."""
    strings = [v for v in values if v is not None] if nulls else values
    child = _split(strings, len(strings)) if len(strings) >= _JOIN_FROM else None
    if child is None:
        builder = _Builder()
        builder.append_values(values)
        return builder.finish()
    if len(strings) == len(values):
        return child
    # Nulls: every row's offsets from the strings' (a null adds none), and their validity.
    present = np.array([v is not None for v in values], dtype=bool)
    ends = np.frombuffer(child.buffers()[1], dtype=np.int32)[child.offset:child.offset + len(child) + 1]
    offsets = np.ascontiguousarray(ends[np.concatenate(([0], np.cumsum(present)))], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(values), [
        pa.py_buffer(np.packbits(present, bitorder="little")), pa.py_buffer(offsets), child.buffers()[2]])


def _split(parts: list[str], count: int) -> pa.Array | None:
    """`count` strings, given as `parts` that join them with SEP, as one Arrow string array;
    None if a string held SEP (the split gives another count)."""
    if not count:
        return _Builder().finish()
    builder = _Builder()
    builder.append(SEP.join(parts))
    child = pc.split_pattern(builder.finish(), SEP).flatten()
    return child if len(child) == count else None


def _numbers(type_: pa.DataType, data: np.ndarray, values) -> pa.Array:
    return pa.Array.from_buffers(type_, len(values), [_validity(values), pa.py_buffer(data)])


def _validity(values) -> pa.Buffer | None:
    """Arrow's validity bitmap (1 = a value), None when nothing is null."""
    present = np.array([v is not None for v in values], dtype=bool)
    return None if present.all() else pa.py_buffer(np.packbits(present, bitorder="little"))

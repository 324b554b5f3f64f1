"""Arrow columns for the demo's tables (typed as the raw contract says), and small numeric helpers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _ts(us: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.timestamp("us", tz="UTC"))


def _dates(e: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(e, dtype=np.int32), type=pa.date32())


def _i64(x, mask=None) -> pa.Array:
    return pa.array(np.asarray(x, dtype=np.int64), type=pa.int64(), mask=mask)


def _strs(pool: list[str] | np.ndarray, idx: np.ndarray, mask=None) -> pa.Array:
    arr = pa.array(list(pool), type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))
    if mask is not None:
        arr = pc.if_else(pa.array(mask), pa.nulls(len(arr), pa.string()), arr)
    return arr


def _round_half(x: np.ndarray) -> np.ndarray:
    return np.floor(x) + 0.5

"""Atomic writes for every output the pipeline produces.

A run killed half way must never leave a file that looks finished: each writer writes to a
temporary file in the target's folder and renames it into place (``os.replace`` is atomic
on POSIX within one file system).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # keep the suffix: some writers (papermill, nbconvert) check it
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` as parquet, atomically and byte-reproducibly (no pandas index, no
    creation timestamp), so the same data always gives the same file."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    # pandas metadata carries nothing we need and differs between pandas versions
    table = table.replace_schema_metadata(None)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
    return Path(path)


def read_parquet(path: str | os.PathLike[str], columns: list[str] | None = None,
                 optional: Sequence[str] = ()) -> pd.DataFrame:
    """Read a parquet file written by :func:`write_parquet` (column selection keeps memory low).
    ``optional`` columns are read when the file has them: a real export may lack a domain."""
    if optional:
        names = set(pq.read_schema(path).names)
        columns = [*(columns or []), *(c for c in optional if c in names)]
    return pq.read_table(path, columns=columns).to_pandas()


SIGNIFICANT_DIGITS = 12
"""Floats in CSV and JSON outputs: far beyond any estimate's precision, and no 17-digit runs
of float noise (which read like ID numbers to a privacy scan, and differ between BLAS builds)."""


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write JSON atomically, keys sorted and UTF-8 kept readable (Chinese labels); NaN and
    infinity become ``null`` so the file is valid JSON for any reader."""
    with atomic_path(path) as tmp:
        tmp.write_text(
            json.dumps(
                _finite(obj), ensure_ascii=False, indent=2, sort_keys=True,
                default=_json_default, allow_nan=False,
            )
            + "\n",
            encoding="utf-8",
        )
    return Path(path)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write CSV atomically (UTF-8 with BOM so Excel on Chinese Windows opens it correctly),
    floats to :data:`SIGNIFICANT_DIGITS` digits."""
    # float_format skips object columns (which may mix floats and text); str columns hold
    # text only
    mixed = [col for col, dtype in df.dtypes.items() if pd.api.types.is_object_dtype(dtype)]
    if len(mixed):
        df = df.assign(**{col: df[col].map(_significant) for col in mixed})
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n",
                  float_format=f"%.{SIGNIFICANT_DIGITS}g")
    return Path(path)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write a text file (HTML, markdown) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write a binary file (a PDF) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _significant(value: Any) -> Any:
    """A finite float rounded to :data:`SIGNIFICANT_DIGITS` digits; anything else as it is."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return value


def _finite(value: Any) -> Any:
    """Replace non-finite floats by ``None`` and round the others to
    :data:`SIGNIFICANT_DIGITS` digits, recursively."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float):
        return _significant(value) if math.isfinite(value) else None
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return _finite(value.item())
    return value


def _json_default(value: Any) -> Any:
    """Make numpy scalars, timestamps and paths JSON-serialisable."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp | Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file written by :func:`write_json`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))

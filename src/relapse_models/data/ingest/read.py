"""Read exports as they come: xlsx/xls/xlsm/ods through python-calamine (fast, no Excel
needed), csv/txt in UTF-8, UTF-8 with BOM, UTF-16 (Excel's "Unicode text") or GBK/GB18030,
comma, tab or semicolon separated; any number of sheets; title rows above the header.

Each sheet comes back with its cells as read and the spreadsheet row number a user sees, so
every message can point at the row to fix.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import python_calamine as pc

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
SNIFF_BYTES = 1 << 20
SNIFF_HEAD = 8192
"""Bytes read to tell what a file is (magic numbers, zip member names near the start)."""

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", None),  # bitmap only with a plausible header, see sniff_kind
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "an RTF document"),
)
"""File signatures of what users send instead of an export (a scan, a report, an archive)."""

ZIP_KINDS: tuple[tuple[bytes, str | None], ...] = (
    (b"xl/", None),  # an xlsx workbook: readable
    (b"word/", "a Word document (docx)"),
    (b"ppt/", "a PowerPoint presentation (pptx)"),
    (b"content.xml", None),  # OpenDocument (ods): readable, or refused by the reader
)
"""Zip containers by the member names near their start: an xlsx is a zip too."""


class ReadError(ValueError):
    """A file that cannot be read at all (message names the file)."""


@dataclass
class RawSheet:
    """One sheet (or a csv file): its first rows as text, and a loader for the data below
    a given row, indexed by spreadsheet row number (1-based)."""

    file: str
    sheet: str
    head: list[list[str]]
    load: Callable[[int], pd.DataFrame]
    hidden: tuple[str, ...] = ()
    """Hidden sheets of the workbook (not read; named in the message when nothing is found)."""


def sniff_kind(start: bytes, path: Path) -> str | None:
    """What a file is from its first bytes, when that is certainly not a spreadsheet or a
    text export (``None``: a workbook, a text file, or unknown; the reader decides)."""
    for magic, kind in MAGIC:
        if start.startswith(magic):
            if magic == b"BM":  # a bitmap's header gives its size; text may start with "BM"
                if len(start) > 14 and int.from_bytes(start[2:6], "little") == path.stat().st_size:
                    return "a BMP image"
                continue
            return kind
    if start.startswith(b"PK\x03\x04"):
        for marker, kind in ZIP_KINDS:
            if marker in start:
                return kind
        with open(path, "rb") as fh:
            whole = fh.read(1 << 16)
        if b"xl/" in whole or b"content.xml" in whole:
            return None
        if b"word/" in whole:
            return "a Word document (docx)"
        return "a zip archive (unpack it and give the spreadsheets inside)"
    if start.startswith(b"\xd0\xcf\x11\xe0"):  # OLE: xls, or an old Word document
        if "WordDocument".encode("utf-16-le") in start or b"W\x00o\x00r\x00d\x00D" in _ole_names(path):
            return "a Word 97-2003 document (doc)"
        return None
    return None


def _ole_names(path: Path) -> bytes:
    """The start of an OLE file's directory area, where stream names (UTF-16) are."""
    with open(path, "rb") as fh:
        return fh.read(1 << 16)


def _cell_text(value: object) -> str:
    """A cell as text for header detection (floats like 2023.0 lose their ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_sheets(path: str | os.PathLike[str], head_rows: int = 40) -> list[RawSheet]:
    """Every sheet of ``path`` (a csv is one sheet named ""), visible sheets only."""
    p = Path(path)
    if not p.is_file():
        raise ReadError(f"{p}: no such file")
    with open(p, "rb") as fh:
        start = fh.read(SNIFF_HEAD)
    if not start.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise ReadError(f"{p}: the file is empty ({p.stat().st_size} bytes"
                        + (", blanks only" if start else "") + "): export the data again")
    kind = sniff_kind(start, p)
    if kind is not None:
        raise ReadError(f"{p}: this is {kind}, not a spreadsheet or csv export: save the "
                        "table itself as xlsx or csv (Excel: 另存为 Excel 工作簿 or CSV)")
    suffix = p.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _excel_sheets(p, head_rows)
    if suffix in TEXT_SUFFIXES:
        return [_csv_sheet(p, head_rows)]
    raise ReadError(f"{p}: unknown file type {suffix!r} (expected xlsx, xls or csv)")


def _excel_sheets(p: Path, head_rows: int) -> list[RawSheet]:
    try:
        book = pc.CalamineWorkbook.from_path(str(p))
        metas = [m for m in book.sheets_metadata if str(m.visible).endswith(".Visible")
                 and str(m.typ).endswith("WorkSheet")]
        hidden = tuple(m.name for m in book.sheets_metadata if not str(m.visible).endswith(".Visible"))
        sheets = []
        for meta in metas:
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append((meta.name, rows, sheet.merged_cell_ranges or []))
    except Exception as err:  # calamine raises its own error types for broken files
        raise ReadError(f"{p}: cannot read as a spreadsheet ({type(err).__name__}: {err})"
                        + _what_it_is(p)) from err
    out = []
    for name, rows, merged in sheets:
        head = [[_cell_text(c) for c in r] for r in rows[:head_rows]]

        def load(start: int, rows: list[list[object]] = rows, merged: list = merged) -> pd.DataFrame:
            df = pd.DataFrame(rows[start:], dtype=object)
            df.index = pd.RangeIndex(start + 1, start + 1 + len(df))
            _fill_merged(df, merged, start)
            return df

        out.append(RawSheet(file=str(p), sheet=name, head=head, load=load, hidden=hidden))
    return out


def _what_it_is(p: Path) -> str:
    """A hint from the file's first bytes: a csv renamed .xlsx is common."""
    with open(p, "rb") as fh:
        start = fh.read(4096)
    if start.startswith((b"PK", b"\xd0\xcf\x11\xe0")):  # zip (xlsx) or OLE (xls) container
        return "; the workbook is damaged or incomplete (an interrupted download?)"
    try:
        start.decode("utf-8")
    except UnicodeDecodeError:
        try:
            start.decode("gb18030")
        except UnicodeDecodeError:
            return "; the file is not an Excel workbook"
    return "; the file is a text file, not an Excel workbook: a csv renamed? rename it to .csv"


def _fill_merged(df: pd.DataFrame, merged: list, start: int) -> None:
    """Merged cells below the header (乡镇 or 村 merged over a household's rows) hold their
    value in every row they cover, as the spreadsheet shows it; merges in the header rows
    are the header finder's business."""
    for (r0, c0), (r1, c1) in merged:
        if r0 < start or c0 not in df.columns:
            continue
        value = df.at[r0 + 1, c0]
        df.loc[r0 + 1:r1 + 1, c0:c1] = value


def detect_encoding(sample: bytes) -> str:
    """Encoding of a text export: a BOM decides; else UTF-8 if the sample decodes as UTF-8,
    else GB18030 (a superset of GBK and GB2312, what Chinese Windows Excel writes)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError as err:
        line_start = sample.rfind(b"\n", 0, err.start) + 1
        if any(b >= 0x80 for b in sample[:line_start]):  # Chinese text read as UTF-8 so far
            line = sample.count(b"\n", 0, line_start) + 1
            raise ReadError(
                f"mixed encodings: lines 1-{line - 1} are UTF-8 but line {line} is not "
                "(GBK?); two exports pasted together? Save the whole file in one encoding"
            ) from err
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError as err:
        raise ReadError(f"not UTF-8, UTF-16 or GBK/GB18030 text ({err})") from err


def _sniff_delimiter(lines: list[str]) -> str:
    """The separator that splits the most lines into the most fields."""
    best, best_score = ",", -1
    for sep in (",", "\t", ";", "|"):
        widths = [len(next(csv.reader([ln], delimiter=sep))) for ln in lines if ln.strip()]
        score = max(widths, default=0)
        if score > best_score:
            best, best_score = sep, score
    return best


def _csv_sheet(p: Path, head_rows: int) -> RawSheet:
    with open(p, "rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    try:
        encoding = detect_encoding(sample)
    except ReadError as err:
        raise ReadError(f"{p}: {err}") from err
    text = sample.decode(encoding, errors="ignore")
    all_lines = text.splitlines()
    if len(sample) == SNIFF_BYTES:  # the sample ends inside a line
        all_lines = all_lines[:-1]
    lines = all_lines[:head_rows]
    sep = _sniff_delimiter(lines)
    head = [[c.strip() for c in row] for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)]

    def load(start: int) -> pd.DataFrame:
        width = max((len(r) for r in head), default=1)
        try:
            df = _read_csv(p, encoding, sep, start, width)
        except UnicodeDecodeError as err:  # the sample was UTF-8 but a later line is not
            if not sample.isascii():  # UTF-8 Chinese above, something else below
                raise ReadError(f"{p}: mixed encodings: the first {SNIFF_BYTES >> 20} MB are "
                                "UTF-8 but a later line is not (GBK?); save the whole file in "
                                "one encoding") from err
            df = _read_csv(p, "gb18030", sep, start, width)
        except pd.errors.ParserError as err:
            raise ReadError(f"{p}: {err}") from err
        df.index = pd.RangeIndex(start + 1, start + 1 + len(df))
        return df

    return RawSheet(file=str(p), sheet="", head=head, load=load)


def _read_csv(p: Path, encoding: str, sep: str, start: int, width: int) -> pd.DataFrame:
    """The data rows as text. pyarrow's reader (multithreaded) when its rows are the file's
    lines one to one; otherwise (blank lines, line breaks inside cells) pandas' C reader,
    which keeps blank lines so row numbers stay those a user sees."""
    common = dict(sep=sep, encoding=encoding, header=None, skiprows=start,
                  names=list(range(width)), dtype=str, keep_default_na=False, quotechar='"')
    with open(p, "rb") as fh:
        raw = fh.read()
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    del raw
    if encoding in ("utf-8", "utf-8-sig", "gb18030"):
        try:
            df = pd.read_csv(p, engine="pyarrow", **common)
            if len(df) == lines - start:
                return df
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
            pass
    return pd.read_csv(p, engine="c", na_filter=False, skip_blank_lines=False, **common)

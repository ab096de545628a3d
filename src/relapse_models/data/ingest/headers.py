"""Header mapping: which column of an export is which canonical column, and in which unit.

Synonyms live in ``config/columns.yaml`` (users add their own). The header row is found
below any title rows by scoring each row by how many known headers it holds; a two-row
header (a merged group cell such as "家庭收入（万元）" above "工资性收入", "经营性收入", ...)
is read as one, the group's unit applying to the columns under it.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from relapse_models.core.config import PROJECT_ROOT
from relapse_models.data.ingest.units import FULLWIDTH, unit_from_text

COLUMNS_PATH = PROJECT_ROOT / "config" / "columns.yaml"
HEAD_ROWS = 40
"""Rows searched for the header (title rows, notes and group rows come first)."""
MIN_MATCHES = 3
"""A row is a header row when at least this many of its cells are known headers."""

TYPES = {"key", "id_number", "personal", "text", "int", "money", "bool", "year", "quarter",
         "period", "month", "date", "label", "education", "sex"}


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: how exports name it and how its cells are read."""

    name: str
    type: str
    synonyms: tuple[str, ...]
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    nullable: bool = False
    default: Any = None


@dataclass
class Header:
    """Where the header is and what each column means."""

    rows: tuple[int, ...]
    """Positions (0-based, within the sheet) of the header row(s)."""
    columns: dict[int, str]
    """Column position -> canonical name."""
    headers: dict[int, str]
    """Column position -> the header as written (group and column joined by "/")."""
    units: dict[int, float]
    """Column position -> yuan multiplier, for money columns."""
    unmatched: list[str]
    duplicates: list[str]
    duplicate_of: dict[int, int] = field(default_factory=dict)
    """Column position of a repeated header -> position of its first occurrence (the one
    read); rows where the two disagree are quarantined, not silently resolved."""

    @property
    def data_start(self) -> int:
        return max(self.rows) + 1


def normalise_header(text: object) -> str:
    """Header text without what varies between exports: spaces and line breaks, brackets
    and what they hold (units, notes), required-field stars, case, full-width forms."""
    s = str(text).translate(FULLWIDTH).strip().lower()
    s = re.sub(r"[(\[【〔].*?[)\]】〕]", "", s)
    s = re.sub(r"单位\s*:?\s*(千元|万元|亿元|元)", "", s)
    s = re.sub(r"[\s_\-*※:.。]+", "", s)
    return s


def _strip_unit(s: str) -> str:
    return re.sub(r"(千元|万元|亿元|元)$", "", s)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> tuple[dict[str, ColumnSpec], dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    specs: dict[str, ColumnSpec] = {}
    lookup: dict[str, str] = {}
    for name, entry in raw.items():
        kind = entry.get("type")
        if kind not in TYPES:
            raise ValueError(f"{path}: column {name!r} has unknown type {kind!r}")
        synonyms = (name, *entry.get("zh", []), *entry.get("en", []))
        labels = {code: tuple(str(v) for v in vals) for code, vals in (entry.get("labels") or {}).items()}
        specs[name] = ColumnSpec(
            name=name, type=kind, synonyms=tuple(str(s) for s in synonyms), labels=labels,
            nullable=bool(entry.get("nullable", False)), default=entry.get("default"),
        )
        for syn in synonyms:
            key = normalise_header(syn)
            if lookup.get(key, name) != name:
                raise ValueError(f"{path}: header {syn!r} is given for both "
                                 f"{lookup[key]!r} and {name!r}")
            lookup[key] = name
    return specs, lookup


def load_columns(path: str | os.PathLike[str] | None = None) -> tuple[dict[str, ColumnSpec], dict[str, str]]:
    """Column specs and the normalised-synonym lookup from ``columns.yaml``."""
    p = Path(path) if path else COLUMNS_PATH
    return _load(str(p), p.stat().st_mtime)


def match(text: object, lookup: dict[str, str]) -> str | None:
    """The canonical name a header stands for, or ``None``."""
    s = normalise_header(text)
    if not s:
        return None
    return (lookup.get(s) or lookup.get(_strip_unit(s))
            or lookup.get(re.sub(_SUFFIXES, "", _strip_unit(s))))


_SUFFIXES = r"(?:合计|金额|总额|情况|数额)$"
"""Words exports append to a header (工资性收入合计, 灾害损失金额): tried without them last."""


def _row_labels(head: list[list[str]], rows: tuple[int, ...], width: int) -> list[tuple[str, str]]:
    """Per column: (label to match, group label above it) for a one- or two-row header."""
    if len(rows) == 1:
        return [(head[rows[0]][j], "") for j in range(width)]
    top, bottom = head[rows[0]], head[rows[1]]
    out, group = [], ""
    for j in range(width):
        if top[j]:
            group = top[j]
        if bottom[j]:
            out.append((bottom[j], group))
        else:  # a cell merged over both rows: its text is in the top row
            out.append((top[j], ""))
            group = ""
    return out


def _score(labels: list[tuple[str, str]], lookup: dict[str, str]) -> int:
    found = {match(lab, lookup) or match(grp + lab, lookup) for lab, grp in labels}
    found.discard(None)
    return len(found)


def find_header(head: list[list[str]], lookup: dict[str, str]) -> Header | None:
    """Locate the header in the first rows of a sheet (cells as text); ``None`` when no
    row holds enough known headers (a notes or cover sheet)."""
    if not head:
        return None
    width = max(len(r) for r in head)
    head = [list(r) + [""] * (width - len(r)) for r in head]
    candidates: list[tuple[int, int, tuple[int, ...]]] = []
    for i in range(len(head)):
        candidates.append((_score(_row_labels(head, (i,), width), lookup), -1, (i,)))
        if i + 1 < len(head) and sum(bool(c) for c in head[i]) >= 2:
            candidates.append((_score(_row_labels(head, (i, i + 1), width), lookup), -2, (i, i + 1)))
    # most known headers; then a single row over a pair; then the earliest
    score, _, rows = max(candidates, key=lambda c: (c[0], c[1], -c[2][0]))
    if score < MIN_MATCHES:
        return None
    title_unit = None
    for r in range(rows[0]):
        for cell in head[r]:
            title_unit = title_unit or unit_from_text(cell)
    columns: dict[int, str] = {}
    headers: dict[int, str] = {}
    units: dict[int, float] = {}
    unmatched: list[str] = []
    duplicates: list[str] = []
    duplicate_of: dict[int, int] = {}
    for j, (lab, grp) in enumerate(_row_labels(head, rows, width)):
        name = match(lab, lookup) or match(grp + lab, lookup)
        written = f"{grp}/{lab}" if grp else lab
        if name is None:
            if lab:
                unmatched.append(written)
            continue
        if name in columns.values():
            duplicates.append(written)
            duplicate_of[j] = next(k for k, v in columns.items() if v == name)
            headers[j] = written
            units[j] = unit_from_text(lab) or unit_from_text(grp) or title_unit or 1.0
            continue
        columns[j] = name
        headers[j] = written
        units[j] = unit_from_text(lab) or unit_from_text(grp) or title_unit or 1.0
    return Header(rows=rows, columns=columns, headers=headers, units=units,
                  unmatched=unmatched, duplicates=duplicates, duplicate_of=duplicate_of)


def closest_headers(spec: ColumnSpec, present: list[str], n: int = 3) -> list[str]:
    """The file's headers most like any name of ``spec`` (for the missing-column message)."""
    scored: dict[str, float] = {}
    for header in present:
        h = normalise_header(header)
        best = max(difflib.SequenceMatcher(None, h, normalise_header(s)).ratio() for s in spec.synonyms)
        scored[header] = best
    ranked = sorted(scored, key=lambda k: (-scored[k], k))
    return [h for h in ranked[:n] if scored[h] > 0.3]


def known_close_to(header: str, specs: dict[str, ColumnSpec], n: int = 3) -> list[str]:
    """Known headers closest to an unknown one (a hint for extending columns.yaml)."""
    names = [s for spec in specs.values() for s in spec.synonyms]
    return difflib.get_close_matches(header, names, n=n, cutoff=0.4)

"""The feature step for one county in blocks of whole villages, so memory stays bounded at any
county size and the table is the one a single :func:`~relapse_models.outcome.features.build_features`
call on the whole county would give.

Every feature is within-household except the village share hit by disaster, so a block must
hold whole households and whole villages. A household whose panel rows name several villages
(a relocation) ties those villages together: blocks are made of connected components of the
household-village graph, packed in order of their first household id up to ``max_rows`` panel
rows (a component larger than that is a block of its own). Each block reads only its own
panel rows from the parquet file, and the blocks stream into one parquet file written under a
temporary name and renamed at the end.

Rows come out sorted by household and quarter, as from one call. With the generator's ids
(county-village-household) the blocks are already in that order; with ids that interleave
across blocks (keyed pseudonyms of real exports) one DuckDB sort, spilling to disk, restores
it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from relapse_models.core.io import atomic_path, read_parquet, write_parquet
from relapse_models.outcome.features import build_features

log = logging.getLogger(__name__)

DEFAULT_BLOCK_ROWS = 1_000_000
"""Panel rows per block: about 1.5 GB peak for the feature step (0.86 GB at 400,000 rows)."""

SORT_MEMORY_LIMIT = "2GB"
"""DuckDB's memory for the re-sort of interleaved blocks (it spills to disk beyond)."""

Builder = Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame], pd.DataFrame]


def plan_blocks(panel_path: str | os.PathLike[str], max_rows: int) -> list[np.ndarray]:
    """Household ids of each block, in output order: whole villages (and whole households)
    per block, at most ``max_rows`` panel rows unless one village group alone is larger."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be >= 1, not {max_rows}")
    # without villages (an export without 村), each household is its own village
    village = "village_id" if "village_id" in pq.read_schema(panel_path).names else "household_id"
    pairs = duckdb.sql(
        f"SELECT household_id, {village} AS village_id, count(*) AS n FROM read_parquet($path) "
        "GROUP BY household_id, village_id ORDER BY household_id, village_id",
        params={"path": str(panel_path)},
    ).df()
    if pairs.empty:
        return []
    if pairs["household_id"].isna().any():
        raise ValueError(f"{panel_path}: column household_id has missing values")
    hh_code, hh_ids = pd.factorize(pairs["household_id"])  # ids sorted: code order = id order
    v_code, villages = pd.factorize(pairs["village_id"])  # missing village: -1, no edge
    n_hh = len(hh_ids)
    edge = v_code >= 0
    graph = coo_matrix(
        (np.ones(edge.sum()), (hh_code[edge], n_hh + v_code[edge])),
        shape=(n_hh + len(villages),) * 2,
    )
    _, component = connected_components(graph, directed=False)
    hh_component = component[:n_hh]
    # components in order of their first household id, then packed by cumulative rows
    order, _ = pd.factorize(hh_component)
    rows = np.bincount(order, weights=np.bincount(hh_code, weights=pairs["n"].to_numpy()))
    start = np.cumsum(rows) - rows
    block_of_component = pd.factorize(start // max_rows)[0]
    block = block_of_component[order]
    ids = hh_ids.to_numpy()
    return [ids[block == b] for b in range(block.max() + 1)]


def _block_filter(ids: np.ndarray, contiguous: bool) -> ds.Expression:
    """Rows of ``ids``' households: an id range when no other block's ids fall inside it
    (cheap, and row groups outside it are skipped by their statistics), else the id list."""
    field = pc.field("household_id")
    if contiguous:
        return (field >= ids.min()) & (field <= ids.max())
    return field.isin(pa.array(ids))


def _blocks_interleave(blocks: list[np.ndarray]) -> bool:
    """True when some block's ids fall before the previous block's last id."""
    firsts = np.array([b.min() for b in blocks], dtype=object)
    lasts = np.array([b.max() for b in blocks], dtype=object)
    return bool((firsts[1:] < lasts[:-1]).any())


def _to_arrow(frame: pd.DataFrame, schema: pa.Schema | None) -> pa.Table:
    """A block as an arrow table with the first block's schema (no pandas metadata)."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    if schema is None:  # dictionary indices wide enough for any later block
        wide = [
            f.with_type(pa.dictionary(pa.int32(), f.type.value_type))
            if pa.types.is_dictionary(f.type) else f
            for f in table.schema
        ]
        return table.cast(pa.schema(wide))
    if table.schema.names != schema.names:
        raise ValueError(f"feature block has columns {table.schema.names}, expected {schema.names}")
    return table.cast(schema)


def _sorted_batches(path: Path, schema: pa.Schema, batch_rows: int) -> Iterator[pa.Table]:
    """The rows of ``path`` sorted by household and quarter, in batches (DuckDB sorts out of
    core under :data:`SORT_MEMORY_LIMIT`)."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{SORT_MEMORY_LIMIT}'")
    spill = str(path.parent / f"{path.name}.duckdb-tmp").replace("'", "''")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute("SET preserve_insertion_order = false")
    reader = con.sql(
        "SELECT * FROM read_parquet($path) ORDER BY household_id, year, quarter",
        params={"path": str(path)},
    ).to_arrow_reader(batch_rows)
    for batch in reader:
        yield pa.Table.from_batches([batch]).cast(schema)
    con.close()


def write_features_in_blocks(
    build: Builder,
    interim_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    max_rows: int = DEFAULT_BLOCK_ROWS,
) -> int:
    """Build a county's features block by block with ``build(households, panel, events)`` and
    write them to ``out`` (parquet, atomically); returns the number of rows written."""
    interim = Path(interim_dir)
    for name in ("households", "panel", "events"):
        if not (interim / f"{name}.parquet").is_file():
            raise FileNotFoundError(f"{interim / name}.parquet: no such file")
    panel_path = interim / "panel.parquet"
    households = pq.read_table(interim / "households.parquet")
    events = pq.read_table(interim / "events.parquet")
    blocks = plan_blocks(panel_path, max_rows)
    if len(blocks) <= 1:  # one block: no filter, no streaming
        features = build(households.to_pandas(), read_parquet(panel_path), events.to_pandas())
        write_parquet(features, out)
        return len(features)

    interleaved = _blocks_interleave(blocks)
    panel = ds.dataset(panel_path, format="parquet")
    schema = None
    written = 0
    with atomic_path(out) as tmp:
        stream = tmp.with_name(tmp.name + ".blocks.parquet") if interleaved else tmp
        writer = None
        try:
            for number, ids in enumerate(blocks, 1):
                rows = _block_filter(ids, contiguous=not interleaved)
                block = build(
                    households.filter(rows).to_pandas(),
                    panel.to_table(filter=rows).to_pandas(),
                    events.filter(rows).to_pandas(),
                )
                table = _to_arrow(block, schema)
                if writer is None:
                    schema = table.schema
                    writer = pq.ParquetWriter(stream, schema, compression="zstd")
                writer.write_table(table)
                written += table.num_rows
                log.info("feature block %d/%d: %d households, %d rows",
                         number, len(blocks), len(ids), table.num_rows)
                del block, table
        finally:
            if writer is not None:
                writer.close()
        if interleaved:
            log.info("blocks interleave in household id: sorting %d rows", written)
            try:
                with pq.ParquetWriter(tmp, schema, compression="zstd") as sorted_writer:
                    for table in _sorted_batches(stream, schema, max_rows):
                        sorted_writer.write_table(table)
            finally:
                stream.unlink(missing_ok=True)
    return written


def county_features(
    interim_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    lines: Mapping[int, float],
    config: Mapping,
    max_rows: int = DEFAULT_BLOCK_ROWS,
) -> int:
    """The ``features`` command: :func:`relapse_models.outcome.features.build_features` on a county's
    interim tables in blocks of whole villages, to ``out``; returns the rows written."""
    def build(households: pd.DataFrame, panel: pd.DataFrame, events: pd.DataFrame):
        return build_features(households, panel, events, lines, config)

    return write_features_in_blocks(build, interim_dir, out, max_rows=max_rows)

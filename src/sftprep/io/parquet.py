"""Parquet reader: record batches through pyarrow, nested list<struct> columns included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError
from sftprep.io.base import FileReader, Item, Plan, RawRecord, Shard, register_reader
from sftprep.model import Location

BATCH_ROWS = 2048


def import_pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise UsageError(
            "reading Parquet/Arrow needs pyarrow: pip install 'sftprep[parquet]'"
        ) from exc
    return pyarrow


@register_reader(".parquet", ".pq")
class ParquetReader(FileReader):
    """Parquet by record batch; planned as runs of row groups of about ``shard_bytes``
    (compressed), each numbering its rows from 0 (the merge adds the rows before)."""

    def read(self, path: Path) -> Iterator[Item]:
        parquet = _open(path)
        yield from rows_of_batches(parquet.iter_batches(batch_size=BATCH_ROWS), str(path))

    def plan(self, path: Path, shard_bytes: int) -> Plan:
        meta = _open(path).metadata
        shards: list[Shard] = []
        start = size = 0
        for group in range(meta.num_row_groups):
            size += meta.row_group(group).total_byte_size
            if size >= shard_bytes or group == meta.num_row_groups - 1:
                shards.append(Shard(str(path), self.key, len(shards), start, group + 1, size))
                start, size = group + 1, 0
        return Plan(shards or [Shard(str(path), self.key, end=0)])

    def read_shard(self, shard: Shard) -> Iterator[Item]:
        groups = list(range(shard.start, shard.end or 0))
        if not groups:
            return iter(())
        batches = _open(Path(shard.path)).iter_batches(batch_size=BATCH_ROWS, row_groups=groups)
        return rows_of_batches(batches, shard.path)


def _open(path: Path) -> Any:
    import_pyarrow()
    import pyarrow.parquet as pq

    from sftprep.io.text import regular_file

    regular_file(path)
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise UsageError(f"{path}: not a readable Parquet file ({exc})") from exc


def rows_of_batches(batches: Iterator[Any], name: str) -> Iterator[Item]:
    """Records of Arrow record batches, numbered from 0; Arrow files have no lines."""
    record = 0
    for batch in batches:
        for row in batch.to_pylist():
            yield RawRecord(row, Location(name, None, record))
            record += 1

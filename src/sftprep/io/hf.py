"""Hugging Face datasets: a ``save_to_disk`` directory, or a Hub id when online.

A saved dataset is a folder of Arrow IPC *stream* files (``data-*.arrow``) next to
``state.json``; it is read batch by batch with pyarrow, without importing
``datasets``. A ``DatasetDict`` folder (``dataset_dict.json``) is read through its
``train`` split, or its first split. A single ``.arrow`` file (stream or file
format) is read the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError
from sftprep.io.base import FileReader, Item, Plan, RawRecord, Shard, register_reader
from sftprep.io.parquet import import_pyarrow, rows_of_batches
from sftprep.model import Location


@register_reader("<hf-dataset>")
class SavedDatasetReader(FileReader):
    """A ``save_to_disk`` folder; planned as one shard per Arrow file."""

    def read(self, path: Path) -> Iterator[Item]:
        files = _dataset_files(path)

        def batches() -> Iterator[Any]:
            for file in files:
                yield from _arrow_batches(file)

        yield from rows_of_batches(batches(), str(path))

    def plan(self, path: Path, shard_bytes: int) -> Plan:
        files = _dataset_files(path)
        return Plan(
            [
                Shard(str(path), self.key, i, i, i + 1, file.stat().st_size, extra=str(file))
                for i, file in enumerate(files)
            ]
        )

    def read_shard(self, shard: Shard) -> Iterator[Item]:
        return rows_of_batches(_arrow_batches(Path(shard.extra)), shard.path)


def _dataset_files(path: Path) -> list[Path]:
    files = _arrow_files(_split_dir(path))
    if not files:
        raise UsageError(f"{path}: no .arrow files in this saved dataset")
    import_pyarrow()
    return files


@register_reader(".arrow")
def read_arrow(path: Path) -> Iterator[Item]:
    """One Arrow IPC file, stream or file format (what ``datasets`` caches and saves)."""
    import_pyarrow()
    yield from rows_of_batches(_arrow_batches(path), str(path))


def _arrow_batches(file: Path) -> Iterator[Any]:
    """Record batches of an Arrow IPC stream (``save_to_disk``) or file, memory-mapped."""
    import pyarrow as pa

    try:
        source = pa.memory_map(str(file))
    except OSError as exc:
        raise UsageError(f"{file}: cannot read ({exc})") from exc
    with source:
        try:
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            try:
                source.seek(0)
                reader = pa.ipc.open_file(source)
            except pa.ArrowInvalid as exc:
                raise UsageError(f"{file}: not an Arrow IPC stream or file ({exc})") from exc
            yield from (reader.get_batch(i) for i in range(reader.num_record_batches))
            return
        yield from reader


def _split_dir(path: Path) -> Path:
    info = path / "dataset_dict.json"
    if not info.exists():
        return path
    splits = json.loads(info.read_text()).get("splits", [])
    if not splits:
        raise UsageError(f"{path}: dataset_dict.json lists no splits")
    return path / ("train" if "train" in splits else splits[0])


def _arrow_files(path: Path) -> list[Path]:
    state = path / "state.json"
    if state.exists():
        names = [f["filename"] for f in json.loads(state.read_text()).get("_data_files", [])]
        if names:
            return [path / n for n in names]
    return sorted(path.glob("*.arrow"))


@register_reader("<hf-hub>")
def read_hub_dataset(path: Path) -> Iterator[Item]:
    """Stream a Hub dataset (``owner/name``); needs the ``datasets`` extra and network."""
    try:
        import datasets
    except ImportError as exc:
        raise UsageError(
            f"{path}: no such file (Hub ids need: pip install 'sftprep[datasets]')"
        ) from exc
    name = str(path)
    if not hub_reachable():
        raise UsageError(
            f"{name}: no such file, and the Hugging Face Hub cannot be reached (offline?)"
        )
    try:
        stream = datasets.load_dataset(name, split="train", streaming=True)
        rows = iter(stream)
        first = next(rows, None)
    except Exception as exc:  # offline, unknown id, gated: all mean "cannot read"
        raise UsageError(
            f"{name}: not a local file, and the Hub dataset could not be loaded "
            f"({type(exc).__name__}); are you offline?"
        ) from exc
    if first is None:
        return
    yield RawRecord(first, Location(name, None, 0))
    for i, row in enumerate(rows, 1):
        yield RawRecord(row, Location(name, None, i))


def hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP connect to the Hub, so being offline fails at once, not after retries."""
    import os
    import socket
    from urllib.parse import urlparse

    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout):
            return True
    except OSError:
        return False

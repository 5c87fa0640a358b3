"""Streaming readers (JSONL, JSON, CSV/TSV, Parquet, HF datasets) and atomic writers.

>>> from sftprep.io import read
>>> [type(item).__name__ for item in read("examples/qa_flawed.jsonl")][-2:]
['RawRecord', 'Finding']

`reader_for` gives the `FileReader` of a path, whose ``plan`` cuts the file into shards
for the engine and ``read_shard`` reads one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from sftprep.errors import UsageError
from sftprep.io.base import READERS, FileReader, Item, Plan, RawRecord, Shard
from sftprep.io.text import os_reason

__all__ = ["READERS", "FileReader", "Item", "Plan", "RawRecord", "Shard", "read", "reader_for"]


def read(path: str | Path) -> Iterator[Item]:
    """Stream the records of ``path`` by its extension (or a saved HF dataset directory)."""
    return reader_for(path).read(Path(path))


def reader_for(path: str | Path) -> FileReader:
    """The reader of ``path``: by extension, a saved HF dataset folder, or a Hub id."""
    p = Path(path)
    if p.is_dir():
        if is_saved_dataset(p):
            return READERS.get("<hf-dataset>")
        raise UsageError(
            f"{p} is a directory, not a dataset file (give a file in it, or a folder "
            "written by datasets' save_to_disk)"
        )
    if not p.exists():
        if _looks_like_hub_id(str(path)):
            return READERS.get("<hf-hub>")
        try:
            os.stat(p)
        except FileNotFoundError:
            pass
        except OSError as exc:  # a loop of symbolic links, a name too long
            raise UsageError(f"{p}: cannot read ({os_reason(exc)})") from None
        raise UsageError(f"{p}: no such file")
    if not p.is_file():
        raise UsageError(f"{p}: not a regular file (a pipe or a device); give a dataset file")
    reader = READERS.find(p.suffix.lower())
    if reader is None and p.suffix.lower() in (".yaml", ".yml"):
        raise UsageError(
            f"{p}: a YAML file is a config, not a dataset: pass an aiDAPTIV+ dataset YAML "
            "with --config, a project's env_config.yaml with --aidaptiv-env"
        )
    if reader is None:
        known = ", ".join(sorted(k for k in READERS if k.startswith(".")))
        raise UsageError(f"{p}: unknown extension {p.suffix or '(none)'!r}; known: {known}")
    return reader


def is_saved_dataset(path: Path) -> bool:
    """Whether ``path`` is a folder written by ``datasets``' ``save_to_disk`` (its
    ``state.json``, or a ``dataset_dict.json`` of splits). A ``dataset_info.json`` alone
    is no sign: LLaMA-Factory's data folders and Hub exports have one beside their files."""
    return (path / "state.json").exists() or (path / "dataset_dict.json").exists()


_HUB_ID = re.compile(r"[A-Za-z0-9][\w-]*/[A-Za-z0-9][\w.-]*")


def _looks_like_hub_id(text: str) -> bool:
    """``owner/name`` that is not a missing local file (``data/train.jsonl`` is one)."""
    return (
        _HUB_ID.fullmatch(text) is not None
        and ".." not in text
        and Path(text).suffix.lower() not in READERS
    )

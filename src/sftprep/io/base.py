"""What a reader yields, the shards it cuts a file into, and the registry of readers.

A reader turns a path into a stream of `RawRecord`s (a parsed JSON-like value and
its `Location`) interleaved with `Finding`s for what could not be parsed
(``json-syntax``, ``invalid-utf8``). Readers never hold the whole file in memory
and never raise for bad content; they raise `UsageError` only when the input
cannot be read at all (missing file, directory, binary garbage).

To read a big file on several cores (or machines), a reader also *plans* it: it cuts
the file into `Shard`s that `read_shard` reads independently (JSON Lines into byte
ranges at line ends, a JSON array into runs of elements, CSV into runs of rows,
Parquet into row groups). A shard numbers its records, and its lines unless it knows
where it starts, from its own start; the engine's merge adds what came before, so
every location is the file's. A reader that cannot cut its files reads them as one
shard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.findings import Finding
from sftprep.model import Location
from sftprep.registry import Registry


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One parsed record before any format is applied."""

    value: Any
    location: Location


Item = RawRecord | Finding


@dataclass(frozen=True)
class Shard:
    """A piece of one file that can be read on its own.

    ``start``/``end`` are the reader's own coordinates (byte offsets, row groups,
    Arrow files); ``first_record``/``first_line`` are set when the planner knows
    where the shard starts in the file, else the merge counts them. ``size`` (bytes)
    drives the progress bar; ``extra`` carries what the reader needs besides (a CSV
    header, the offsets of a JSON array's elements).
    """

    path: str
    reader: str
    index: int = 0
    start: int = 0
    end: int | None = None
    size: int = 0
    first_record: int | None = None
    first_line: int | None = None
    extra: Any = None

    def describe(self) -> str:
        """Where the shard is, for an error message: ``data.jsonl bytes 0-4,194,304``."""
        if self.end is None and self.start == 0:
            return self.path
        unit = "bytes" if self.reader in BYTE_RANGES else "part"
        end = "end" if self.end is None else f"{self.end:,}"
        return f"{self.path} {unit} {self.start:,}-{end}"


BYTE_RANGES = frozenset({".jsonl", ".ndjson", ".json", ".csv", ".tsv"})


@dataclass
class Plan:
    """A file cut into shards, and what planning found about the file as a whole."""

    shards: list[Shard]
    findings: list[Finding] = field(default_factory=list)


class FileReader:
    """A reader for some file types (see the module docstring).

    `read` streams a whole file; `plan` cuts it into shards that `read_shard` reads
    one at a time. The defaults read a file as one shard.
    """

    key = ""

    def read(self, path: Path) -> Iterator[Item]:
        raise NotImplementedError

    def plan(self, path: Path, shard_bytes: int) -> Plan:
        size = path.stat().st_size if path.is_file() else 0
        return Plan([Shard(str(path), self.key, size=size)])

    def read_shard(self, shard: Shard) -> Iterator[Item]:
        return self.read(Path(shard.path))


class _FunctionReader(FileReader):
    """A reader given as one function: whole files, one shard each."""

    def __init__(self, key: str, function: Callable[[Path], Iterator[Item]]) -> None:
        self.key = key
        self._function = function

    def read(self, path: Path) -> Iterator[Item]:
        return self._function(path)


# Every module of sftprep.io that defines a reader registers it under its extensions.
READERS: Registry[FileReader] = Registry("reader", builtins=("sftprep.io",))

ReaderSpec = Callable[[Path], Iterator[Item]] | type[FileReader]


def register_reader(*keys: str) -> Callable[[Any], Any]:
    """Decorator registering a reader for file extensions (``.jsonl``) or ``<names>``:
    a function reading a whole file, or a `FileReader` subclass that can plan shards."""

    def wrap(spec: Any) -> Any:
        for key in keys:
            if isinstance(spec, type) and issubclass(spec, FileReader):
                reader = spec()
                reader.key = key
            else:
                reader = _FunctionReader(key, spec)
            READERS.add(key, reader)
        return spec

    return wrap

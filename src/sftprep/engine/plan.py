"""From what the user named to shards: files, their formats, their pieces.

A dataset is one path, several, a directory of shard files or a glob; each file is
one `InputFile` with its own format (given, or detected from its first records) and
its shards (see `sftprep.io.base.Shard`). An aiDAPTIV+ config names its files and
the adapter of each. Planning reads little: the first records of each file for
detection, and what the reader needs to cut the file (one scan for JSON arrays and
CSV, nothing for JSON Lines, metadata for Parquet).
"""

from __future__ import annotations

import functools
import glob
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sftprep.catalog import make_finding
from sftprep.errors import UsageError
from sftprep.findings import Finding
from sftprep.formats.aliases import KeyMap
from sftprep.formats.base import Format, get_format
from sftprep.io import READERS, RawRecord, Shard, reader_for
from sftprep.io.base import FileReader
from sftprep.model import Location
from sftprep.pipeline import DETECTION_SAMPLE

SHARD_BYTES = 4 << 20  # about 4 MB of data per shard: enough work to be worth a task
PathLike = str | Path


@dataclass
class InputFile:
    """One file of the dataset: how to read it and the shards it is cut into."""

    path: str
    format: Format
    detection: str
    detected: bool
    shards: list[Shard] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # found while planning
    readable: bool = True  # False: one file of several that could not be read at all
    key_map: KeyMap = field(default_factory=KeyMap)  # --map: keys read under other names

    @property
    def size(self) -> int:
        return sum(s.size for s in self.shards)


# Files of a dataset folder that describe it (Hub exports, LLaMA-Factory data folders):
# not records.
SIDECARS = frozenset({"dataset_info.json", "dataset_dict.json", "state.json", "dataset_infos.json"})


def _data_file(path: Path, folder: Path) -> bool:
    """A dataset file of ``folder``: a known extension, not a sidecar, not hidden."""
    return (
        path.is_file()
        and path.suffix.lower() in READERS
        and path.name not in SIDECARS
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def expand(paths: Iterable[PathLike]) -> list[str]:
    """The files ``paths`` name: files as given, the dataset files of a directory (sorted,
    recursively; a saved Hugging Face dataset folder is one input), glob patterns."""
    from sftprep.io import is_saved_dataset
    from sftprep.io.write import unfinished_set

    out: list[str] = []
    for given in paths:
        text = str(given)
        path = Path(text)
        if path.is_dir() and not is_saved_dataset(path):
            found = sorted(str(p) for p in path.rglob("*") if _data_file(p, path))
            if not found:
                raise UsageError(f"{path}: a directory without dataset files")
            out.extend(found)
        elif not path.exists() and glob.has_magic(text):
            matches = sorted(p for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matches:
                raise UsageError(f"{text}: no file matches this pattern")
            out.extend(matches)
        else:
            out.append(text)
    for folder in dict.fromkeys(Path(p).parent for p in out):
        why = unfinished_set(folder)
        if why is not None:
            raise UsageError(why)
    return out


def plan_file(
    path: PathLike,
    *,
    format: str | Format | None = None,
    shard_bytes: int = SHARD_BYTES,
    key_map: KeyMap | None = None,
) -> InputFile:
    """The format and the shards of one file (``key_map`` renames keys before detection)."""
    key_map = key_map or KeyMap()
    reader = reader_for(path)
    name = str(path)
    if isinstance(format, Format):
        fmt, detection, detected = format, f"format {format.name} (given)", False
    elif format is not None:
        fmt, detection, detected = get_format(format), f"format {format} (given)", False
    else:
        try:
            fmt, detection = _detect(reader, Path(name), key_map)
        except UsageError as exc:  # the message names the file, as the reader's own do
            message = str(exc)
            raise UsageError(message if name in message else f"{name}: {message}") from None
        detected = True
    plan = reader.plan(Path(name), shard_bytes)
    return InputFile(name, fmt, detection, detected, plan.shards, plan.findings, key_map=key_map)


def _detect(reader: FileReader, path: Path, key_map: KeyMap) -> tuple[Format, str]:
    from sftprep.formats.detect import detect

    head = itertools.islice(reader.read(path), DETECTION_SAMPLE)
    values = [key_map.apply(item.value)[0] for item in head if isinstance(item, RawRecord)]
    detection = detect(values)
    return get_format(detection.format), detection.explain()


def _plan_or_report(plan: Callable[[str], InputFile], path: str) -> InputFile:
    """``plan(path)``, or a file without shards holding an `unreadable-file` finding."""
    try:
        return plan(path)
    except UsageError as exc:
        reason = str(exc).replace(f"{path}: ", "", 1)
        finding = make_finding("unreadable-file", reason, Location(path))
        return InputFile(path, get_format("messages"), reason, False, [], [finding], False)


def plan_inputs(
    paths: PathLike | Iterable[PathLike] | None,
    *,
    format: str | None = None,
    config: PathLike | Sequence[PathLike] | None = None,
    config_findings: list[Finding] | None = None,
    shard_bytes: int = SHARD_BYTES,
    keep_going: bool = False,
    key_map: KeyMap | None = None,
) -> list[InputFile]:
    """Every file of the dataset, planned; with ``config``, the files its entries name
    (or ``paths`` read with each entry's adapter). With ``keep_going``, one file of
    several that cannot be read is an `unreadable-file` finding instead of an error."""
    given = [] if paths is None else [paths] if isinstance(paths, (str, Path)) else list(paths)
    if config is None:
        if not given:
            raise UsageError("give a dataset path or --config FILE.yaml")
        paths_ = expand(given)
        plan = functools.partial(plan_file, format=format, shard_bytes=shard_bytes, key_map=key_map)
        if keep_going and len(paths_) > 1:
            plan = functools.partial(_plan_or_report, plan)
        return [plan(p) for p in paths_]
    from sftprep.formats.aidaptiv import load_config

    entries = []
    configs = [config] if isinstance(config, (str, Path)) else list(config)
    for one in configs:  # an aiDAPTIV+ project lists several dataset YAMLs
        found, findings = load_config(one)
        entries.extend(found)
        if config_findings is not None:
            config_findings.extend(findings)
    files: list[InputFile] = []
    for entry in entries:
        for path in expand(given) if given else [str(entry.data_path)]:
            files.append(
                plan_file(path, format=entry.format(), shard_bytes=shard_bytes, key_map=key_map)
            )
    return files

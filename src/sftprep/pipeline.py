"""The streaming pipeline: read -> detect format -> normalise -> (validate).

`iter_samples` is the one loop everything else (check, stats, convert, fix)
builds on. It never holds more than the detection sample in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.catalog import make_finding
from sftprep.findings import Finding
from sftprep.formats.base import Format, get_format
from sftprep.io import RawRecord, read
from sftprep.model import Conversation, Location

DETECTION_SAMPLE = 200


@dataclass
class Sample:
    """One record on its way through the pipeline."""

    raw: Any
    location: Location
    conversation: Conversation | None
    findings: list[Finding] = field(default_factory=list)
    format: str = ""  # the adapter that read it, when not the source's (`mixed-format`)
    adapter: Format | None = None
    # The file's format, when the record is written in another one (`mixed-format`).
    file_format: Format | None = None


@dataclass
class Source:
    """An opened input: its format (detected or given) and the stream of items."""

    path: str
    format: Format
    detection: str
    items: Iterator[RawRecord | Finding]
    detected: bool = False  # format chosen by detection: odd records may use their own


def open_source(path: str | Path, *, format: str | Format | None = None) -> Source:
    """Open ``path`` and decide its format, by name or by scoring a sample of records."""
    from sftprep.formats.detect import detect

    items = read(path)
    if isinstance(format, Format):
        return Source(str(path), format, f"format {format.name} (given)", items)
    if format is not None:
        return Source(str(path), get_format(format), f"format {format} (given)", items)
    head = list(itertools.islice(items, DETECTION_SAMPLE))
    values = [item.value for item in head if isinstance(item, RawRecord)]
    detection = detect(values)
    return Source(
        str(path),
        get_format(detection.format),
        detection.explain(),
        itertools.chain(head, items),
        detected=True,
    )


def iter_samples(source: Source) -> Iterator[Sample | Finding]:
    """Normalise every record of ``source``; reader findings pass through unchanged."""
    for item in source.items:
        if isinstance(item, Finding):
            yield item
        else:
            yield sample_of(item, source.format, detected=source.detected)


def sample_of(item: RawRecord, fmt: Format, *, detected: bool) -> Sample:
    """One record read by ``fmt`` (or, when the format was detected, by the format the
    record is written in: `mixed-format`), with its shape findings and conversation."""
    adapter = fmt
    findings: list[Finding] = []
    if detected:
        adapter, findings = _record_format(fmt, item.value, item.location)
    findings.extend(adapter.validate(item.value, item.location))
    conversation = None
    if isinstance(item.value, Mapping):
        conversation = adapter.to_conversation(item.value, item.location)
    mixed = fmt if adapter is not fmt else None
    return Sample(item.value, item.location, conversation, findings, adapter.name, adapter, mixed)


def _record_format(fmt: Format, value: Any, location: Location) -> tuple[Format, list[Finding]]:
    """The detected format, or the one a record that does not fit it is written in.

    A record missing the detected format's keys but holding all of another format's
    is read in its own format, with one `mixed-format` finding, so that its text is
    still checked instead of drowning in missing keys.
    """
    other = record_format(fmt, value)
    if other is fmt:
        return fmt, []
    # the key that tells the formats apart (Dolly's `context` among Alpaca rows)
    keys = [k for k in value if k in other.known_keys and k not in fmt.known_keys]
    key = keys[0] if keys else next(iter(value), None)
    finding = make_finding(
        "mixed-format",
        f"record is in the {other.name} format, but the file was detected as {fmt.name}",
        location,
        field=key,
    )
    return other, [finding]


# How much better another format must read a record that has the file format's keys
# to be its format: a Dolly row among Alpaca rows (Alpaca reads `response` through an
# alias, but would leave `context` unread), not an Alpaca row without `input`.
SWITCH = 0.05
_CACHED_KEY_SETS = 1024


def record_format(fmt: Format, value: Any) -> Format:
    """The adapter to read one record of a file detected as ``fmt``: ``fmt`` itself, or
    the format the record is written in (what `mixed-format` reports): one whose keys
    it has all of while it lacks ``fmt``'s, or one reading it clearly better.

    The choice depends on the record's keys only, so it is made once per key set.
    """
    if not isinstance(value, Mapping):
        return fmt
    if value.keys() <= fmt.known_keys and fmt.fits(value):
        return fmt  # the common case: nothing the file's format does not know
    keys = frozenset(value)
    cache: dict[frozenset[Any], Format] = fmt.__dict__.setdefault("_record_formats", {})
    found = cache.get(keys)
    if found is None:
        found = _other_format(dict.fromkeys(keys), fmt) or fmt
        if len(cache) < _CACHED_KEY_SETS:
            cache[keys] = found
    return found


def _other_format(probe: Mapping[str, Any], fmt: Format) -> Format | None:
    """The best-scoring other format that fits ``probe`` (a record's keys), or None.

    A format whose keys present are all also ``fmt``'s is no other format: the record
    is one of ``fmt`` missing keys (a prompt without its completion is not
    "prompt-only" data), which `missing-key` reports. When ``fmt`` fits too, the other
    must read the record better by `SWITCH`.
    """
    from sftprep.formats.base import FORMATS

    floor = fmt.matches(probe) + SWITCH if fmt.fits(probe) else float("-inf")
    best: tuple[float, int, str] | None = None
    for name in FORMATS:
        if name == fmt.name:
            continue
        other = get_format(name)
        if not (other.known_keys & probe.keys()) - fmt.known_keys or not other.fits(probe):
            continue
        rank = (other.matches(probe), len(other.known_keys & probe.keys()), name)
        if rank[0] >= floor and (best is None or rank[:2] > best[:2]):
            best = rank
    return None if best is None else get_format(best[2])


def load(
    path: str | Path, *, format: str | None = None, config: str | Path | None = None
) -> Iterator[Conversation]:
    """Yield the conversations of a dataset file, each with its location.

    >>> convs = list(load("examples/qa_dataset.jsonl"))
    >>> len(convs), convs[1].location
    (12, Location(path='examples/qa_dataset.jsonl', line=2, record=1))
    """
    for source in open_sources(path, format=format, config=config):
        for sample in iter_samples(source):
            if isinstance(sample, Sample) and sample.conversation is not None:
                yield sample.conversation


def open_sources(
    path: str | Path | None,
    *,
    format: str | None = None,
    config: str | Path | None = None,
    config_findings: list[Finding] | None = None,
) -> Iterator[Source]:
    """One `Source` per input: ``path`` alone, or each entry of an aiDAPTIV+ config."""
    if config is None:
        if path is None:
            from sftprep.errors import UsageError

            raise UsageError("give a dataset path or --config FILE.yaml")
        yield open_source(path, format=format)
        return
    from sftprep.formats.aidaptiv import load_config

    entries, findings = load_config(config)
    if config_findings is not None:
        config_findings.extend(findings)
    for entry in entries:
        data_path = path if path is not None else entry.data_path
        yield open_source(data_path, format=entry.format())

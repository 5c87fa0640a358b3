"""Findings (one problem at one place) and the Report that collects them.

>>> f = Finding("empty-text", Severity.ERROR, "cot_answer is empty",
...             Location("qa.jsonl", 3, 2), field="cot_answer")
>>> f.to_dict()["line"]
3
"""

from __future__ import annotations

import io
import itertools
import json
import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import IO, Any

from sftprep.model import Location
from sftprep.views import show


class Severity(str, Enum):
    """How bad a finding is; `rank` orders them for ``--fail-on``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which rule, how bad, where (file, line, record, field), what to do."""

    rule: str
    severity: Severity
    message: str
    location: Location
    field: str | None = None
    hint: str = ""
    excerpt: str = ""

    def to_dict(self) -> dict[str, Any]:
        # lone surrogates (legal in JSON input, not in UTF-8 output) shown as \\ud800
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.location.path,
            "line": self.location.line,
            "record": self.location.record,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
            "excerpt": printable(self.excerpt),
        }


# Findings kept as objects before the rest spill to disk: about 1 KB each, so a
# finding on every record of a multi-GB file would not fit the memory a check may use.
IN_MEMORY_FINDINGS = 20_000
_SPILL_BATCH = 5_000

_Row = tuple[str, str, str, str, "int | None", "int | None", "str | None", str, str]


def _to_row(f: Finding) -> _Row:
    loc = f.location
    return (
        f.rule,
        f.severity.value,
        f.message,
        loc.path,
        loc.line,
        loc.record,
        f.field,
        f.hint,
        f.excerpt,
    )


def _from_row(row: _Row) -> Finding:
    rule, severity, message, path, line, record, field_, hint, excerpt = row
    location = Location(path, line, record)
    return Finding(rule, Severity(severity), message, location, field_, hint, excerpt)


class FindingStore:
    """All findings of a run in order, with exact counts; bounded memory.

    The first ``keep`` findings stay in memory; later ones are pickled in batches to
    an anonymous temporary file and read back when iterated. Counts by severity and
    rule are kept as findings arrive, so summaries never re-read the spill.

    >>> store = FindingStore([Finding("r", Severity.INFO, "m", Location("f", 1, 0))])
    >>> len(store), store.by_severity["info"]
    (1, 1)
    """

    def __init__(self, findings: Iterable[Finding] = (), *, keep: int = IN_MEMORY_FINDINGS):
        self._keep = keep
        self._head: list[Finding] = []  # findings put in front (a config's, known late)
        self._memory: list[Finding] = []
        self._pending: list[_Row] = []
        self._spill: IO[bytes] | None = None
        self._spilled = 0
        self.by_severity: Counter[str] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.rule_severities: dict[str, set[Severity]] = {}
        self.extend(findings)

    def append(self, finding: Finding) -> None:
        self._count(finding)
        if len(self._memory) < self._keep:
            self._memory.append(finding)
            return
        self._pending.append(_to_row(finding))
        if len(self._pending) >= _SPILL_BATCH:
            self._flush()

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.append(finding)

    def prepend(self, findings: Iterable[Finding]) -> None:
        """Put findings before all others (kept in memory: there are few)."""
        new = list(findings)
        for finding in new:
            self._count(finding)
        self._head[:0] = new

    def __len__(self) -> int:
        return len(self._head) + len(self._memory) + self._spilled + len(self._pending)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Finding]:
        yield from self._head
        yield from self._memory
        if self._spill is not None:
            yield from self._read_spill()
        yield from (_from_row(row) for row in self._pending)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return list(itertools.islice(self, start, stop))
            return list(self)[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("finding index out of range")
        return next(itertools.islice(self, index, None))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FindingStore | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FindingStore({len(self)} findings, {self._spilled} on disk)"

    def _count(self, finding: Finding) -> None:
        self.by_severity[finding.severity.value] += 1
        self.by_rule[finding.rule] += 1
        self.rule_severities.setdefault(finding.rule, set()).add(finding.severity)

    def _flush(self) -> None:
        if self._spill is None:
            # deleted on close or exit, whatever happens: not a file to manage with `with`
            self._spill = tempfile.TemporaryFile(prefix="sftprep-findings-")  # noqa: SIM115
        self._spill.seek(0, 2)
        pickle.dump(self._pending, self._spill, protocol=pickle.HIGHEST_PROTOCOL)
        self._spilled += len(self._pending)
        self._pending = []

    def _read_spill(self) -> Iterator[Finding]:
        spill = self._spill
        assert spill is not None
        # Our own position, so that a flush while iterating (it seeks to the end) is harmless.
        position, read = 0, 0
        while read < self._spilled:
            spill.seek(position)
            batch: list[_Row] = pickle.load(spill)
            position = spill.tell()
            read += len(batch)
            yield from (_from_row(row) for row in batch)


@dataclass(slots=True)
class FileSummary:
    """Per-file totals: detected format, records read, records with no error."""

    path: str
    format: str
    records: int = 0
    valid_records: int = 0
    detection: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "records": self.records,
            "valid_records": self.valid_records,
        }


@dataclass
class Report:
    """All findings of a check run plus per-file summaries.

    ``findings`` is a `FindingStore` (a list given here is wrapped in one): it iterates
    in order and keeps counts, so ``summary`` and ``worst`` are exact without holding
    every finding in memory. ``to_json`` gives the documented schema; ``write_json``
    streams it.
    """

    files: list[FileSummary] = field(default_factory=list)
    findings: FindingStore = field(default_factory=FindingStore)
    # the largest near-duplicate clusters (number, size, first members' texts), when any
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.findings, FindingStore):
            self.findings = FindingStore(self.findings)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def summary(self) -> dict[str, Any]:
        by_severity = self.findings.by_severity
        by_rule = self.findings.by_rule
        return {
            "records": sum(f.records for f in self.files),
            "errors": by_severity.get("error", 0),
            "warnings": by_severity.get("warning", 0),
            "infos": by_severity.get("info", 0),
            "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        }

    def worst(self) -> Severity | None:
        """The most severe level present, or None when there is no finding."""
        present = [Severity(s) for s, n in self.findings.by_severity.items() if n]
        return max(present, key=lambda s: s.rank, default=None)

    def by_rule(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "files": [f.to_dict() for f in self.files],
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.near_duplicates:
            out["near_duplicate_clusters"] = self.near_duplicates
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        if indent is not None:
            return _json(self.to_dict(), indent=indent)
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_json(self, out: IO[str]) -> None:
        """Write ``to_json()``'s document one finding at a time (memory stays flat)."""
        files = [f.to_dict() for f in self.files]
        head = _json({"files": files, "summary": self.summary})
        out.write(head[:-1] + ', "findings": [')
        for i, finding in enumerate(self.findings):
            out.write((", " if i else "") + _json(finding.to_dict()))
        out.write("]")
        if self.near_duplicates:
            out.write(f', "near_duplicate_clusters": {_json(self.near_duplicates)}')
        out.write("}")

    def _repr_html_(self) -> str:
        """A compact HTML table for Jupyter (`sftprep.report.display.report_html`)."""
        return str(show("html", self))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with lone surrogates (legal as ``"\\ud800"`` in JSON, not in UTF-8) shown
    as ``\\ud800``, so it can be printed or written as UTF-8."""
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _json(value: Any, *, indent: int | None = None) -> str:
    """JSON text that any UTF-8 stream takes: a lone surrogate from the data (a legal
    ``\\ud800`` escape in JSON, not encodable as UTF-8) stays escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    if text.isascii() or not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return json.dumps(value, indent=indent, default=str)

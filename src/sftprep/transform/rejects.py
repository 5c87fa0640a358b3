"""Rejected records are first-class: kept unchanged, with where they came from and why.

Each reject is ``{"record": <raw>, "path", "line", "index", "rules": [...],
"reasons": [...]}`` (and ``"cluster"`` for a near-duplicate). A record that could
not even be parsed (``json-syntax``) is kept as its raw line of text. Rejects are
spooled to a temporary file while the output streams, then written through the same
atomic writers as the output, so memory stays flat however many records are rejected.

>>> rejects = Rejects()
>>> rejects.add({"question": ""}, Location("qa.jsonl", 3, 2), ["empty-text"], ["empty"])
>>> rejects.count, dict(rejects.by_rule)
(1, {'empty-text': 1})
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from sftprep.findings import Finding, Severity
from sftprep.model import Location

# Reader findings that stand for a record that was lost (not a remark about the file).
# `invalid-utf8` is not one: the reader still yields that line, decoded with U+FFFD.
LOST_RECORD_RULES = frozenset({"json-syntax"})


class Rejects:
    """A spool of rejected records; `write` puts them in a file (any supported extension)."""

    def __init__(self) -> None:
        # Closed by `close` (or the context manager): the spool outlives any one call.
        # surrogatepass: a lone surrogate in a record (legal JSON escape) comes back as read.
        self._spool: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115
            mode="w+", encoding="utf-8", errors="surrogatepass"
        )
        self.count = 0
        self.by_rule: Counter[str] = Counter()

    def add(
        self,
        record: Any,
        location: Location,
        rules: Sequence[str],
        reasons: Sequence[str],
        *,
        cluster: int | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "record": record,
            "path": location.path,
            "line": location.line,
            "index": location.record,
            "rules": list(dict.fromkeys(rules)),
            "reasons": list(reasons),
        }
        if cluster is not None:  # a near-duplicate: the cluster it was dropped from
            entry["cluster"] = cluster
        try:
            line = json.dumps(entry, ensure_ascii=False, default=str)
        except RecursionError:  # nested close to a thousand levels: kept as its JSON text,
            from sftprep.io.text import deep_dumps  # as a line that did not parse is

            entry["record"] = deep_dumps(record, ensure_ascii=False)
            line = json.dumps(entry, ensure_ascii=False, default=str)
        self._spool.write(line + "\n")
        self.count += 1
        # A record counts once under its first rule, so the counts add up to `count`.
        self.by_rule[rules[0] if rules else "rejected"] += 1

    def add_findings(self, record: Any, location: Location, findings: Sequence[Finding]) -> None:
        self.add(record, location, [f.rule for f in findings], [reason_of(f) for f in findings])

    def records(self) -> Iterator[dict[str, Any]]:
        self._spool.flush()
        self._spool.seek(0)
        for line in self._spool:
            yield json.loads(line)

    def write(self, path: str | Path, outputs: Any = None) -> None:
        """Write the rejects to ``path`` (renamed by ``outputs.commit()`` when given)."""
        from sftprep.io.write import write_records

        write_records(path, self.records(), flag="--rejects", outputs=outputs)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> Rejects:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reason_of(finding: Finding) -> str:
    """A finding as the reason a reject carries: ``field: message``."""
    where = f"{finding.field}: " if finding.field else ""
    return f"{where}{finding.message}"


def errors(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


class RawLines:
    """The raw text of lines by number, reading forward once (for records that did not parse).

    Line numbers must not decrease between calls, as a reader reports them. Only line
    oriented files (JSONL) have one record per line; for others `text` returns None.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh: IO[str] | None = None
        self._line = 0
        self._enabled = self.path.suffix.lower() in (".jsonl", ".ndjson")

    def text(self, line: int | None) -> str | None:
        if not self._enabled or line is None:
            return None
        if self._fh is None or line <= self._line:
            self.close()
            # Same decoding and newline handling as the JSONL reader, so numbers agree.
            self._fh = self.path.open(encoding="utf-8-sig", errors="replace")
            self._line = 0
        for text in self._fh:
            self._line += 1
            if self._line == line:
                return text.rstrip("\r\n")
        return None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def with_raw_lines(merged_shards: Iterable[Any]) -> Iterator[tuple[Any, RawLines]]:
    """Each merged shard of the engine with the `RawLines` of its file, one file open at
    a time (shards come in file order)."""
    lines: RawLines | None = None
    try:
        for merged in merged_shards:
            path = merged.file.file.path
            if lines is None or str(lines.path) != path:
                if lines is not None:
                    lines.close()
                lines = RawLines(path)
            yield merged, lines
    finally:
        if lines is not None:
            lines.close()

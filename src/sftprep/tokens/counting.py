"""Token counts as data: one record's `RecordCount`, a dataset's `TokenStats`.

`TokenStats` is built by merging shard tallies in file order (`add_tally`); the
engine-driven API that fills it is `sftprep.count` (``count_tokens``).

>>> stats = TokenStats("data.jsonl", {"name": "cl100k_base"})
>>> stats.records, stats.tokens()
(0, {'total': 0, 'prompt': 0, 'trainable': 0})
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sftprep.model import Location
from sftprep.stats import Distribution, StatsByKey
from sftprep.tokens.base import BaseTokenizer
from sftprep.tokens.media import MediaStats
from sftprep.tokens.tally import TokenTally
from sftprep.views import show

OUTLIERS_SHOWN = 10
ERRORS_SHOWN = 5

TokenizerSpec = str | BaseTokenizer | None


@dataclass(frozen=True, slots=True)
class RecordCount:
    """Token counts of one record: where it is, total, trainable, prompt, turns, per field."""

    record: int
    line: int | None
    total: int
    trainable: int
    turns: int = 0
    fields: Mapping[str, int] = field(default_factory=dict)
    path: str = ""

    @property
    def prompt(self) -> int:
        return self.total - self.trainable

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "record": self.record,
            "line": self.line,
            "total": self.total,
            "prompt": self.prompt,
            "trainable": self.trainable,
            "fields": dict(self.fields),
        }


@dataclass
class TokenStats:
    """Token statistics of a dataset under one tokenizer; ``to_dict()`` is the JSON document.

    ``path`` names the dataset (a file, a folder of shard files); ``sources`` its files,
    and ``source`` the file of each counted record.
    """

    path: str
    tokenizer: dict[str, Any]
    max_tokens: int | None = None
    format: str = ""
    total: Distribution = field(default_factory=Distribution)
    trainable: Distribution = field(default_factory=Distribution)
    turns: Distribution = field(default_factory=Distribution)
    record: array[int] = field(default_factory=lambda: array("i"))
    line: array[int] = field(default_factory=lambda: array("i"))
    fields: StatsByKey = field(default_factory=StatsByKey)
    lost_tokens: int = 0  # trainable tokens truncation to max_tokens drops
    left_nothing: int = 0  # records over max_tokens left without trainable tokens
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    source: array[int] = field(default_factory=lambda: array("i"))
    media: MediaStats | None = None  # None until a counted record has media

    @property
    def records(self) -> int:
        """Records counted (records that could not be read or rendered are in ``skipped``)."""
        return len(self.total)

    def problems(self) -> list[str]:
        """What makes these numbers useless for training, said before any of them."""
        if self.records and self.trainable.total == 0:
            return [
                f"no trainable tokens in {self.records:,} records: training on this data "
                "would learn nothing (no assistant answers? RL prompt data? roles the "
                "template does not know?)"
            ]
        return []

    def tokens(self) -> dict[str, int]:
        total, trainable = self.total.total, self.trainable.total
        return {"total": total, "prompt": total - trainable, "trainable": trainable}

    def over_limit(self) -> dict[str, Any] | None:
        """Records longer than ``max_tokens`` and the trainable tokens truncation drops."""
        if self.max_tokens is None:
            return None
        return {
            "max_tokens": self.max_tokens,
            "records": self.total.count_above(self.max_tokens),
            "trainable_tokens_lost": self.lost_tokens,
            "records_without_trainable": self.left_nothing,
        }

    def outliers(self, limit: int = OUTLIERS_SHOWN) -> list[dict[str, Any]]:
        """Records far beyond the rest (total above Q3 + 3 IQR), largest first."""
        rows, _ = self.total.outliers(limit)
        return [self._row(i) for i in rows]

    def outlier_count(self) -> int:
        return self.total.outliers(0)[1]

    def _row(self, i: int) -> dict[str, Any]:
        line = self.line[i] or None
        path = self.sources[self.source[i]] if self.sources else self.path
        return {
            "path": path,
            "record": self.record[i],
            "line": line,
            "location": f"{path}:{line}" if line else path,
            "total": self.total.values[i],
            "trainable": self.trainable.values[i],
        }

    def field_stats(self) -> dict[str, dict[str, Any]]:
        out = {}
        for key in self.fields:
            s = self.fields[key]
            out[key] = {
                "records": s.count,
                "total": s.total,
                "mean": round(s.mean, 2),
                "min": s.min,
                "max": s.max,
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "format": self.format,
            "tokenizer": dict(self.tokenizer),
            "records": self.records,
            "problems": self.problems(),
            "skipped": dict(self.skipped),
            "tokens": self.tokens(),
            "turns": self.turns.summary(),
            "distribution": {
                "total": self.total.summary(),
                "trainable": self.trainable.summary(),
            },
            "fields": self.field_stats(),
            "over_limit": self.over_limit(),
            "outliers": self.outliers(),
            "outlier_count": self.outlier_count(),
            "errors": list(self.errors),
            **({"media": media} if (media := self.media_dict()) else {}),
        }

    def media_dict(self) -> dict[str, Any] | None:
        """The ``media`` section: images, videos, audio and image tokens, beside the text
        tokens (which count a ``<image>`` placeholder as the text it is)."""
        return self.media.to_dict() if self.media is not None else None

    def compare(self, other: TokenStats) -> dict[str, Any]:
        """Side by side with another tokenizer's stats of the same file, with per-record
        differences (``other - self``) over the records both counted."""
        ours = {record: i for i, record in enumerate(self.record)}
        diff = Distribution()
        pairs: list[tuple[int, int, int]] = []  # (difference, our row, their row)
        for j, record in enumerate(other.record):
            i = ours.get(record)
            if i is not None:
                d = other.total.values[j] - self.total.values[i]
                diff.add(d)
                pairs.append((d, i, j))
        pairs.sort(key=lambda p: (-abs(p[0]), p[2]))
        a, b = self.tokens(), other.tokens()
        return {
            "tokenizers": [self.tokenizer.get("name"), other.tokenizer.get("name")],
            "tokenizer": dict(other.tokenizer),
            "records": other.records,
            "tokens": b,
            "ratio": round(b["total"] / a["total"], 4) if a["total"] else None,
            "distribution": {
                "total": other.total.summary(),
                "trainable": other.trainable.summary(),
            },
            "difference": diff.summary(),
            "largest_differences": [
                {**other._row(j), "first": self.total.values[i], "difference": d}
                for d, i, j in pairs[:OUTLIERS_SHOWN]
            ],
            "over_limit": other.over_limit(),
        }

    def add_tally(self, tally: TokenTally, index: int, path: str, shift: Any) -> None:
        """Merge a shard's tally (``index`` picks this tokenizer's numbers); ``shift`` (a
        `sftprep.rules.base.Shift`) turns the shard's record and line numbers into the
        file's, ``path``."""
        if not self.sources or self.sources[-1] != path:
            self.sources.append(path)
        source = len(self.sources) - 1
        counted = tally.counted[index]
        self.total.extend(counted.total)
        self.trainable.extend(counted.trainable)
        self.turns.extend(tally.turns)
        self.record.extend(shift.records + r for r in tally.record)
        self.line.extend(shift.lines + n if n else 0 for n in tally.line)
        self.source.extend([source] * len(tally.record))
        if len(counted.fields):
            self.fields = self.fields + counted.fields
        self.lost_tokens += counted.lost_tokens
        self.left_nothing += counted.left_nothing
        if tally.media is not None and self.media is None:
            self.media = MediaStats()
            self.media.pad(len(self.total) - len(tally.record))
        if tally.media is not None and self.media is not None:
            self.media.add_tally(tally.media)
        elif self.media is not None:
            self.media.pad(len(tally.record))
        for kind, n in tally.error_count.items():
            self.skipped[kind] = self.skipped.get(kind, 0) + n
        for record, line, kind, message in tally.errors:
            if len(self.errors) < ERRORS_SHOWN:
                where = shift(Location(path, line or None, record))
                self.errors.append(
                    {
                        "path": path,
                        "record": where.record,
                        "line": where.line,
                        "kind": kind,
                        "message": message,
                    }
                )

    def _repr_html_(self) -> str:
        return str(show("html", self))

    def __repr__(self) -> str:
        t = self.tokens()
        return (
            f"TokenStats({self.path!r}, tokenizer={self.tokenizer.get('name')!r}, "
            f"records={self.records}, total={t['total']}, trainable={t['trainable']})"
        )

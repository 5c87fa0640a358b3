"""The token-counting API: per-record counts (`count_records`) and whole-file `TokenStats`.

>>> stats = count_tokens("data.jsonl")  # doctest: +SKIP
>>> stats.to_dict()["tokens"]  # doctest: +SKIP
{'total': 1843, 'prompt': 1201, 'trainable': 642}
>>> for rc in count_records("data.jsonl", tokenizer="../tokenizers/qwen2.5"):  # doctest: +SKIP
...     print(rc.record, rc.line, rc.total, rc.trainable)
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.stats import Distribution, StatsByKey
from sftprep.tokens.base import Tokenizer, get_tokenizer
from sftprep.tokens.engine import Chunk, count_chunks

OUTLIERS_SHOWN = 10
ERRORS_SHOWN = 5

TokenizerSpec = str | Tokenizer | None


@dataclass(frozen=True, slots=True)
class RecordCount:
    """Token counts of one record: where it is, total, trainable, prompt, turns, per field."""

    record: int
    line: int | None
    total: int
    trainable: int
    turns: int = 0
    fields: Mapping[str, int] = field(default_factory=dict)

    @property
    def prompt(self) -> int:
        return self.total - self.trainable

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "line": self.line,
            "total": self.total,
            "prompt": self.prompt,
            "trainable": self.trainable,
            "fields": dict(self.fields),
        }


@dataclass
class TokenStats:
    """Token statistics of one file under one tokenizer; ``to_dict()`` is the JSON document."""

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
        return {
            "record": self.record[i],
            "line": line,
            "location": f"{self.path}:{line}" if line else self.path,
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
        }

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

    def add_chunk(self, chunk: Chunk, index: int, first_record: int, first_line: int) -> None:
        """Merge a worker's chunk (``index`` picks this tokenizer's numbers); the chunk's
        record and line numbers are relative to ``first_record``/``first_line``."""
        counted = chunk.counted[index]
        self.total.extend(counted.total)
        self.trainable.extend(counted.trainable)
        self.turns.extend(chunk.turns)
        self.record.extend(first_record + r for r in chunk.record)
        self.line.extend(first_line + n for n in chunk.line)
        if len(counted.fields):
            self.fields = self.fields + counted.fields
        self.lost_tokens += counted.lost_tokens
        self.left_nothing += counted.left_nothing
        for kind, n in chunk.error_count.items():
            self.skipped[kind] = self.skipped.get(kind, 0) + n
        for record, line, kind, message in chunk.errors:
            if len(self.errors) < ERRORS_SHOWN:
                self.errors.append(
                    {
                        "record": first_record + record,
                        "line": first_line + line or None,
                        "kind": kind,
                        "message": message,
                    }
                )

    def _repr_html_(self) -> str:
        try:
            from sftprep.report.display import token_stats_html
        except ImportError:  # the report package is optional here
            from html import escape

            return f"<pre>{escape(str(self.to_dict()))}</pre>"
        return token_stats_html(
            self.to_dict(), lengths=self.total.values.tolist(), limit=self.max_tokens
        )

    def __repr__(self) -> str:
        t = self.tokens()
        return (
            f"TokenStats({self.path!r}, tokenizer={self.tokenizer.get('name')!r}, "
            f"records={self.records}, total={t['total']}, trainable={t['trainable']})"
        )


def count_tokens(
    path: str | Path,
    tokenizer: TokenizerSpec = "cl100k_base",
    *,
    format: str | None = None,
    template: str = "auto",
    max_tokens: int | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> TokenStats:
    """Count the tokens of every record of ``path``, on all cores.

    ``max_tokens`` defaults to the tokenizer's ``model_max_length`` when it has a
    real one (Hugging Face tokenizers); tiktoken encodings have none.

    >>> stats = count_tokens("examples/qa_dataset.jsonl")  # doctest: +SKIP
    >>> stats.records, stats.tokens()["trainable"]  # doctest: +SKIP
    (20, 3120)
    """
    return count_tokens_multi(
        path,
        [tokenizer],
        format=format,
        template=template,
        max_tokens=max_tokens,
        workers=workers,
        progress=progress,
    )[0]


def count_tokens_multi(
    path: str | Path,
    tokenizers: Sequence[TokenizerSpec],
    *,
    format: str | None = None,
    template: str = "auto",
    max_tokens: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    on_record: Callable[[list[RecordCount]], None] | None = None,
) -> list[TokenStats]:
    """`count_tokens` for several tokenizers in one pass over the file (for comparisons).

    ``on_record`` is called in file order with each counted record's `RecordCount`
    under every tokenizer (what ``--per-record`` writes).
    """
    toks = [get_tokenizer(t, template=template) for t in tokenizers]
    limits = [max_tokens if max_tokens is not None else t.model_max_length for t in toks]
    fmt, chunks = count_chunks(
        path,
        toks,
        format=format,
        max_tokens=limits,
        record_fields=on_record is not None,
        workers=workers,
        progress=progress,
    )
    stats = [
        TokenStats(str(path), tok.describe(), limit, fmt)
        for tok, limit in zip(toks, limits, strict=True)
    ]
    ids = range(len(toks))
    for chunk, first_record, first_line in chunks:
        for i, s in enumerate(stats):
            s.add_chunk(chunk, i, first_record, first_line)
        if on_record is not None:
            for row in range(len(chunk.record)):
                on_record([_record_count(chunk, i, row, first_record, first_line) for i in ids])
    return stats


def count_records(
    path: str | Path,
    tokenizer: TokenizerSpec = "cl100k_base",
    *,
    format: str | None = None,
    template: str = "auto",
    workers: int | None = None,
    progress: bool = False,
) -> Iterator[RecordCount]:
    """Yield a `RecordCount` for every record that could be counted, in file order.

    >>> next(count_records("examples/qa_dataset.jsonl")).total  # doctest: +SKIP
    212
    """
    tok = get_tokenizer(tokenizer, template=template)
    _, chunks = count_chunks(
        path, [tok], format=format, record_fields=True, workers=workers, progress=progress
    )
    for chunk, first_record, first_line in chunks:
        for row in range(len(chunk.record)):
            yield _record_count(chunk, 0, row, first_record, first_line)


def _record_count(
    chunk: Chunk, index: int, row: int, first_record: int, first_line: int
) -> RecordCount:
    counted = chunk.counted[index]
    return RecordCount(
        record=first_record + chunk.record[row],
        line=first_line + chunk.line[row] or None,
        total=counted.total[row],
        trainable=counted.trainable[row],
        turns=chunk.turns[row],
        fields=counted.record_fields[row] if counted.record_fields else {},
    )

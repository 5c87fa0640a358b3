"""Truncation sweep: what each ``max_seq_len`` keeps, loses, wastes and costs in time.

Assumption (docs/estimates.md): truncation keeps the *first* ``max_seq_len`` tokens
and the trainable tokens sit at the *end* of a record (the assistant reply comes
last), so a record cut by ``k`` tokens loses ``min(trainable, k)`` trainable tokens.

>>> rows = sweep([100, 600, 1000], [50, 300, 900], lengths_to_try=[512])
>>> rows[0]["records_kept"], rows[0]["trainable_lost"]
(1, 576)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from sftprep.estimate.packing import padded_tokens
from sftprep.stats.quantiles import quantile

POWERS = tuple(2**k for k in range(9, 16))  # 512 .. 32,768
# Recommend the shortest length that keeps >= 99% of records whole and loses
# <= 0.5% of the trainable tokens.
KEEP_RECORDS = 0.99
MAX_TRAINABLE_LOST = 0.005


def sweep(
    lengths: Sequence[int],
    trainable: Sequence[int],
    *,
    lengths_to_try: Sequence[int] | None = None,
    batch_size: int | None = None,
    epochs: int = 1,
    tokens_per_s: float | None = None,
) -> list[dict[str, Any]]:
    """One row per candidate ``max_seq_len`` (powers of two 512..32,768, p95, p99).

    The row `recommend` picks has ``"recommended": True``.
    """
    labels = candidates(lengths) if lengths_to_try is None else _plain(lengths_to_try)
    rows = [
        _row(lengths, trainable, limit, label, batch_size, epochs, tokens_per_s)
        for limit, label in sorted(labels.items())
    ]
    best = recommend(rows, records=len(lengths), trainable=sum(trainable))
    for row in rows:
        row["recommended"] = row["max_seq_len"] == best
    return rows


def candidates(lengths: Sequence[int]) -> dict[int, str]:
    """Candidate lengths and their labels: ``{512: "512", 1022: "1,022 (p95)", ...}``.

    >>> candidates([100] * 98 + [600, 40_000])[600]
    '600 (p99)'
    """
    tags: dict[int, list[str]] = {n: [] for n in POWERS}
    ordered = sorted(lengths)
    for q in (95, 99):
        # nearest rank: a length of the data that keeps q% of the records whole
        p = int(quantile(ordered, q / 100, method="nearest")) if ordered else 0
        if p > 0:
            tags.setdefault(p, []).append(f"p{q}")
    return {n: f"{n:,}" + (f" ({', '.join(t)})" if t else "") for n, t in tags.items()}


def _plain(lengths_to_try: Sequence[int]) -> dict[int, str]:
    return {n: f"{n:,}" for n in lengths_to_try}


def _row(
    lengths: Sequence[int],
    trainable: Sequence[int],
    limit: int,
    label: str,
    batch_size: int | None,
    epochs: int,
    tokens_per_s: float | None,
) -> dict[str, Any]:
    n, total_trainable = len(lengths), sum(trainable)
    kept = sum(1 for t in lengths if t <= limit)
    tokens = sum(min(t, limit) for t in lengths)
    lost = sum(min(tr, t - limit) for t, tr in zip(lengths, trainable, strict=True) if t > limit)
    padded = (
        padded_tokens(lengths, batch_size=batch_size, max_seq_len=limit) if batch_size else None
    )
    return {
        "max_seq_len": limit,
        "label": label,
        "records_kept": kept,
        "records_kept_share": round(kept / n, 4) if n else 1.0,
        "tokens": tokens,
        "trainable_lost": lost,
        "trainable_lost_share": round(lost / total_trainable, 4) if total_trainable else 0.0,
        "padding_waste": None if padded is None else padded - tokens,
        "hours": tokens * epochs / tokens_per_s / 3600 if tokens_per_s else None,
    }


def recommend(
    rows: Sequence[dict[str, Any]], *, records: int | None = None, trainable: int | None = None
) -> int | None:
    """The shortest swept length meeting the rule above, else the longest swept length.

    With ``records`` and ``trainable`` (the totals) the rule is tested on the exact
    counts; without them, on the rows' rounded shares.

    >>> recommend([{"max_seq_len": 512, "records_kept_share": 0.9, "trainable_lost_share": 0.1},
    ...            {"max_seq_len": 1024, "records_kept_share": 1.0, "trainable_lost_share": 0.0}])
    1024
    """
    for row in sorted(rows, key=lambda r: r["max_seq_len"]):
        if _meets_rule(row, records, trainable):
            return int(row["max_seq_len"])
    return int(max(r["max_seq_len"] for r in rows)) if rows else None


def _meets_rule(row: dict[str, Any], records: int | None, trainable: int | None) -> bool:
    if records is None or trainable is None:
        return bool(
            row["records_kept_share"] >= KEEP_RECORDS
            and row["trainable_lost_share"] <= MAX_TRAINABLE_LOST
        )
    # exact rational arithmetic: 0.99 and 0.005 are not exact binary floats
    kept_ok = row["records_kept"] >= Fraction(str(KEEP_RECORDS)) * records
    lost_ok = row["trainable_lost"] <= Fraction(str(MAX_TRAINABLE_LOST)) * trainable
    return bool(kept_ok and lost_ok)

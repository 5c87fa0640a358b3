"""Exact distributions of per-record integers (tokens, turns) that merge.

A `Distribution` keeps every value in an ``array('i')`` (4 bytes a record: a
million records cost 4 MB), so its percentiles are exact rather than sketched,
and ``a + b`` concatenates: merging chunk results gives the same percentiles in
any order. Values are kept in record order, so position ``i`` is record ``i``
of the stream that filled it.

Percentiles interpolate linearly between the two nearest ranks, like
``numpy.percentile``'s default (`sftprep.stats.quantiles`), rounded to 2 decimals.

>>> d = Distribution.of([5, 1, 4, 2, 3])
>>> d.quantile(0.5), d.summary()["p90"]
(3.0, 4.6)
>>> (Distribution.of([1, 2]) + Distribution.of([3])).values.tolist()
[1, 2, 3]
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sftprep.stats.metrics import RunningStats
from sftprep.stats.quantiles import quantile

PERCENTILES: tuple[tuple[str, float], ...] = (
    ("median", 0.5),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
)
FAR_OUT = 3.0  # Tukey's "far out" fence: Q3 + 3 * IQR


def _int_array(values: Iterable[int] = ()) -> array[int]:
    return array("i", values)


@dataclass
class Distribution:
    """Every value of a per-record metric, in order, plus its running moments."""

    values: array[int] = field(default_factory=_int_array)
    _sorted: list[int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, values: Iterable[int]) -> Distribution:
        return cls(_int_array(values))

    def add(self, value: int) -> None:
        self.values.append(value)
        self._sorted = None

    def extend(self, values: Iterable[int]) -> None:
        self.values.extend(values)
        self._sorted = None

    def __add__(self, other: Distribution) -> Distribution:
        if not isinstance(other, Distribution):
            return NotImplemented
        return Distribution(self.values + other.values)

    def __iadd__(self, other: Distribution) -> Distribution:
        self.extend(other.values)
        return self

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[int]:
        """The values in record order."""
        return iter(self.values)

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def total(self) -> int:
        return sum(self.values)

    def sorted_values(self) -> list[int]:
        if self._sorted is None:
            self._sorted = sorted(self.values)
        return self._sorted

    def quantile(self, q: float) -> float:
        """The ``q``-quantile (0..1) by linear interpolation; ``nan`` when empty."""
        return round(quantile(self.sorted_values(), q), 2)

    def running(self) -> RunningStats:
        return RunningStats.of(self.values)

    def summary(self) -> dict[str, Any]:
        """count, total, min, max, mean, std, median, p90, p95, p99 (``None`` when empty)."""
        ordered = self.sorted_values()
        if not ordered:
            keys = ("min", "max", "mean", "std", *(name for name, _ in PERCENTILES))
            return {"count": 0, "total": 0, **dict.fromkeys(keys)}
        # From the sorted values (exact sum), so the summary is the same in any merge order.
        count, total = len(ordered), sum(ordered)
        mean = total / count
        variance = sum((v - mean) ** 2 for v in ordered) / count
        out: dict[str, Any] = {
            "count": count,
            "total": total,
            "min": ordered[0],
            "max": ordered[-1],
            "mean": round(mean, 2),
            "std": round(math.sqrt(variance), 2),
        }
        for name, q in PERCENTILES:
            out[name] = round(quantile(ordered, q), 2)
        return out

    def histogram(self, bins: int = 20) -> list[tuple[int, int, int]]:
        """``(low, high, count)`` for ``bins`` equal-width integer bins over min..max."""
        ordered = self.sorted_values()
        if not ordered:
            return []
        low, high = ordered[0], ordered[-1]
        width = max(1, math.ceil((high - low + 1) / bins))
        counts = [0] * math.ceil((high - low + 1) / width)
        for value in self.values:
            counts[(value - low) // width] += 1
        return [(low + i * width, low + (i + 1) * width - 1, n) for i, n in enumerate(counts)]

    def outlier_threshold(self) -> float | None:
        """Tukey's far-out fence ``Q3 + 3 * IQR`` (IQR at least 10% of Q3, at least 1)."""
        ordered = self.sorted_values()
        if len(ordered) < 4:
            return None
        q1, q3 = round(quantile(ordered, 0.25), 2), round(quantile(ordered, 0.75), 2)
        iqr = max(q3 - q1, 0.1 * q3, 1.0)
        return q3 + FAR_OUT * iqr

    def outliers(self, limit: int = 10) -> tuple[list[int], int]:
        """Positions of the values above `outlier_threshold`, largest first (at most
        ``limit``), and how many there are in all."""
        threshold = self.outlier_threshold()
        if threshold is None:
            return [], 0
        hits = [i for i, value in enumerate(self.values) if value > threshold]
        hits.sort(key=lambda i: (-self.values[i], i))
        return hits[:limit], len(hits)

    def count_above(self, limit: int) -> int:
        return sum(1 for value in self.values if value > limit)

    def to_dict(self, *, values: bool = False) -> dict[str, Any]:
        """The `summary`; with ``values=True`` also every value (what `from_dict` needs)."""
        out = self.summary()
        if values:
            out["values"] = self.values.tolist()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Distribution:
        if "values" not in data:
            raise ValueError(
                "Distribution.from_dict needs the 'values' written by to_dict(values=True)"
            )
        return cls.of(data["values"])

"""Quantiles of sorted values: the one definition every statistic, chart and estimate uses.

Two methods, because two questions are asked:

- ``"linear"`` (the default, ``numpy.percentile``'s default): interpolates between the
  two nearest ranks. Statistics and charts describe a distribution with it.
- ``"nearest"`` (nearest rank): the smallest value with at least ``q`` of the values at
  or below it, always one of the values. The truncation sweep asks it for a
  ``max_seq_len`` that keeps a share of the records whole, and the CDF picks its points.

>>> quantile([1, 2, 3, 4], 0.5)
2.5
>>> quantile([1, 2, 3, 4], 0.5, method="nearest")
2
>>> quantile([], 0.5)
nan
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeVar, overload

Method = Literal["linear", "nearest"]
_N = TypeVar("_N", int, float)


@overload
def quantile(ordered: Sequence[_N], q: float, *, method: Literal["linear"] = ...) -> float: ...
@overload
def quantile(ordered: Sequence[_N], q: float, *, method: Literal["nearest"]) -> _N | float: ...
def quantile(ordered: Sequence[_N], q: float, *, method: Method = "linear") -> float:
    """The ``q``-quantile (``q`` in 0..1) of the sorted ``ordered``; ``nan`` when empty.

    ``"nearest"`` returns one of the values (an ``int`` for ints); ``"linear"`` a float.
    """
    n = len(ordered)
    if not n:
        return math.nan
    if method == "nearest":
        return ordered[max(1, math.ceil(q * n)) - 1]
    pos = (n - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))

"""`quantile`: the one definition of a quantile (statistics, charts, the sweep)."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sftprep.estimate.sweep import candidates
from sftprep.report import charts as ch
from sftprep.report.data import distribution
from sftprep.stats import Distribution
from sftprep.stats.quantiles import quantile


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([1, 2, 3, 4], 0.5, 2.5), ([5], 0.99, 5.0), ([0, 10], 0.9, 9.0), ([1, 2, 3, 4], 1.0, 4.0)],
)
def test_linear_interpolates_between_ranks(values: list[int], q: float, expected: float) -> None:
    assert quantile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([1, 2, 3, 4], 0.5, 2), ([1, 2, 3, 4], 0.51, 3), ([7], 0.01, 7), ([1, 2], 0.0, 1)],
)
def test_nearest_rank_is_a_value(values: list[int], q: float, expected: int) -> None:
    assert quantile(values, q, method="nearest") == expected


@pytest.mark.parametrize("method", ["linear", "nearest"])
def test_empty_is_nan(method: str) -> None:
    assert math.isnan(quantile([], 0.5, method=method))  # type: ignore[call-overload]


@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=200))
def test_linear_agrees_with_statistics(values: list[int]) -> None:
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    assert quantile(ordered, 0.9) == pytest.approx(cuts[89])


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=200), st.floats(0.001, 1.0))
def test_nearest_keeps_at_least_q_of_the_values(values: list[int], q: float) -> None:
    ordered = sorted(values)
    value = quantile(ordered, q, method="nearest")
    assert value in ordered
    assert sum(v <= value for v in ordered) >= q * len(ordered) - 1e-9


def test_callers_keep_their_numbers() -> None:
    """Each caller's rounding and empty value stay what they were."""
    assert Distribution.of([1, 2, 3]).quantile(1 / 3) == 1.67  # rounded to 2 decimals
    assert math.isnan(Distribution().quantile(0.5))
    assert distribution([])["p50"] == 0.0 and distribution([1, 2])["p50"] == 1.5
    assert candidates([100] * 98 + [600, 40_000])[600] == "600 (p99)"
    chart = ch.cdf([1, 2, 3, 4], percentiles=(0.5,))
    assert [m.x for m in chart.layers if isinstance(m, ch.Marker)] == [2.5]

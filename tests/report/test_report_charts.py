"""Chart builders: bins, percentiles, sampling and the max-length line, as data."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sftprep.report import charts as ch


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=300))
def test_histogram_counts_every_value_once(values: list[int]) -> None:
    chart = ch.histogram({"total": values}, title="t")
    bars = chart.layers[0]
    assert isinstance(bars, ch.Bars)
    assert sum(bars.counts) == len(values)
    assert len(bars.edges) == len(bars.counts) + 1
    assert len(bars.counts) <= ch.MAX_BINS + 1
    widths = {round(b - a, 6) for a, b in itertools.pairwise(bars.edges)}
    assert len(widths) == 1  # equal bins


def test_histogram_folds_a_far_tail_into_the_last_bar() -> None:
    values = [100 + i % 50 for i in range(1000)] + [1_000_000]
    chart = ch.histogram({"total": values}, title="t")
    bars = chart.layers[0]
    assert isinstance(bars, ch.Bars)
    assert bars.edges[-1] < 1000
    assert bars.counts[-1] >= 1
    assert "last bar" in chart.note


@pytest.mark.parametrize(
    ("limit", "drawn"),
    [(120, True), (200, True), (10_000, False)],
)
def test_histogram_draws_the_limit_only_near_the_data(limit: int, drawn: bool) -> None:
    chart = ch.histogram({"total": list(range(1, 150))}, title="t", limit=limit)
    lines = [layer for layer in chart.layers if isinstance(layer, ch.RefLine)]
    assert bool(lines) is drawn
    if not drawn:
        assert "beyond the axis" in chart.note


def test_cdf_marks_percentiles_and_counts_records_over_the_limit() -> None:
    values = list(range(1, 1001))
    chart = ch.cdf(values, limit=900)
    markers = {m.label.split(" ")[0]: m for m in chart.layers if isinstance(m, ch.Marker)}
    assert set(markers) == {"p50", "p90", "p95", "p99"}
    assert markers["p90"].x == pytest.approx(900.1)
    assert "100 of 1,000 records (10.0%) exceed" in chart.note
    line = chart.layers[0]
    assert isinstance(line, ch.Line)
    assert len(line.xs) <= ch.CDF_POINTS + 2
    assert list(line.ys) == sorted(line.ys)


def test_scatter_samples_large_inputs_deterministically() -> None:
    xs = list(range(10_000))
    first = ch.scatter(xs, xs, title="t", x_label="x", y_label="y")
    again = ch.scatter(xs, xs, title="t", x_label="x", y_label="y")
    points = first.layers[0]
    assert isinstance(points, ch.Points)
    assert len(points.xs) == ch.SCATTER_POINTS
    assert first == again
    assert "2,000 of 10,000" in first.note


def test_boxes_and_counts() -> None:
    chart = ch.boxes({"question": [1, 2, 3, 4, 100], "answer": []}, title="f")
    (layer,) = chart.layers
    assert isinstance(layer, ch.Boxes)
    assert [b.label for b in layer.boxes] == ["question"]
    assert layer.boxes[0].median == 3
    turns = ch.counts([2, 2, 4, 99], title="t", x_label="turns", cap=10)
    bars = turns.layers[0]
    assert isinstance(bars, ch.Bars)
    assert sum(bars.counts) == 4 and bars.counts[-1] == 1
    assert "above 10" in turns.note


@pytest.mark.parametrize(
    "empty", [ch.histogram({"a": []}, title="t"), ch.cdf([]), ch.counts([], title="t", x_label="x")]
)
def test_empty_inputs_make_empty_charts(empty: ch.Chart) -> None:
    assert empty.empty


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1k"),
        (1234, "1.2k"),
        (15_000, "15k"),
        (2_500_000, "2.5M"),
        (0.5, "0.5"),
    ],
)
def test_fmt_number(value: float, text: str) -> None:
    assert ch.fmt_number(value) == text


@pytest.mark.qa
def test_turns_of_one_value_are_one_bar_among_empty_slots() -> None:
    chart = ch.counts([2, 2, 2], title="t", x_label="turns")
    (bars,) = chart.layers
    assert isinstance(bars, ch.Bars)
    assert bars.edges == (-0.5, 0.5, 1.5, 2.5, 3.5, 4.5)
    assert bars.counts == (0, 0, 3, 0, 0)
    wide = ch.counts([2, 4, 40], title="t", x_label="turns")
    assert isinstance(wide.layers[0], ch.Bars) and wide.layers[0].edges[0] == 1.5

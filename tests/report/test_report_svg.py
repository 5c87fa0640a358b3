"""SVG rendering: well-formed, small, escaped, one element per chart."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from sftprep.report import charts as ch
from sftprep.report.svg import MARKER_GAP, to_svg

CHARTS = {
    "histogram": ch.histogram(
        {"total": [5, 9, 9, 30], "trainable": [1, 2, 3, 20]}, title="h", limit=25
    ),
    "cdf": ch.cdf(list(range(500)), limit=450),
    "scatter": ch.scatter(
        list(range(50)), list(range(50, 0, -1)), title="s", x_label="x", y_label="y", limit=60
    ),
    "boxes": ch.boxes({"question": [1, 5, 9], "cot_answer": [10, 50, 90]}, title="b"),
    "counts": ch.counts([2, 2, 4], title="c", x_label="turns"),
    "empty": ch.histogram({"total": []}, title="e"),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_chart_is_well_formed_svg(name: str) -> None:
    root = ET.fromstring(to_svg(CHARTS[name]))
    assert root.tag.endswith("}svg") and "w3.org/2000/svg" in root.tag  # the SVG namespace
    tags = [el.tag.rpartition("}")[2] for el in root.iter()]
    assert "title" in tags
    assert {"rect", "path", "line"} & set(tags[2:]) or name == "empty"


def test_bars_carry_tooltips_and_limit_line_is_dashed() -> None:
    svg = to_svg(CHARTS["histogram"])
    assert "records</title></rect>" in svg
    assert 'stroke-dasharray="5 4"' in svg
    assert "max 25" in svg


def test_text_is_escaped() -> None:
    chart = ch.boxes({"<script>": [1, 2]}, title="a < b & c")
    svg = to_svg(chart)
    assert "<script>" not in svg
    assert "a &lt; b &amp; c" in svg
    ET.fromstring(svg)


def test_scatter_of_two_thousand_points_stays_small() -> None:
    xs = [i * 7 % 1000 for i in range(5000)]
    ys = [i * 13 % 3000 for i in range(5000)]
    svg = to_svg(ch.scatter(xs, ys, title="s", x_label="x", y_label="y"))
    assert len(svg) < 40_000
    assert svg.count("h0") == ch.SCATTER_POINTS


def _ns(root: ET.Element) -> str:
    """The SVG namespace prefix, read from the parsed root tag (``{...}svg``)."""
    return root.tag[: -len("svg")]


def _texts(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return list(root.iter(f"{_ns(root)}text"))


@pytest.mark.qa
def test_a_single_record_gets_an_integer_axis_from_zero() -> None:
    svg = to_svg(ch.cdf([15]))
    ticks = [t.text for t in _texts(svg) if t.get("text-anchor") == "middle" and t.text]
    numbers = [t for t in ticks if t and t.isdigit()]
    assert numbers[0] == "0" and "15" in numbers
    assert not any("." in t for t in ticks if t and t[0].isdigit())
    scatter = to_svg(ch.scatter([13], [2], title="s", x_label="x", y_label="y"))
    labels = [t.text or "" for t in _texts(scatter)]
    assert "0.5" not in labels and "1.5" not in labels


@pytest.mark.qa
def test_scatter_names_its_max_length_line_in_a_legend() -> None:
    chart = ch.scatter([10, 50], [20, 40], title="s", x_label="x", y_label="y", limit=80)
    assert chart.legend[1] == ("prompt + completion = 80 (max length)", ch.LIMIT_COLOR)
    assert "prompt + completion = 80 (max length)" in to_svg(chart)


@pytest.mark.qa
def test_limit_label_sits_inside_the_plot_clear_of_the_legend() -> None:
    chart = ch.histogram({"total": [5, 9, 30], "trainable": [1, 2, 20]}, title="h", limit=25)
    (label,) = [t for t in _texts(to_svg(chart)) if t.text == "max 25"]
    assert float(label.get("y", 0)) > 34 + 14  # below the title and the legend row


@pytest.mark.qa
def test_percentile_labels_do_not_overlap_or_cover_dots() -> None:
    values = [43, 44, 47, 47, 47, 50, 51, 51, 54, 56, 59, 60]
    root = ET.fromstring(to_svg(ch.cdf(values, limit=256)))
    dots = [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in root.iter(f"{_ns(root)}circle")]
    labels = [t for t in root.iter(f"{_ns(root)}text") if (t.text or "").startswith("p")]
    assert len(dots) == len(labels) == 4
    ys = sorted(float(t.get("y", 0)) for t in labels)
    assert all(b - a >= MARKER_GAP - 0.1 for a, b in itertools.pairwise(ys))
    for label in labels:
        if label.get("text-anchor") == "end":  # text runs left of x: no dot may sit under it
            x, y = float(label.get("x", 0)), float(label.get("y", 0))
            assert all(
                not (x - 6.2 * len(label.text or "") < dx < x and abs(dy - y) < 7)
                for dx, dy in dots
            )


@pytest.mark.qa
def test_bar_tooltip_counts_one_record() -> None:
    svg = to_svg(ch.histogram({"total": [5]}, title="h"))
    assert re.search(r"<title>total: [^<]*: 1 record</title>", svg)

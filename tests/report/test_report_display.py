"""Notebook fragments: any to_dict() renders, charts inline, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from sftprep.report import display
from sftprep.report.data import TokenExample
from sftprep.report.display import show_invisible, token_spans

STATS = {
    "tokenizer": {"name": "cl100k_base", "backend": "tiktoken"},
    "records": 3,
    "tokens": {"total": 120, "prompt": 40, "trainable": 80},
    "distribution": {
        "total": {
            "min": 10,
            "max": 70,
            "mean": 40.0,
            "median": 40,
            "p90": 64,
            "p95": 67,
            "p99": 69.4,
        },
        "trainable": {
            "min": 5,
            "max": 50,
            "mean": 26.7,
            "median": 25,
            "p90": 45,
            "p95": 47,
            "p99": 49,
        },
    },
    "fields": {"question": {"total": 40}, "answer": {"total": 80}},
    "over_limit": {"limit": 64, "records": 1},
    "outliers": [{"record": 2, "line": 3, "total": 70}],
}


def test_token_stats_html_shows_totals_distribution_and_histogram() -> None:
    html = display.token_stats_html(STATS, lengths=[10, 40, 70], limit=64)
    assert "cl100k_base" in html and "p95" in html and "over limit" in html
    assert html.count("<svg") == 1
    assert "120" in html and "80" in html


def test_estimate_html_leads_with_the_headline_numbers(estimate_doc: dict[str, Any]) -> None:
    html = display.estimate_html(estimate_doc)
    for text in ("$1.25", "15.0 min", "34.5 GB", "50% → 97%", "Assumptions", "All numbers"):
        assert text in html
    for section in ("api", "gpu", "packing", "sweep", "memory"):
        assert f">{section}</h4>" in html
    assert html.index("$1.25") < html.index("Assumptions") < html.index("All numbers")


def test_estimate_html_skips_missing_sections() -> None:
    html = display.estimate_html({"tokens": {"total": 10, "trainable": 4}, "api": None})
    assert "training time" not in html and "10" in html


@pytest.mark.parametrize(
    "svg",
    [
        display.histogram_svg([1, 2, 2, 3, 50], limit=40),
        display.histogram_svg({"total": [1, 2], "trainable": [1, 1]}),
        display.cdf_svg(list(range(100)), limit=90),
        display.scatter_svg([1, 2, 3], [3, 2, 1]),
        display.boxes_svg({"q": [1, 2, 3]}),
        display.counts_svg([2, 2, 4], title="turns", x_label="turns"),
    ],
)
def test_chart_helpers_return_one_svg(svg: str) -> None:
    assert ET.fromstring(svg).tag.endswith("svg")


def test_value_html_escapes_and_formats() -> None:
    html = display.value_html({"name": "<b>x</b>", "n": 1234567, "share": 0.123456})
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "1,234,567" in html and "0.1235" in html
    assert display.value_html([]) == '<ul style="margin:2px 0 8px"></ul>'


@pytest.mark.qa
def test_token_view_names_bidi_controls_and_isolates_each_token() -> None:
    example = TokenExample("r", (("\u202ereversed", True), ("\u200b<b>", False)), 2, 1)
    html = token_spans(example)
    assert "\u202e" not in html and "\u200b" not in html
    assert '<span class="ctl">⟨U+202E⟩</span>reversed' in html
    assert '<span class="ctl">⟨U+200B⟩</span>&lt;b&gt;' in html
    inline = token_spans(example, inline=True)
    assert inline.count("unicode-bidi:isolate") == 2 and "⟨U+202E⟩" in inline
    assert show_invisible("שלום 👋") == "שלום 👋"  # RTL letters and emoji stay as they are

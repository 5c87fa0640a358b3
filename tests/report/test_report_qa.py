"""Regressions found by using the report on odd datasets (one record, none, RTL, injection)."""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sftprep.cli.main import main
from sftprep.findings import Finding, Severity
from sftprep.model import Location
from sftprep.report import charts as ch
from sftprep.report.data import ReportData, TokenExample
from sftprep.report.display import show_invisible, token_spans
from sftprep.report.svg import MARKER_GAP, to_svg


def _ns(root: ET.Element) -> str:
    """The SVG namespace prefix, read from the parsed root tag (``{...}svg``)."""
    return root.tag[: -len("svg")]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _texts(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return list(root.iter(f"{_ns(root)}text"))


def test_default_tokenizer_runs_the_token_rules(tmp_path: Path) -> None:
    """Without --tokenizer the report must count what `check --tokenizer cl100k_base` does."""
    from sftprep.report.collect import build_report_data

    path = _write(tmp_path / "d.jsonl", [{"instruction": "q", "output": ""}])
    data = build_report_data(path, examples=0)
    assert data.tokenizer == "cl100k_base"
    assert data.counts.get("no-trainable-tokens") == {"error": 1}
    assert data.counts.get("empty-text") == {"error": 1}


def test_findings_table_shows_the_file_name_and_keeps_the_path_as_tooltip() -> None:
    data = ReportData("/very/long/dir/data.jsonl", records=1)
    where = Location("/very/long/dir/data.jsonl", 7, 6)
    data.add_findings([Finding("empty-text", Severity.ERROR, "empty", where, field="output")])
    page = data.to_html()
    assert '<td class="where" title="/very/long/dir/data.jsonl:7">data.jsonl:7</td>' in page
    assert 'data-where="/very/long/dir/data.jsonl:7"' in page


def test_an_empty_dataset_says_so_instead_of_a_table_of_zeros() -> None:
    page = ReportData("empty.jsonl", records=0).to_html()
    assert "No record could be tokenized: the file has no records." in page
    assert "tokens per record</th>" not in page
    unreadable = ReportData("bad.jsonl", records=4).to_html()
    assert "all 4 records failed to read or convert" in unreadable


def test_token_view_names_bidi_controls_and_isolates_each_token() -> None:
    example = TokenExample("r", (("\u202ereversed", True), ("\u200b<b>", False)), 2, 1)
    html = token_spans(example)
    assert "\u202e" not in html and "\u200b" not in html
    assert '<span class="ctl">⟨U+202E⟩</span>reversed' in html
    assert '<span class="ctl">⟨U+200B⟩</span>&lt;b&gt;' in html
    inline = token_spans(example, inline=True)
    assert inline.count("unicode-bidi:isolate") == 2 and "⟨U+202E⟩" in inline
    assert show_invisible("שלום 👋") == "שלום 👋"  # RTL letters and emoji stay as they are


def test_turns_of_one_value_are_one_bar_among_empty_slots() -> None:
    chart = ch.counts([2, 2, 2], title="t", x_label="turns")
    (bars,) = chart.layers
    assert isinstance(bars, ch.Bars)
    assert bars.edges == (-0.5, 0.5, 1.5, 2.5, 3.5, 4.5)
    assert bars.counts == (0, 0, 3, 0, 0)
    wide = ch.counts([2, 4, 40], title="t", x_label="turns")
    assert isinstance(wide.layers[0], ch.Bars) and wide.layers[0].edges[0] == 1.5


def test_a_single_record_gets_an_integer_axis_from_zero() -> None:
    svg = to_svg(ch.cdf([15]))
    ticks = [t.text for t in _texts(svg) if t.get("text-anchor") == "middle" and t.text]
    numbers = [t for t in ticks if t and t.isdigit()]
    assert numbers[0] == "0" and "15" in numbers
    assert not any("." in t for t in ticks if t and t[0].isdigit())
    scatter = to_svg(ch.scatter([13], [2], title="s", x_label="x", y_label="y"))
    labels = [t.text or "" for t in _texts(scatter)]
    assert "0.5" not in labels and "1.5" not in labels


def test_scatter_names_its_max_length_line_in_a_legend() -> None:
    chart = ch.scatter([10, 50], [20, 40], title="s", x_label="x", y_label="y", limit=80)
    assert chart.legend[1] == ("prompt + completion = 80 (max length)", ch.LIMIT_COLOR)
    assert "prompt + completion = 80 (max length)" in to_svg(chart)


def test_limit_label_sits_inside_the_plot_clear_of_the_legend() -> None:
    chart = ch.histogram({"total": [5, 9, 30], "trainable": [1, 2, 20]}, title="h", limit=25)
    (label,) = [t for t in _texts(to_svg(chart)) if t.text == "max 25"]
    assert float(label.get("y", 0)) > 34 + 14  # below the title and the legend row


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


def test_bar_tooltip_counts_one_record() -> None:
    svg = to_svg(ch.histogram({"total": [5]}, title="h"))
    assert re.search(r"<title>total: [^<]*: 1 record</title>", svg)


def test_cli_summary_says_one_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "one.jsonl", [{"instruction": "Say hi", "output": "Hi!"}])
    assert main(["report", str(path), "-o", str(tmp_path / "r.html")]) == 0
    said = capsys.readouterr().out
    assert ": 1 record, 0 findings, 5 charts" in said

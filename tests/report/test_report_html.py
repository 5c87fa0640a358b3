"""The HTML page: self-contained, escaped, every section present, rows capped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sftprep.findings import Finding, Severity
from sftprep.model import Location
from sftprep.report.data import ReportData
from sftprep.report.html import render_body, render_html, write_html


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[str] = []
        self.rows: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href")]
        if tag == "tr" and "data-rule" in values:
            self.rows.append(values)


def _parse(page: str) -> _Collect:
    parser = _Collect()
    parser.feed(page)
    return parser


def test_page_has_every_section(report_data) -> None:  # type: ignore[no-untyped-def]
    page = render_html(report_data)
    for anchor in ("overview", "lengths", "structure", "estimate", "findings", "tokens"):
        assert f'id="{anchor}"' in page
    for chart in ("tokens_histogram", "tokens_cdf", "prompt_vs_completion", "fields", "turns"):
        assert f'data-chart="{chart}"' in page
    assert "fake-bpe" in page and "gpt-4o-mini" in page and "prices as of 2025-01" in page


def test_page_is_self_contained(report_data) -> None:  # type: ignore[no-untyped-def]
    parsed = _parse(render_html(report_data))
    assert all(link.startswith("#") for link in parsed.links), parsed.links
    assert "link" not in parsed.tags  # no external stylesheet
    assert parsed.tags.count("script") == 1


def test_dataset_text_is_escaped(report_data) -> None:  # type: ignore[no-untyped-def]
    page = render_html(report_data)
    assert "problem &lt;0&gt;" in page
    assert '<img src="//cdn.example' not in page
    assert 'Because</span><span class="t"> &lt;b&gt;</span>' in page


def test_findings_rows_are_capped_with_a_note(make_report_data) -> None:  # type: ignore[no-untyped-def]
    data = make_report_data(records=50, findings=2500)
    parsed = _parse(render_html(data))
    assert len(parsed.rows) == 2000
    assert {row["data-severity"] for row in parsed.rows} == {"error", "warning", "info"}
    assert "Showing 2,000 of 2,500 findings" in render_html(data)


def test_no_findings_no_filter(make_report_data) -> None:  # type: ignore[no-untyped-def]
    data = make_report_data(records=20, findings=0)
    page = render_html(data)
    assert "No record was flagged" in page and 'id="filter-rule"' not in page


def test_body_is_a_single_scoped_div(report_data) -> None:  # type: ignore[no-untyped-def]
    body = render_body(report_data)
    assert body.startswith('<div class="sftprep-report">') and body.rstrip().endswith("</div>")
    assert "<html" not in body


def test_write_html_is_atomic_and_small(report_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = write_html(report_data, tmp_path / "sub" / "report.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert out.stat().st_size < 400_000
    assert not list(out.parent.glob("*.tmp"))
    assert re.search(r"<svg[^>]*data-chart=", out.read_text(encoding="utf-8"))


@pytest.mark.qa
def test_findings_table_shows_the_file_name_and_keeps_the_path_as_tooltip() -> None:
    data = ReportData("/very/long/dir/data.jsonl", records=1)
    where = Location("/very/long/dir/data.jsonl", 7, 6)
    data.add_findings([Finding("empty-text", Severity.ERROR, "empty", where, field="output")])
    page = data.to_html()
    assert '<td class="where" title="/very/long/dir/data.jsonl:7">data.jsonl:7</td>' in page
    assert 'data-where="/very/long/dir/data.jsonl:7"' in page


@pytest.mark.qa
def test_an_empty_dataset_says_so_instead_of_a_table_of_zeros() -> None:
    page = ReportData("empty.jsonl", records=0).to_html()
    assert "No record could be tokenized: the file has no records." in page
    assert "tokens per record</th>" not in page
    unreadable = ReportData("bad.jsonl", records=4).to_html()
    assert "all 4 records failed to read or convert" in unreadable

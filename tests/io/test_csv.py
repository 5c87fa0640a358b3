"""The CSV/TSV reader: quotes, multi-line cells, repeated headers, separators."""

from __future__ import annotations

from pathlib import Path

import pytest

from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def _found(path: Path, **kwargs: object) -> list[tuple[str, int | None, int | None, str | None]]:
    report = check(path, **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.location.line, f.location.record, f.field) for f in report.findings]


def test_csv_quote_left_open_at_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(b'instruction,input,output\n"a","","b"\n"c","","d\nmore text\n')
    report = check(path)
    found = [
        (f.rule, f.severity.value, f.location.line, f.location.record) for f in report.findings
    ]
    assert found == [("csv-shape", "error", 3, 1)]
    assert (report.files[0].records, report.files[0].valid_records) == (2, 1)


def test_csv_closed_multiline_last_cell_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(b'instruction,input,output\r\n"a","","b\r\nc"\r\n"d","","e\nf"')
    assert _found(path) == []


def test_csv_repeated_header_column(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("instruction,output,output\na,b,c\n")
    assert _found(path) == [("csv-shape", 1, None, "output")]


def test_semicolon_csv_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("instruction;input;output\na;;b\nc;;\n")
    report = check(path)
    found = [(f.rule, f.severity.value, f.location.line, f.field) for f in report.findings]
    assert found == [("csv-shape", "warning", 1, None), ("empty-text", "error", 3, "output")]
    assert report.files[0].format == "alpaca"

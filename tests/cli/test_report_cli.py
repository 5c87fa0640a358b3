"""`sftprep report` end to end on real files: HTML, PNGs, size, no external URL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sftprep.cli.main import main

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "data" / "real"
EXTERNAL = re.compile(r"""\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:|//|ftp:)""", re.I)


def test_report_of_the_bundled_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(REPO / "examples" / "qa_dataset.jsonl"), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out}" in said and "file://" in said
    page = out.read_text(encoding="utf-8")
    assert "qa_dataset.jsonl" in page and "No record was flagged" in page
    assert 'class="t"' in page  # token view with trainable tokens
    assert not EXTERNAL.search(page)


def test_flawed_example_lists_its_findings_and_writes_pngs(tmp_path: Path) -> None:
    out, pngs = tmp_path / "r.html", tmp_path / "charts"
    flawed = REPO / "examples" / "qa_flawed.jsonl"
    argv = ["report", str(flawed), "-o", str(out), "--png", str(pngs), "--max-tokens", "32"]
    assert main([*argv, "--quiet"]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<tr data-rule="') >= 5
    assert "max 32" in page
    names = sorted(p.name for p in pngs.iterdir())
    assert "tokens_histogram.png" in names and "tokens_cdf.png" in names
    assert all((pngs / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names)


@pytest.mark.parametrize(
    "argv",
    [["--max-tokens", "0"], ["--examples", "-1"], ["--tokenizer", "no-such-tokenizer"]],
)
def test_usage_errors_are_one_line(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(REPO / "examples" / "qa_dataset.jsonl")
    assert main(["report", path, "-o", str(tmp_path / "r.html"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sftprep: error:") and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "r.html")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_real_dataset_report_is_small_and_offline(tmp_path: Path) -> None:
    dataset = REAL / "codealpaca__code_alpaca_2k.json"
    if not dataset.exists():
        pytest.skip(f"{dataset} is missing")
    out = tmp_path / "codealpaca.html"
    assert main(["report", str(dataset), "-o", str(out), "--quiet"]) == 0
    page = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 5_000_000
    assert not EXTERNAL.search(page)
    assert "alpaca" in page and "2,017" in page


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.qa
def test_cli_summary_says_one_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "one.jsonl", [{"instruction": "Say hi", "output": "Hi!"}])
    assert main(["report", str(path), "-o", str(tmp_path / "r.html")]) == 0
    said = capsys.readouterr().out
    assert ": 1 record, 0 findings, 5 charts" in said

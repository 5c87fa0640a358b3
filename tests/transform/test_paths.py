"""Output paths checked before anything is read: one line and exit 2, the input untouched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.cli.main import main

pytestmark = [pytest.mark.unseen]


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


QA = [{"question": f"Question {i}?", "cot_answer": f"Answer {i}."} for i in range(3)]


@pytest.mark.parametrize(
    "argv",
    [
        ["fix", "{src}", "-o", "{file}/out.jsonl", "--rejects", "{tmp}/r.jsonl"],
        ["fix", "{src}", "-o", "{tmp}/out.jsonl", "--rejects", "{src}"],
        ["fix", "{src}", "-o", "{tmp}", "--rejects", "{tmp}/r.jsonl"],
        ["convert", "{src}", "-o", "{file}/out.jsonl", "--to", "messages"],
        ["split", "{src}", "-o", "{file}", "--val-fraction", "0.3", "--seed", "1"],
        ["split", "{src}", "-o", "{tmp}/d", "--val-fraction", "1.5", "--seed", "1"],
        ["split", "{src}", "-o", "{tmp}/d", "--val-fraction", "0.3", "--seed", "1",
         "--stratify", "x"],
        ["new", "--task", "qa", "-o", "{file}/new.jsonl"],
        ["fix", "{src}", "-o", "{tmp}/o.jsonl", "--rejects", "{tmp}/r.jsonl", "--max-tokens", "0",
         "--tokenizer", "cl100k_base"],
    ],
)  # fmt: skip
def test_bad_destinations_are_one_line_exit_2(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    a_file = _jsonl(tmp_path / "a_file.jsonl", QA)
    before = _sha(source)
    args = [a.format(src=source, file=a_file, tmp=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sftprep: error: ")
    assert "unexpected error" not in err and "Traceback" not in err
    assert _sha(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.jsonl", "in.jsonl"]

"""`sftprep fix` end to end, in process via `main([...])`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.cli.main import main

pytestmark = [pytest.mark.unseen]


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().out.split())  # rich wraps long lines


def _read(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_fix_writes_roles_in_the_vocabulary_of_each_turn(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [{"from": "Human", "value": "Hi?"}],
            "chosen": {"from": "GPT", "value": "Hello."},
            "rejected": {"from": "gpt", "value": "Bye."},
            "meta": {"template": "<|user|>\n\n", "turns": [{"from": "Human"}]},
        }
    ]
    path, out = _write(tmp_path / "d.jsonl", rows), tmp_path / "f.jsonl"
    rejects = tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    (fixed,) = _read(out)
    assert fixed["conversations"][0]["from"] == "human" and fixed["chosen"]["from"] == "gpt"
    assert fixed["meta"] == rows[0]["meta"]  # not read: written back as it was


def test_a_record_in_another_format_is_converted_and_unified_by_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"instruction": "Add 2 and 2.", "output": "4"},
        {"instruction": "Name a colour.", "output": "Blue"},
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]},
    ]
    path = _write(tmp_path / "mixed.jsonl", rows)
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert "3 in = 3 out + 0 rejected" in _out(capsys)
    fixed, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(fixed), "--rejects", str(rejects), "--quiet"]) == 0
    assert _read(fixed)[2] == {"instruction": "Hi", "input": "", "output": "Yo"}

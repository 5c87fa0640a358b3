"""`sftprep fix` end to end, in process via `main([...])`."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import read_jsonl, terminal_text, write_jsonl
from sftprep.cli.main import main

pytestmark = [pytest.mark.unseen]


def test_fix_writes_roles_in_the_vocabulary_of_each_turn(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [{"from": "Human", "value": "Hi?"}],
            "chosen": {"from": "GPT", "value": "Hello."},
            "rejected": {"from": "gpt", "value": "Bye."},
            "meta": {"template": "<|user|>\n\n", "turns": [{"from": "Human"}]},
        }
    ]
    path, out = write_jsonl(tmp_path / "d.jsonl", rows), tmp_path / "f.jsonl"
    rejects = tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    (fixed,) = read_jsonl(out)
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
    path = write_jsonl(tmp_path / "mixed.jsonl", rows)
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert "3 in = 3 out + 0 rejected" in terminal_text(capsys)
    fixed, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(fixed), "--rejects", str(rejects), "--quiet"]) == 0
    assert read_jsonl(fixed)[2] == {"instruction": "Hi", "input": "", "output": "Yo"}

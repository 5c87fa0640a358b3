"""Earlier turns: histories and rounds read as the turns before the last."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import read_jsonl, write_jsonl
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.count import count_tokens

pytestmark = [pytest.mark.unseen]


def test_ms_swift_history_is_read_as_earlier_turns(tmp_path: Path) -> None:
    rows = [
        {
            "query": "And in French?",
            "response": "Merci.",
            "history": [["Thanks in German?", "Danke."]],
        },
        {"query": "Capital of Peru?", "response": "Lima.", "history": []},
    ]
    path = write_jsonl(tmp_path / "swift.jsonl", rows)
    assert [f.rule for f in check(path).findings] == ["mapped-names"]
    from sftprep.tokens import get_tokenizer

    tok = get_tokenizer("cl100k_base", backend="reference")
    answers = sum(tok.count(t) for t in ("Danke.", "Merci.", "Lima."))
    assert count_tokens(path, template="none").trainable.total == answers
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert read_jsonl(out) == rows
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    first = read_jsonl(converted)[0]
    assert list(first) == ["messages"]
    assert [m["content"] for m in first["messages"]] == [
        "Thanks in German?",
        "Danke.",
        "And in French?",
        "Merci.",
    ]
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"query": "q", "response": "r", "history": "no"}])
    assert [(f.rule, f.field) for f in check(bad).findings if f.rule == "wrong-type"] == [
        ("wrong-type", "history")
    ]


def test_rounds_of_speakers_are_turns(tmp_path: Path) -> None:
    """ms-swift's older ShareGPT: each element of `conversation` is one exchange."""
    rows = [
        {"system": "Be brief.", "conversation": [{"human": "Hi", "assistant": "Hello"}]},
        {"conversation": [{"human": "A", "assistant": "B"}, {"human": "C", "assistant": "D"}]},
    ]
    path = write_jsonl(tmp_path / "r.jsonl", rows)
    report = check(path)
    assert report.files[0].format == "sharegpt"
    assert [f.rule for f in report.findings] == ["missing-system"]
    out, rejects = tmp_path / "f.jsonl", tmp_path / "x.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert read_jsonl(out) == rows
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    assert [m["content"] for m in read_jsonl(converted)[1]["messages"]] == ["A", "B", "C", "D"]

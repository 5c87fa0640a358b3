"""`sftprep convert` end to end, in process via `main([...])`."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import read_jsonl, terminal_text, write_jsonl
from sftprep.cli.main import main

pytestmark = [pytest.mark.unseen]


def test_images_an_alpaca_file_cannot_hold_are_rejected_not_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    part = {"type": "image_url", "value": "img/1.jpg"}
    rows = [
        {
            "messages": [
                {"role": "User", "content": [part, {"type": "text", "value": "Who is this?"}]},
                {"role": "assistant", "content": "A cat."},
            ]
        },
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]},
    ]
    path = write_jsonl(tmp_path / "mm.jsonl", rows)
    out, rejects = tmp_path / "a.jsonl", tmp_path / "r.jsonl"
    args = ["convert", str(path), "-o", str(out), "--to", "alpaca", "--rejects", str(rejects)]
    assert main([*args, "--quiet"]) == 0
    assert "2 in = 1 out + 1 rejected" in terminal_text(capsys)
    (rejected,) = read_jsonl(rejects)
    assert rejected["reasons"] == [
        "alpaca would lose images, other content parts or keys of the messages"
    ]
    # to messages (written anew: `User` becomes `user`) the part survives, where it was
    back = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(back), "--to", "messages", "--quiet"]) == 0
    assert read_jsonl(back)[0]["messages"][0]["content"] == [
        part,
        {"type": "text", "text": "Who is this?"},
    ]


def test_nothing_converted_registers_nothing(tmp_path: Path) -> None:
    """Every record rejected for LLaMA-Factory: no dataset_info.json entry for an empty file."""
    prompt = [{"role": "user", "content": "2+2?"}]
    path = write_jsonl(tmp_path / "p.jsonl", [{"messages": prompt}] * 2)
    out = tmp_path / "out" / "data.json"
    out.parent.mkdir()
    assert main(["convert", str(path), "-o", str(out), "--target", "llama-factory"]) in (0, 1)
    assert not (out.parent / "dataset_info.json").exists()

"""What kind of data a file holds (not-sft-data): pretraining text, chat markup, messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_chat_markup_and_message_rows_in_text_files_are_named(tmp_path: Path) -> None:
    chatml = [{"text": "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>"}]
    (note,) = check(_write(tmp_path / "c.jsonl", chatml), select=["not-sft-data"]).findings
    assert (
        note.severity.value == "warning" and "1 of them a prompt or chat template" in note.message
    )
    rows = [{"text": "How do I boil an egg?", "role": "prompter", "message_id": "a"}]
    (note,) = check(_write(tmp_path / "o.jsonl", rows), select=["not-sft-data"]).findings
    assert note.message.startswith(
        "pretraining text, but 1 of 1 record are single chat messages (a `role` column"
    )

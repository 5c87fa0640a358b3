"""What kind of data a file holds (not-sft-data): pretraining text, chat markup, messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_chat_markup_and_message_rows_in_text_files_are_named(tmp_path: Path) -> None:
    chatml = [{"text": "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>"}]
    (note,) = check(write_jsonl(tmp_path / "c.jsonl", chatml), select=["not-sft-data"]).findings
    assert (
        note.severity.value == "warning" and "1 of them a prompt or chat template" in note.message
    )
    rows = [{"text": "How do I boil an egg?", "role": "prompter", "message_id": "a"}]
    (note,) = check(write_jsonl(tmp_path / "o.jsonl", rows), select=["not-sft-data"]).findings
    assert note.message.startswith(
        "pretraining text, but 1 of 1 record are single chat messages (a `role` column"
    )

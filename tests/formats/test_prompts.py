"""Prompt-only data (RL prompts): read as such, never converted into SFT records."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import terminal_text, write_jsonl
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.count import count_tokens

pytestmark = [pytest.mark.unseen]


def test_rl_prompts_are_not_converted_into_sft(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"prompt": [{"role": "user", "content": f"{i}+1?"}], "ground_truth": str(i + 1)}
            for i in range(2)]  # fmt: skip
    path = write_jsonl(tmp_path / "rl.jsonl", rows)
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert "2 in = 0 out + 2 rejected" in terminal_text(capsys)
    fixed, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    args = ["fix", str(path), "-o", str(fixed), "--rejects", str(rejects), "--quiet"]
    assert main(args) == 0
    assert "2 in = 2 out + 0 rejected" in terminal_text(capsys)


def test_a_chat_with_a_copy_of_its_first_prompt_is_chat_not_rl(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "Any advice?"}, {"role": "assistant", "content": "Rest."}]
    rows = [
        {"prompt": "Any advice?", "prompt_id": f"{i:064x}", "messages": turns} for i in range(3)
    ]
    report = check(write_jsonl(tmp_path / "ultrachat.jsonl", rows))
    assert [f.format for f in report.files] == ["messages"]
    assert count_tokens(tmp_path / "ultrachat.jsonl").trainable.values[0] > 0


def test_prompts_without_answers_in_messages_are_not_converted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": "4"}]
    out = tmp_path / "m.jsonl"
    path = write_jsonl(tmp_path / "rft.jsonl", rows)
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert "1 in = 0 out + 1 rejected" in terminal_text(capsys)


def test_chat_records_without_answers_are_rl_prompts(tmp_path: Path) -> None:
    """OpenAI reinforcement fine-tuning: `messages` ending on the user's turn and a
    `reference_answer` for the grader. Each record is an SFT error; the file gets one note
    that says what it is. A chat file with one broken record of three gets no such note."""
    prompt = [{"role": "developer", "content": "Answer."}, {"role": "user", "content": "2+2?"}]
    rows = [{"messages": prompt, "reference_answer": "4"}] * 2 + [{"messages": prompt}]
    found = check(write_jsonl(tmp_path / "rft.jsonl", rows)).findings
    assert [f.rule for f in found].count("no-assistant-turn") == 3
    (note,) = [f for f in found if f.rule == "not-sft-data"]
    assert (note.severity.value, note.location.record) == ("warning", 0)
    assert note.message.startswith(
        "3 of 3 conversations have no answer at all (they end on the prompt), 2 with a "
        "grader field (reference_answer...): RL prompt data in a chat shape"
    )
    chat = [*prompt, {"role": "assistant", "content": "4"}]
    rows = [{"messages": chat}, {"messages": prompt}, {"messages": chat}]
    assert not check(write_jsonl(tmp_path / "chat.jsonl", rows), select=["not-sft-data"]).findings

"""Small helpers the tests share: JSON Lines files in and out, terminal text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """``rows`` as a JSON Lines file at ``path``; returns the path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[Any]:
    """The records of a JSON Lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def terminal_text(capsys: pytest.CaptureFixture[str]) -> str:
    """What a command printed, on one line (rich wraps long lines)."""
    return " ".join(capsys.readouterr().out.split())


# ../shared/data/real: file -> (detected format, record count from its SOURCES.md)
REAL_FORMATS = {
    "axolotl__conversation.missingturns.json": ("sharegpt", 1),
    "codealpaca__code_alpaca_2k.json": ("alpaca", 2017),
    "fastchat__dummy_conversation.json": ("sharegpt", 500),
    "functionary__test_case.json": ("messages", 1),
    "georgian-llm-finetuning-toolkit__example_data_alpaca.csv": ("alpaca", 23),
    "gorilla-pr918__raft_en_test.jsonl": ("qa", 20),
    "gorilla__raft_sample_ds4.jsonl": ("qa", 15),
    "litgpt__dolly_fixture.json": ("dolly", 12),
    "llamafactory-pr10357__zena007_train_sft.jsonl": ("alpaca", 413),
    "llamafactory__alpaca_en_demo.json": ("alpaca", 999),
    "llamafactory__glaive_toolcall_en_demo.json": ("sharegpt", 300),
    "llamafactory__reason_tool_use_demo_50.jsonl": ("messages", 50),
    "llm-foundry__dolly_hhrlhf_train_small.jsonl": ("prompt-completion", 1000),
    "mlx-examples__wwdc25_train.jsonl": ("prompt-completion", 1800),
    "openai-cookbook__drone_training.jsonl": ("messages", 103),
    "self-instruct__t0_ag_news_classify_with_choices.jsonl": ("prompt-completion", 200),
}

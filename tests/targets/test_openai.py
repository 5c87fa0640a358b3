"""The OpenAI fine-tuning target: roles and the minimum number of examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_target_openai_rejects_role_names_it_does_not_know(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "User", "content": f"Hi {i}"},
                {"role": "Chatbot", "content": f"Hello {i}"},
            ]
        }
        for i in range(10)
    ]
    report = check(write_jsonl(tmp_path / "cohere.jsonl", rows), target="openai")
    roles = [f for f in report.findings if f.rule == "target-openai"]
    assert len(roles) == 10
    assert roles[0].message == (
        "OpenAI fine-tuning accepts the roles system, user, assistant, tool as written; this "
        "record spells 'User' as user, 'Chatbot' as assistant"
    )
    assert roles[0].hint == "sftprep convert --target openai (or sftprep fix) writes these names"


def test_target_openai_needs_ten_examples(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}
    ] * 3
    report = check(write_jsonl(tmp_path / "few.jsonl", rows), target="openai", select=["duplicate"])
    found = [(f.rule, f.location.line, f.message) for f in report.findings]
    assert (
        "target-openai",
        None,
        "OpenAI fine-tuning needs at least 10 training examples; this file has 3",
    ) in found

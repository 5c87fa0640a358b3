"""Preference data (DPO, KTO, ranking, HH-RLHF transcripts): what is read and what is trained."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import read_jsonl, terminal_text, write_jsonl
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.count import count_tokens

pytestmark = [pytest.mark.unseen]


KTO = [
    {
        "messages": [
            {"role": "user", "content": f"Name a fruit, {i}."},
            {"role": "assistant", "content": f"Apple number {i}." if i % 2 else "Rock."},
        ],
        "label": bool(i % 2),
    }
    for i in range(4)
]


def test_llamafactory_kto_is_kto_and_undesirable_answers_are_not_trained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "kto.jsonl", KTO)
    assert [f.format for f in check(path).files] == ["kto"]
    stats = count_tokens(path)
    # the undesirable records (0 and 2) count their tokens, none of them trainable
    assert [stats.trainable.values[i] for i in range(4)] == [0, 5, 0, 5]
    out = tmp_path / "sft.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert [r["messages"][1]["content"] for r in read_jsonl(out)] == [
        "Apple number 1.",
        "Apple number 3.",
    ]
    assert "4 in = 2 out + 2 rejected" in terminal_text(capsys)


def test_a_class_label_beside_a_conversation_is_not_kto(tmp_path: Path) -> None:
    rows = [dict(KTO[1], label="positive"), dict(KTO[3], label="negative")]
    assert [f.format for f in check(write_jsonl(tmp_path / "c.jsonl", rows)).files] == ["messages"]


def test_llamafactory_ranking_data_reads_prompt_and_chosen_turn(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [{"from": "human", "value": "Is the sky green?"}],
            "chosen": {"from": "gpt", "value": "No, it is blue."},
            "rejected": {"from": "gpt", "value": "No, it is blue."},
        }
    ]
    report = check(write_jsonl(tmp_path / "dpo.jsonl", rows))
    assert [(f.rule, f.field) for f in report.findings] == [
        ("preference-pair", "rejected"),
        ("not-sft-data", None),
        ("untrained-fields", None),
    ]
    stats = count_tokens(tmp_path / "dpo.jsonl")
    # the prompt and the chosen answer; "No, it is blue." is 6 tokens
    assert (stats.total.values[0], stats.trainable.values[0]) == (22, 6)


def test_hh_transcripts_are_read_turn_by_turn_and_kept_by_fix(tmp_path: Path) -> None:
    rows = [
        {
            "chosen": "\n\nHuman: Hi\n\nAssistant: \n\nHuman: Hello?\n\nAssistant: Hi there.",
            "rejected": "\n\nHuman: Hi\n\nAssistant: Go away.",
        }
    ]
    path = write_jsonl(tmp_path / "hh.jsonl", rows)
    report = check(path)
    assert [(f.rule, f.field) for f in report.findings] == [
        ("empty-text", "chosen[1]"),
        ("not-sft-data", None),
        ("untrained-fields", None),
    ]
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert read_jsonl(out) == [] and read_jsonl(rejects)[0]["record"] == rows[0]
    fine = [{"chosen": "\n\nHuman: Hi\n\nAssistant: Hello.", "rejected": "\n\nHuman: Hi"}]
    path = write_jsonl(tmp_path / "fine.jsonl", fine)
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert read_jsonl(out) == fine  # the leading "\n\nHuman:" is the format, not whitespace


def test_openai_preference_rows_are_dpo(tmp_path: Path) -> None:
    rows = [
        {
            "input": {"messages": [{"role": "user", "content": "Hi"}], "tools": []},
            "preferred_output": [{"role": "assistant", "content": "Hello!"}],
            "non_preferred_output": [{"role": "assistant", "content": "What?"}],
        }
    ]
    report = check(write_jsonl(tmp_path / "pref.jsonl", rows))
    assert [f.format for f in report.files] == ["dpo"]
    assert [f.rule for f in report.findings] == ["not-sft-data", "untrained-fields"]


def test_an_hh_transcript_prompt_is_read_and_kept(tmp_path: Path) -> None:
    rows = [{"prompt": "\n\nHuman: Hi\n\nAssistant:", "answers": ["Hello.", "Yo."]}]
    path = write_jsonl(tmp_path / "nectar.jsonl", rows)
    rules = [f.rule for f in check(path).findings]
    assert "baked-template" not in rules and "untrimmed-whitespace" not in rules
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert read_jsonl(out) == rows


def test_more_preference_spellings_are_dpo(tmp_path: Path) -> None:
    """ms-swift: `messages` ending on the chosen answer + `rejected_response`; torchtune's
    StackExchangePaired: `question`, `response_j` (preferred), `response_k`."""
    turns = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
    swift = [
        {"messages": turns, "rejected_response": "5"},
        {"messages": turns, "rejected_response": "4"},
    ]
    found = check(write_jsonl(tmp_path / "s.jsonl", swift)).findings
    assert [(f.rule, f.location.record) for f in found if f.severity.value != "info"] == [
        ("preference-pair", 1),
        ("not-sft-data", 0),
    ]
    assert count_tokens(tmp_path / "s.jsonl").records == 2
    pairs = [{"question": "Why?", "response_j": "Because.", "response_k": "No."}]
    report = check(write_jsonl(tmp_path / "p.jsonl", pairs))
    assert report.files[0].format == "dpo"
    assert [f.rule for f in report.findings] == ["not-sft-data", "untrained-fields"]

"""Nothing a record holds is dropped silently: every string is trained or reported.

Each case writes a small file of a shape users have (vendor variants, non-SFT data,
media parts, metadata) and asserts the exact findings; then a walk over every string
of every record checks that it is in the trained conversation, a structural value
(a role, a type, an id), or under a key a finding names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.findings import Finding
from sftprep.pipeline import Sample, iter_samples, open_source
from sftprep.rules.coverage import key_shape, trained_text

# (name, records, expected findings as (rule, severity, field) in report order)
CASES: list[tuple[str, list[dict[str, Any]], list[tuple[str, str, str | None]]]] = [
    (
        "bedrock",  # Anthropic/Bedrock: the system prompt beside the messages
        [
            {
                "system": "You are a terse travel agent.",
                "messages": [
                    {"role": "user", "content": f"Flights to city {i}?"},
                    {"role": "assistant", "content": f"Two a day to city {i}."},
                ],
            }
            for i in range(3)
        ],
        [],
    ),
    (
        "system_prompt_column",
        [
            {"system_prompt": "Answer in French.", "prompt": f"Hello {i}", "response": f"Salut {i}"}
            for i in range(3)
        ],
        [("mapped-names", "info", None)],
    ),
    (
        "gpteacher",  # Alpaca with `response`: the input must stay in the prompt
        [
            {"instruction": "Summarise the text.", "input": f"Text number {i}.", "response": "Ok."}
            for i in range(3)
        ],
        [("mapped-names", "info", None)],
    ),
    (
        "cohere",
        [
            {
                "messages": [
                    {"role": "System", "content": "Be kind."},
                    {"role": "User", "content": f"Hi {i}"},
                    {"role": "Chatbot", "content": f"Hello {i}!"},
                ]
            }
            for i in range(3)
        ],
        [("mapped-names", "info", None)],
    ),
    (
        "kto",
        [{"prompt": f"Q{i}?", "completion": f"Answer {i}.", "label": i % 2 == 0} for i in range(4)],
        [("not-sft-data", "warning", None)],  # the labels are counted there
    ),
    (
        "dpo",
        [
            {"prompt": f"Q{i}?", "chosen": f"Good answer {i}.", "rejected": f"Bad answer {i}."}
            for i in range(3)
        ],
        [("not-sft-data", "warning", None), ("untrained-fields", "info", None)],
    ),
    (
        "verl",
        [
            {
                "data_source": "gsm8k",
                "prompt": [{"role": "user", "content": f"What is {i} plus one?"}],
                "reward_model": {"style": "rule", "ground_truth": str(i + 1)},
                "extra_info": {"split": "train", "question": f"What is {i} plus one?"},
            }
            for i in range(3)
        ],
        [("not-sft-data", "warning", None), ("untrained-fields", "info", None)],
    ),
    (
        "seed_tasks",
        [
            {
                "id": f"seed_task_{i}",
                "instruction": "Rewrite the sentence politely.",
                "instances": [
                    {"input": f"Give me file {i}.", "output": f"Could I have file {i}, please?"},
                    {"input": "Move.", "output": "Could you move, please?"},
                ],
            }
            for i in range(3)
        ],
        # the second instance of each task is not read: text not trained, a warning
        [("not-sft-data", "info", None), ("untrained-fields", "warning", None)],
    ),
    (
        "rendered_text_column",
        [
            {
                "instruction": f"Name colour {i}.",
                "output": "Blue.",
                "text": f"### Instruction:\nName colour {i}.\n\n### Response:\nBlue.",
            }
            for i in range(3)
        ],
        [("baked-template", "info", "text")] * 3 + [("unknown-key", "warning", "text")],
    ),
    (
        "lost_system_column",  # text under a key nothing reads: a warning, once
        [
            {
                "instruction": f"Task {i}",
                "output": "Done.",
                "persona_description": "A retired sailor who speaks in short sentences.",
            }
            for i in range(3)
        ],
        [("unknown-key", "warning", "persona_description")],
    ),
    (
        "misspelt",
        [{"instruction": f"Task {i}", "Output": "Done."} for i in range(3)],
        [("missing-key", "error", "output")] * 3 + [("unknown-key", "warning", "Output")],
    ),
    (
        "media_and_refusal",
        [
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": f"What is in picture {i}?"},
                            {"type": "image_url", "image_url": {"url": f"img/{i}.png"}},
                        ],
                    },
                    {"role": "assistant", "content": None, "refusal": "I can't see images."},
                ]
            }
            for i in range(2)
        ],
        # the refusal is the answer (OpenAI trains it); the image parts are read (and their
        # files, absent here, reported): not unknown
        [
            ("media-missing", "error", "messages[0].content[1].image_url.url"),
            ("missing-system", "info", "messages"),
        ]
        * 2,
    ),
    # --- shapes found in other projects' files (LLaMA-Factory, HH-RLHF, Vertex AI, Spider)
    (
        "lf_kto",  # LLaMA-Factory KTO: a conversation and a boolean label
        [
            {
                "messages": [
                    {"role": "user", "content": f"Tell me fact {i}."},
                    {"role": "assistant", "content": f"Fact {i}: water is wet."},
                ],
                "label": i % 3 != 0,
            }
            for i in range(3)
        ],
        [("not-sft-data", "warning", None)],
    ),
    (
        "lf_dpo_sharegpt",  # LLaMA-Factory ranking data: one turn object per answer
        [
            {
                "conversations": [{"from": "human", "value": f"Question {i}?"}],
                "chosen": {"from": "gpt", "value": f"A careful answer {i}."},
                "rejected": {"from": "gpt", "value": f"A sloppy answer {i}."},
            }
            for i in range(3)
        ],
        [("not-sft-data", "warning", None), ("untrained-fields", "info", None)],
    ),
    (
        "lf_v1_dpo",  # LLaMA-Factory v1: whole conversations per side
        [
            {
                "chosen_messages": [
                    {"role": "user", "content": f"Q {i}?"},
                    {"role": "assistant", "content": f"Good {i}."},
                ],
                "rejected_messages": [
                    {"role": "user", "content": f"Q {i}?"},
                    {"role": "assistant", "content": f"Bad {i}."},
                ],
            }
            for i in range(3)
        ],
        [("not-sft-data", "warning", None), ("untrained-fields", "info", None)],
    ),
    (
        "alpaca_dpo",
        [
            {
                "instruction": f"Translate sentence {i}.",
                "input": f"Hola {i}",
                "chosen": f"Hello {i}",
                "rejected": f"Goodbye {i}",
            }
            for i in range(3)
        ],
        [("not-sft-data", "warning", None), ("untrained-fields", "info", None)],
    ),
    (
        "hh_rlhf",  # the transcript markers are the format's own: no baked-template
        [
            {
                "chosen": f"\n\nHuman: How do I bake bread {i}?\n\nAssistant: Mix flour and yeast.",
                "rejected": f"\n\nHuman: How do I bake bread {i}?\n\nAssistant: Buy it.",
            }
            for i in range(3)
        ],
        [("not-sft-data", "warning", None), ("untrained-fields", "info", None)],
    ),
    (
        "text_to_sql",  # Spider, the Mistral cookbook: the SQL answers the question
        [
            {
                "question": f"All users older than {i}.",
                "query": f"SELECT * FROM users WHERE age > {i}",
            }
            for i in range(3)
        ],
        [("mapped-names", "info", None)],
    ),
    (
        "gemini",  # Vertex AI tuning rows: `model` is the format's own name, no note
        [
            {
                "systemInstruction": {"role": "system", "parts": [{"text": "Answer briefly."}]},
                "contents": [
                    {"role": "user", "parts": [{"text": f"Capital of country {i}?"}]},
                    {"role": "model", "parts": [{"text": f"City {i}."}]},
                ],
            }
            for i in range(3)
        ],
        [],
    ),
    (
        "lf_v1_loss_weight",  # loss_weight 1.0 on answers, 0.0 on prompts: nothing unread
        [
            {
                "messages": [
                    {"role": "system", "content": "Be brief.", "loss_weight": 0.0},
                    {"role": "user", "content": f"Hi {i}", "loss_weight": 0.0},
                    {"role": "assistant", "content": f"Hello {i}", "loss_weight": 1.0},
                ]
            }
            for i in range(3)
        ],
        [],
    ),
    (
        "ids",  # an id column and a sha256 digest are metadata, not misspelt or lost text
        [
            {
                "uid": f"cmath_{i}",
                "prompt_id": f"{i:064x}",
                "prompt": f"What is {i} squared?",
                "completion": f"{i * i}",
            }
            for i in range(3)
        ],
        [("unknown-key", "info", "uid"), ("unknown-key", "info", "prompt_id")],
    ),
]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "rows", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings_of_each_shape(
    tmp_path: Path, name: str, rows: list[dict[str, Any]], expected: list[Any]
) -> None:
    # The rows of a case are one template with a number changed: near-duplicates by
    # design (tests/rules/test_near.py covers that rule), not what this test is about.
    report = check(_write(tmp_path / f"{name}.jsonl", rows), ignore=["near-duplicate"])
    assert [(f.rule, f.severity.value, f.field) for f in report.findings] == expected


STRUCTURAL = re.compile(r"(?:^|\.)(?:role|from|type|id|style|tool_call_id|split|data_source)$")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def _transcript_trained(text: str, trained: str) -> bool:
    """An HH-RLHF transcript is read turn by turn: every turn's text is trained."""
    turns = [t.strip() for t in re.split(r"\n\n(?:Human|Assistant):", text)]
    return len(turns) > 1 and all(t in trained for t in turns if t)


def _reported(findings: list[Finding]) -> set[str]:
    """Every key a coverage finding names, as a shape (``messages[*].refusal``)."""
    names = {f.field for f in findings if f.field}
    for finding in findings:
        names |= set(re.findall(r"`([^`]+)`", finding.message))
    return {key_shape(n) for n in names}


@pytest.mark.parametrize(("name", "rows", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_string_is_trained_or_reported(
    tmp_path: Path, name: str, rows: list[dict[str, Any]], expected: list[Any]
) -> None:
    path = _write(tmp_path / f"{name}.jsonl", rows)
    reported = _reported(list(check(path).findings))
    for sample in iter_samples(open_source(path)):
        assert isinstance(sample, Sample) and sample.conversation is not None
        trained = trained_text(sample.conversation)
        for where, text in _strings(sample.raw, ""):
            shape = key_shape(where)
            ok = (
                text.strip() in trained
                or _transcript_trained(text, trained)
                or STRUCTURAL.search(where)
                or any(shape == r or shape.startswith((r + ".", r + "[")) for r in reported)
            )
            assert ok, f"{name}: `{where}` = {text!r} is neither trained nor reported"


def test_messages_say_what_and_how_many(tmp_path: Path) -> None:
    rows = CASES[3][1]  # cohere
    (note,) = check(_write(tmp_path / "c.jsonl", rows)).findings
    assert note.message == (
        "names read through the alias table: role 'System' as system (3 records), "
        "role 'User' as user (3 records), role 'Chatbot' as assistant (3 records)"
    )
    assert "`sftprep fix` writes the canonical role names" in note.hint
    lost = check(_write(tmp_path / "l.jsonl", CASES[9][1])).findings[0]
    assert lost.message == (
        "`persona_description` (3 records) holds text that is not trained in 3 records "
        "(up to 47 characters; not part of the alpaca format)"
    )
    misspelt = check(_write(tmp_path / "m.jsonl", CASES[10][1]), select=["unknown-key"]).findings
    assert [(f.message, f.hint) for f in misspelt] == [
        (
            "`Output` (3 records) is not read: a misspelling of `output`?",
            "rename `Output` to `output`",
        )
    ]


def test_kto_and_dpo_notes(tmp_path: Path) -> None:
    kto = check(_write(tmp_path / "k.jsonl", CASES[4][1]), select=["not-sft-data"]).findings
    assert kto[0].message.startswith(
        "KTO preference data (prompt, completion, label), not SFT data: 4 records, "
        "2 desirable (label true), 2 undesirable."
    )
    dpo = check(_write(tmp_path / "d.jsonl", CASES[5][1])).findings
    assert dpo[1].message == (
        "not trained (dpo format's own keys): `rejected` (3 records, not an SFT target: "
        "see not-sft-data)"
    )


@pytest.mark.unseen
def test_unknown_key_counts_records_not_places(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": "a", "meta": "x"},
                {"role": "assistant", "content": "b", "meta": "y"},
            ]
        }
    ] * 2
    report = check(_write(tmp_path / "m.jsonl", rows), select=["unknown-key"])
    (finding,) = report.findings
    assert finding.message.startswith("`messages[*].meta` (2 records)")


@pytest.mark.unseen
@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("这句话很简单，主语是天气。", "warning"),  # CJK prose has no spaces
        ("Answer in French.", "warning"),  # a short sentence
        ("open_qa", "info"),  # a label
    ],
)
def test_short_prose_is_text_not_a_label(tmp_path: Path, text: str, severity: str) -> None:
    rows = [{"instruction": f"Task {i}", "output": "Done.", "note": text} for i in range(2)]
    (finding,) = check(_write(tmp_path / "p.jsonl", rows)).findings
    assert (finding.rule, finding.severity.value) == ("unknown-key", severity)


@pytest.mark.unseen
def test_a_key_beside_the_one_it_resembles_is_no_misspelling(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Q?", "output": "A.", "instructions": "Always answer in British English."}
    ]
    (finding,) = check(_write(tmp_path / "i.jsonl", rows)).findings
    assert "misspelling" not in finding.message
    assert finding.hint == "read it as the system prompt (--map system=instructions), or drop it"


@pytest.mark.unseen
def test_a_key_beside_the_singular_it_resembles_is_not_a_misspelling(tmp_path: Path) -> None:
    """WildChat: `conversation_hash` beside `conversation` (read as `conversations`)."""
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    row = {"conversation_hash": "c9ec5b440fbdd2a269333dd241f32f64", "conversation": turns}
    found = check(_write(tmp_path / "w.jsonl", [row]), select=["unknown-key"]).findings
    assert [(f.field, f.severity.value) for f in found] == [("conversation_hash", "info")]
    assert "misspelling" not in found[0].message

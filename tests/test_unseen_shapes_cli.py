"""What a new user met on other projects' files, end to end through the CLI: preference
data in LLaMA-Factory's shapes, images a format cannot carry, text-to-SQL pairs,
``--map``, platform role names, RL prompts, one unreadable file among several, the
estimate of data that is not SFT data, HH-RLHF transcripts, Gemini rows and gzip.

Each test writes its own small file of the shape (not a copy of anyone's data).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.count import count_tokens


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().out.split())  # rich wraps long lines


def _read(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


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
    path = _write(tmp_path / "kto.jsonl", KTO)
    assert [f.format for f in check(path).files] == ["kto"]
    stats = count_tokens(path)
    # the undesirable records (0 and 2) count their tokens, none of them trainable
    assert [stats.trainable.values[i] for i in range(4)] == [0, 5, 0, 5]
    out = tmp_path / "sft.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert [r["messages"][1]["content"] for r in _read(out)] == [
        "Apple number 1.",
        "Apple number 3.",
    ]
    assert "4 in = 2 out + 2 rejected" in _out(capsys)


def test_a_class_label_beside_a_conversation_is_not_kto(tmp_path: Path) -> None:
    rows = [dict(KTO[1], label="positive"), dict(KTO[3], label="negative")]
    assert [f.format for f in check(_write(tmp_path / "c.jsonl", rows)).files] == ["messages"]


def test_llamafactory_ranking_data_reads_prompt_and_chosen_turn(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [{"from": "human", "value": "Is the sky green?"}],
            "chosen": {"from": "gpt", "value": "No, it is blue."},
            "rejected": {"from": "gpt", "value": "No, it is blue."},
        }
    ]
    report = check(_write(tmp_path / "dpo.jsonl", rows))
    assert [(f.rule, f.field) for f in report.findings] == [
        ("preference-pair", "rejected"),
        ("not-sft-data", None),
        ("untrained-fields", None),
    ]
    stats = count_tokens(tmp_path / "dpo.jsonl")
    # the prompt and the chosen answer; "No, it is blue." is 6 tokens
    assert (stats.total.values[0], stats.trainable.values[0]) == (22, 6)


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
    path = _write(tmp_path / "mm.jsonl", rows)
    out, rejects = tmp_path / "a.jsonl", tmp_path / "r.jsonl"
    args = ["convert", str(path), "-o", str(out), "--to", "alpaca", "--rejects", str(rejects)]
    assert main([*args, "--quiet"]) == 0
    assert "2 in = 1 out + 1 rejected" in _out(capsys)
    (rejected,) = _read(rejects)
    assert rejected["reasons"] == [
        "alpaca would lose images, other content parts or keys of the messages"
    ]
    # to messages (written anew: `User` becomes `user`) the part survives, where it was
    back = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(back), "--to", "messages", "--quiet"]) == 0
    assert _read(back)[0]["messages"][0]["content"] == [
        part,
        {"type": "text", "text": "Who is this?"},
    ]


def test_question_and_sql_query_is_qa(tmp_path: Path) -> None:
    rows = [
        {"question": "All users?", "query": "SELECT * FROM users"},
        {"question": "", "query": "SELECT 1"},
    ]
    report = check(_write(tmp_path / "sql.jsonl", rows))
    assert [f.format for f in report.files] == ["qa"]
    assert [(f.rule, f.location.line, f.field) for f in report.findings] == [
        ("empty-text", 2, "question"),
        ("mapped-names", 1, None),
    ]


def test_map_reads_columns_under_the_names_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"premise": f"A man sleeps {i}.", "target": "entailment"} for i in range(2)]
    path = _write(tmp_path / "nli.jsonl", rows)
    assert main(["check", str(path), "--quiet"]) == 2  # no format has these keys
    capsys.readouterr()
    args = ["--map", "user=premise", "--map", "assistant=target"]
    assert main(["check", "--json", str(path), *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"][0]["format"] == "prompt-completion"
    (note,) = [f for f in doc["findings"] if f["rule"] == "mapped-names"]
    assert note["message"] == (
        "names read through the alias table: `premise` as `prompt` (--map) (2 records), "
        "`target` as `completion` (--map) (2 records)"
    )
    assert main(["stats", "--json", "--quiet", str(path), *args]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"]["trainable"] == 6
    assert main(["check", str(path), "--map", "premise"]) == 2
    assert "expected NAME=KEY" in capsys.readouterr().err


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
    report = check(_write(tmp_path / "cohere.jsonl", rows), target="openai")
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
    report = check(_write(tmp_path / "few.jsonl", rows), target="openai", select=["duplicate"])
    found = [(f.rule, f.location.line, f.message) for f in report.findings]
    assert (
        "target-openai",
        None,
        "OpenAI fine-tuning needs at least 10 training examples; this file has 3",
    ) in found


def test_rl_prompts_are_not_converted_into_sft(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"prompt": [{"role": "user", "content": f"{i}+1?"}], "ground_truth": str(i + 1)}
            for i in range(2)]  # fmt: skip
    path = _write(tmp_path / "rl.jsonl", rows)
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert "2 in = 0 out + 2 rejected" in _out(capsys)
    fixed, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    args = ["fix", str(path), "-o", str(fixed), "--rejects", str(rejects), "--quiet"]
    assert main(args) == 0
    assert "2 in = 2 out + 0 rejected" in _out(capsys)


def test_one_unreadable_file_among_several_is_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path / "good.jsonl", [{"prompt": "Hi", "completion": "Yo"}])
    odd = _write(tmp_path / "odd.jsonl", [{"premise": "x", "hypothesis": "y"}])
    assert main(["check", "--json", str(good), str(odd), str(tmp_path / "gone.jsonl")]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["format"], f["records"]) for f in doc["files"]] == [
        (str(good), "prompt-completion", 1),
        (str(odd), "unreadable", 0),
        (str(tmp_path / "gone.jsonl"), "unreadable", 0),
    ]
    assert [(f["rule"], f["path"], f["message"]) for f in doc["findings"]] == [
        (
            "unreadable-file",
            str(odd),
            "could not recognise the format (keys seen: premise, hypothesis); pass --format, "
            "one of: alpaca, dolly, dpo, gemini, kto, messages, prompt-completion, "
            "prompt-only, qa, sharegpt, tasks, text",
        ),
        ("unreadable-file", str(tmp_path / "gone.jsonl"), "no such file"),
    ]
    assert main(["check", str(odd)]) == 2  # alone: one line naming the file
    assert capsys.readouterr().err.startswith(f"sftprep: error: {odd}: could not recognise")


def test_estimate_says_how_non_sft_data_is_priced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "kto.jsonl", KTO * 3)
    args = ["estimate", str(path), "--model", "gpt-4o-mini-2024-07-18", "--json", "--quiet"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["assumptions"][1:3] == [
        "KTO preference data, priced as SFT on the desirable completions only (the undesirable "
        "ones are counted, not trained); hosted SFT has no KTO",
        "6 KTO records without a desirable completion are not priced",
    ]
    assert doc["tokens"]["trainable"] == 30 and doc["api"]["epochs"] == 16
    rl = _write(tmp_path / "rl.jsonl", [{"prompt": "2+2?", "ground_truth": "4"}])
    assert main(["estimate", str(rl), "--quiet"]) == 1
    headline = _out(capsys)
    assert "0 trainable" in headline and "trained (all epochs)" not in headline


def test_hh_transcripts_are_read_turn_by_turn_and_kept_by_fix(tmp_path: Path) -> None:
    rows = [
        {
            "chosen": "\n\nHuman: Hi\n\nAssistant: \n\nHuman: Hello?\n\nAssistant: Hi there.",
            "rejected": "\n\nHuman: Hi\n\nAssistant: Go away.",
        }
    ]
    path = _write(tmp_path / "hh.jsonl", rows)
    report = check(path)
    assert [(f.rule, f.field) for f in report.findings] == [
        ("empty-text", "chosen[1]"),
        ("not-sft-data", None),
        ("untrained-fields", None),
    ]
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert _read(out) == [] and _read(rejects)[0]["record"] == rows[0]
    fine = [{"chosen": "\n\nHuman: Hi\n\nAssistant: Hello.", "rejected": "\n\nHuman: Hi"}]
    path = _write(tmp_path / "fine.jsonl", fine)
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert _read(out) == fine  # the leading "\n\nHuman:" is the format, not whitespace


def test_gemini_rows_round_trip_and_gzip_is_read(tmp_path: Path) -> None:
    rows = [
        {
            "systemInstruction": {"role": "system", "parts": [{"text": "Be brief."}]},
            "contents": [
                {"role": "user", "parts": [{"text": f"Capital {i}?"}]},
                {"role": "model", "parts": [{"text": f"City {i}."}]},
            ],
        }
        for i in range(2)
    ]
    packed = tmp_path / "g.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))
    report = check(packed)
    assert [(f.format, f.records) for f in report.files] == [("gemini", 2)]
    assert list(report.findings) == []
    out, back = tmp_path / "m.jsonl", tmp_path / "g2.jsonl"
    assert main(["convert", str(packed), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert _read(out)[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert main(["convert", str(out), "-o", str(back), "--to", "gemini", "--quiet"]) == 0
    assert _read(back) == rows


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


def test_anthropic_system_column_goes_into_the_messages(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
    rows = [{"system": "Be brief.", "messages": turns}]
    out = tmp_path / "m.jsonl"
    path = _write(tmp_path / "a.jsonl", rows)
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert _read(out) == [
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Yo"},
            ]
        }
    ]


# --- second round: shapes of UltraChat, SlimOrca, LIMA, Bedrock Nova, OpenAI preference...


def test_a_chat_with_a_copy_of_its_first_prompt_is_chat_not_rl(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "Any advice?"}, {"role": "assistant", "content": "Rest."}]
    rows = [
        {"prompt": "Any advice?", "prompt_id": f"{i:064x}", "messages": turns} for i in range(3)
    ]
    report = check(_write(tmp_path / "ultrachat.jsonl", rows))
    assert [f.format for f in report.files] == ["messages"]
    assert count_tokens(tmp_path / "ultrachat.jsonl").trainable.values[0] > 0


def test_every_list_of_a_json_object_is_read_or_reported(tmp_path: Path) -> None:
    path = tmp_path / "splits.json"
    path.write_text(
        json.dumps(
            {
                "validation": [{"instruction": "Bye", "output": "Goodbye"}],
                "train": [{"instruction": "Hi", "output": "Hello"}],
                "notes": "Collected by the NLP group in 2023.",
                "version": "1.0",
            }
        ),
        encoding="utf-8",
    )
    report = check(path)
    assert report.files[0].records == 1
    assert [(f.rule, f.severity.value, f.field, f.message) for f in report.findings] == [
        (
            "unknown-key",
            "warning",
            "validation",
            "`validation` (a list of 1 record) beside `train` is not read: sftprep reads the "
            "records of `train`",
        ),
        (
            "unknown-key",
            "warning",
            "notes",
            "`notes` (text) beside `train` is not read: sftprep reads the records of `train`",
        ),
    ]


SLIMORCA = [
    {
        "conversations": [
            {"from": "system", "value": "You are an AI assistant.", "weight": None},
            {"from": "human", "value": f"Question {i}?", "weight": 0.0},
            {"from": "gpt", "value": f"Answer {i}.", "weight": 1.0},
        ]
    }
    for i in range(3)
]


def test_sharegpt_float_weights_are_the_convention_not_errors(tmp_path: Path) -> None:
    path = _write(tmp_path / "slimorca.jsonl", SLIMORCA)
    assert list(check(path).findings) == []
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert _read(out)[0]["messages"][1:] == [
        {"role": "user", "content": "Question 0?"},
        {"role": "assistant", "content": "Answer 0.", "weight": 1},
    ]
    assert list(check(out, target="openai", select=["duplicate"]).findings) == [
        f for f in check(out, target="openai").findings if f.rule == "target-openai"
    ]


def test_axolotl_training_flags_decide_what_is_trained(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Hi", "training": False},
                {"role": "assistant", "content": "Go away.", "training": False},
                {"role": "user", "content": "Please?", "training": False},
                {"role": "assistant", "content": "Hello!", "training": True},
            ]
        }
    ]
    path = _write(tmp_path / "axolotl.jsonl", rows)
    assert list(check(path, ignore=["missing-system"]).findings) == []
    assert count_tokens(path).trainable.values[0] == 2  # "Hello!" only


def test_llamafactory_target_refuses_an_answer_weighted_zero(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Capital of France?"},
                {"role": "assistant", "content": "Look it up.", "weight": 0},
                {"role": "user", "content": "Please?"},
                {"role": "assistant", "content": "Paris.", "weight": 1},
            ]
        }
    ]
    path = _write(tmp_path / "w.jsonl", rows)
    (finding,) = [f for f in check(path, target="llama-factory").findings if f.rule.startswith("t")]
    assert finding.message == (
        "message 1 is an answer weighted 0 (not to be trained); LLaMA-Factory reads no "
        "per-turn weight and would train it"
    )


def test_fix_writes_roles_in_the_vocabulary_of_each_turn(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [{"from": "Human", "value": "Hi?"}],
            "chosen": {"from": "GPT", "value": "Hello."},
            "rejected": {"from": "gpt", "value": "Bye."},
            "meta": {"template": "<|user|>\n\n", "turns": [{"from": "Human"}]},
        }
    ]
    path, out = _write(tmp_path / "d.jsonl", rows), tmp_path / "f.jsonl"
    rejects = tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    (fixed,) = _read(out)
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
    path = _write(tmp_path / "mixed.jsonl", rows)
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert "3 in = 3 out + 0 rejected" in _out(capsys)
    fixed, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(fixed), "--rejects", str(rejects), "--quiet"]) == 0
    assert _read(fixed)[2] == {"instruction": "Hi", "input": "", "output": "Yo"}


def test_an_empty_system_column_is_no_system_prompt(tmp_path: Path) -> None:
    rows = [{"system_prompt": "", "conversations": [{"from": "human", "value": "Hi"},
                                                    {"from": "gpt", "value": "Yo"}]}]  # fmt: skip
    path = _write(tmp_path / "h.jsonl", rows)
    assert [f.rule for f in check(path).findings] == ["missing-system"]
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert [m["role"] for m in _read(out)[0]["messages"]] == ["user", "assistant"]


def test_two_system_prompts_are_reported(tmp_path: Path) -> None:
    rows = [
        {
            "system": "Answer in French.",
            "messages": [
                {"role": "system", "content": "Answer in German."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hallo"},
            ],
        }
    ]
    (finding,) = check(_write(tmp_path / "s.jsonl", rows)).findings
    assert (finding.rule, finding.message) == (
        "role-order",
        "two system prompts (system and messages[0])",
    )


def test_hermes_calls_in_the_text_are_calls(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [
                {"from": "system", "value": "You call tools."},
                {"from": "human", "value": "Weather in Oslo?"},
                {"from": "gpt", "value": '<tool_call>{"name": "w", "arguments": {}}</tool_call>'},
                {"from": "tool", "value": '{"t": 3}'},
                {"from": "gpt", "value": "3 degrees."},
            ]
        }
    ]
    assert list(check(_write(tmp_path / "h.jsonl", rows)).findings) == []


def test_a_folder_with_a_dataset_card_is_read_as_shards(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "dataset_info.json").write_text('{"features": {}, "splits": {}}')
    (folder / "README.md").write_text("# card")
    row = {"prompt": "Hi", "completion": "Yo"}
    _write(folder / "train-0.jsonl", [row])
    _write(folder / "train-1.jsonl", [row])
    report = check(folder)
    assert [f.path for f in report.files] == [
        str(folder / "train-0.jsonl"),
        str(folder / "train-1.jsonl"),
    ]
    assert [f.rule for f in report.findings] == ["duplicate"]


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


def test_a_key_beside_the_one_it_resembles_is_no_misspelling(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Q?", "output": "A.", "instructions": "Always answer in British English."}
    ]
    (finding,) = check(_write(tmp_path / "i.jsonl", rows)).findings
    assert "misspelling" not in finding.message
    assert finding.hint == "read it as the system prompt (--map system=instructions), or drop it"


def test_lima_and_bedrock_nova_are_read(tmp_path: Path) -> None:
    lima = [{"conversations": ["What is 2+2?", "4.", "And 3+3?", "6."], "source": "x"}]
    report = check(_write(tmp_path / "lima.jsonl", lima), select=["no-assistant-turn"])
    assert list(report.findings) == []
    assert count_tokens(tmp_path / "lima.jsonl").trainable.values[0] == 4
    nova = [
        {
            "schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": "Be brief."}],
            "messages": [
                {"role": "user", "content": [{"text": "Hi"}]},
                {"role": "assistant", "content": [{"text": "Hello."}]},
            ],
        }
    ]
    report = check(_write(tmp_path / "nova.jsonl", nova))
    assert [f.rule for f in report.findings] == ["unknown-key"]  # schemaVersion, info


def test_openai_preference_rows_are_dpo(tmp_path: Path) -> None:
    rows = [
        {
            "input": {"messages": [{"role": "user", "content": "Hi"}], "tools": []},
            "preferred_output": [{"role": "assistant", "content": "Hello!"}],
            "non_preferred_output": [{"role": "assistant", "content": "What?"}],
        }
    ]
    report = check(_write(tmp_path / "pref.jsonl", rows))
    assert [f.format for f in report.files] == ["dpo"]
    assert [f.rule for f in report.findings] == ["not-sft-data", "untrained-fields"]


def test_prompts_without_answers_in_messages_are_not_converted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": "4"}]
    out = tmp_path / "m.jsonl"
    path = _write(tmp_path / "rft.jsonl", rows)
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert "1 in = 0 out + 1 rejected" in _out(capsys)


def test_an_hh_transcript_prompt_is_read_and_kept(tmp_path: Path) -> None:
    rows = [{"prompt": "\n\nHuman: Hi\n\nAssistant:", "answers": ["Hello.", "Yo."]}]
    path = _write(tmp_path / "nectar.jsonl", rows)
    rules = [f.rule for f in check(path).findings]
    assert "baked-template" not in rules and "untrimmed-whitespace" not in rules
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert _read(out) == rows


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


def test_chat_records_without_answers_are_rl_prompts(tmp_path: Path) -> None:
    """OpenAI reinforcement fine-tuning: `messages` ending on the user's turn and a
    `reference_answer` for the grader. Each record is an SFT error; the file gets one note
    that says what it is. A chat file with one broken record of three gets no such note."""
    prompt = [{"role": "developer", "content": "Answer."}, {"role": "user", "content": "2+2?"}]
    rows = [{"messages": prompt, "reference_answer": "4"}] * 2 + [{"messages": prompt}]
    found = check(_write(tmp_path / "rft.jsonl", rows)).findings
    assert [f.rule for f in found].count("no-assistant-turn") == 3
    (note,) = [f for f in found if f.rule == "not-sft-data"]
    assert (note.severity.value, note.location.record) == ("warning", 0)
    assert note.message.startswith(
        "3 of 3 conversations have no answer at all (they end on the prompt), 2 with a "
        "grader field (reference_answer...): RL prompt data in a chat shape"
    )
    chat = [*prompt, {"role": "assistant", "content": "4"}]
    rows = [{"messages": chat}, {"messages": prompt}, {"messages": chat}]
    assert not check(_write(tmp_path / "chat.jsonl", rows), select=["not-sft-data"]).findings


def _legacy_function_record(city: str, name: str | None = "weather") -> dict[str, Any]:
    reply: dict[str, Any] = {"role": "function", "content": '{"rain": true}'}
    if name:
        reply["name"] = name
    call = {"name": "weather", "arguments": json.dumps({"city": city})}
    return {
        "messages": [
            {"role": "user", "content": f"Is it raining in {city}?"},
            {"role": "assistant", "function_call": call},
            reply,
            {"role": "assistant", "content": f"Yes, it rains in {city}."},
        ],
        "functions": [{"name": "weather", "parameters": {"type": "object"}}],
    }


def _target_findings(path: Path) -> list[Any]:
    return [f for f in check(path, target="openai").findings if f.rule == "target-openai"]


def test_legacy_openai_functions_are_checked_as_such(tmp_path: Path) -> None:
    """OpenAI's function-calling fine-tuning format (`functions`, `function_call`, role
    `function` with `name`) is valid as written: --target openai finds nothing, fix leaves
    it byte for byte, convert --target openai writes `tools` and `tool_calls` with ids."""
    cities = [f"City {i}" for i in range(10)]
    path = _write(tmp_path / "legacy.jsonl", [_legacy_function_record(c) for c in cities])
    assert not _target_findings(path)
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert out.read_bytes() == path.read_bytes()
    converted = tmp_path / "c.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--target", "openai"]) == 0
    first = _read(converted)[0]
    assert sorted(first) == ["messages", "tools"]
    call_id = first["messages"][1]["tool_calls"][0]["id"]
    assert first["messages"][2]["tool_call_id"] == call_id
    assert not _target_findings(converted)
    nameless = _write(tmp_path / "n.jsonl", [_legacy_function_record(c, None) for c in cities])
    found = _target_findings(nameless)
    assert len(found) == 10 and found[0].field == "messages[2]"
    assert "needs `name` on function messages (legacy `functions` format)" in found[0].message


@pytest.mark.parametrize("role", [["user"], {"name": "user"}, 7])
def test_a_role_that_is_not_a_string_is_a_finding_in_stats_too(tmp_path: Path, role: Any) -> None:
    """The counting fast path hands such a record to the adapter, which reports it."""
    ok = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    bad = [{"role": role, "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    path = _write(tmp_path / "r.jsonl", [{"messages": ok}, {"messages": bad}])
    assert main(["stats", str(path), "--json", "--quiet"]) == 0
    assert count_tokens(path).records == 2
    wrong = [f for f in check(path).findings if f.rule == "wrong-type"]
    assert [(f.location.record, f.field) for f in wrong] == [(1, "messages[0].role")]


def _gemini_weather(declare: str = "functionDeclarations") -> dict[str, Any]:
    calls = [{"functionCall": {"name": "weather", "args": {"city": c}}} for c in ("Paris", "Rome")]
    replies = [
        {"functionResponse": {"name": "weather", "response": {"temp": t}}} for t in ("15C", "22C")
    ]
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
            {"role": "model", "parts": [{"text": "Both cities.", "thought": True}, *calls]},
            {"role": "user", "parts": replies},
            {"role": "model", "parts": [{"text": "15C and 22C."}]},
        ],
        "tools": [{declare: [{"name": "weather", "parameters": {"type": "OBJECT"}}]}],
    }


@pytest.mark.parametrize("declare", ["functionDeclarations", "function_declarations"])
def test_gemini_function_calling_is_read_whole(tmp_path: Path, declare: str) -> None:
    """Declared functions are the record's tools, each functionResponse is a tool reply
    of its own, a thought part is reasoning; fix keeps `model` as it is."""
    path = _write(tmp_path / "g.jsonl", [_gemini_weather(declare)])
    assert [f.rule for f in check(path).findings] == []
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert out.read_bytes() == path.read_bytes()
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    (record,) = _read(converted)
    assert [m["role"] for m in record["messages"]] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
    ]
    assert record["messages"][1]["reasoning"] == "Both cities."
    assert [m["content"] for m in record["messages"][2:4]] == ['{"temp": "15C"}', '{"temp": "22C"}']
    assert record["tools"] == [
        {"type": "function", "function": {"name": "weather", "parameters": {"type": "OBJECT"}}}
    ]


def test_gemini_assistant_role_is_a_warning(tmp_path: Path) -> None:
    row = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
    row["contents"].append({"role": "assistant", "parts": [{"text": "Hello"}]})
    (found,) = check(_write(tmp_path / "g.jsonl", [row])).findings
    assert (found.rule, found.severity.value, found.field) == (
        "invalid-role",
        "warning",
        "contents[1].role",
    )


def test_ms_swift_history_is_read_as_earlier_turns(tmp_path: Path) -> None:
    rows = [
        {
            "query": "And in French?",
            "response": "Merci.",
            "history": [["Thanks in German?", "Danke."]],
        },
        {"query": "Capital of Peru?", "response": "Lima.", "history": []},
    ]
    path = _write(tmp_path / "swift.jsonl", rows)
    assert [f.rule for f in check(path).findings] == ["mapped-names"]
    from sftprep.tokens import get_tokenizer

    tok = get_tokenizer("cl100k_base", backend="reference")
    answers = sum(tok.count(t) for t in ("Danke.", "Merci.", "Lima."))
    assert count_tokens(path, template="none").trainable.total == answers
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert _read(out) == rows
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    first = _read(converted)[0]
    assert list(first) == ["messages"]
    assert [m["content"] for m in first["messages"]] == [
        "Thanks in German?",
        "Danke.",
        "And in French?",
        "Merci.",
    ]
    bad = _write(tmp_path / "bad.jsonl", [{"query": "q", "response": "r", "history": "no"}])
    assert [(f.rule, f.field) for f in check(bad).findings if f.rule == "wrong-type"] == [
        ("wrong-type", "history")
    ]


def test_more_preference_spellings_are_dpo(tmp_path: Path) -> None:
    """ms-swift: `messages` ending on the chosen answer + `rejected_response`; torchtune's
    StackExchangePaired: `question`, `response_j` (preferred), `response_k`."""
    turns = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
    swift = [
        {"messages": turns, "rejected_response": "5"},
        {"messages": turns, "rejected_response": "4"},
    ]
    found = check(_write(tmp_path / "s.jsonl", swift)).findings
    assert [(f.rule, f.location.record) for f in found if f.severity.value != "info"] == [
        ("preference-pair", 1),
        ("not-sft-data", 0),
    ]
    assert count_tokens(tmp_path / "s.jsonl").records == 2
    pairs = [{"question": "Why?", "response_j": "Because.", "response_k": "No."}]
    report = check(_write(tmp_path / "p.jsonl", pairs))
    assert report.files[0].format == "dpo"
    assert [f.rule for f in report.findings] == ["not-sft-data", "untrained-fields"]


def test_rounds_of_speakers_are_turns(tmp_path: Path) -> None:
    """ms-swift's older ShareGPT: each element of `conversation` is one exchange."""
    rows = [
        {"system": "Be brief.", "conversation": [{"human": "Hi", "assistant": "Hello"}]},
        {"conversation": [{"human": "A", "assistant": "B"}, {"human": "C", "assistant": "D"}]},
    ]
    path = _write(tmp_path / "r.jsonl", rows)
    report = check(path)
    assert report.files[0].format == "sharegpt"
    assert [f.rule for f in report.findings] == ["missing-system"]
    out, rejects = tmp_path / "f.jsonl", tmp_path / "x.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert _read(out) == rows
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    assert [m["content"] for m in _read(converted)[1]["messages"]] == ["A", "B", "C", "D"]


def test_llama_python_tag_is_a_tool_call(tmp_path: Path) -> None:
    turns = [
        {"role": "user", "content": "Compute 2**20."},
        {"role": "assistant", "content": "<|python_tag|>print(2**20)"},
        {"role": "ipython", "content": "1048576"},
        {"role": "assistant", "content": "It is 1048576."},
    ]
    found = check(_write(tmp_path / "l.jsonl", [{"messages": turns}])).findings
    assert [f.rule for f in found] == ["missing-system", "mapped-names"]
    leak = [*turns[:3], {"role": "assistant", "content": "Done.<|python_tag|>"}]
    found = check(_write(tmp_path / "k.jsonl", [{"messages": leak}])).findings
    assert [(f.rule, f.field) for f in found if f.rule == "special-token-leak"] == [
        ("special-token-leak", "messages[3].content")
    ]


def test_duplicate_prompt_says_when_case_differs(tmp_path: Path) -> None:
    rows = [{"prompt": p, "completion": c} for p, c in (("hi there", "a"), ("Hi  There", "b"))]
    rows.append({"prompt": "hi there", "completion": "c"})
    found = check(_write(tmp_path / "d.jsonl", rows), select=["duplicate-prompt"]).findings
    assert [f.message for f in found] == [
        "same prompt (up to case and spacing) as record 0 (line 1)",
        "same prompt as record 0 (line 1)",
    ]


def test_anthropic_blocks_and_responses_parts_are_read(tmp_path: Path) -> None:
    """tool_use blocks are calls, tool_result blocks tool replies, thinking blocks
    reasoning; the Responses API's input_text/output_text parts are text; OpenAI's
    `refusal` is the answer."""
    anthropic = {
        "system": "Weather bot.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Paris?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Call the tool.", "signature": "x"},
                    {"type": "tool_use", "id": "t1", "name": "weather", "input": {"c": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "15C"}],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "15C."}]},
        ],
        "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
    }
    responses = {
        "messages": [
            {"role": "user", "content": [{"type": "input_text", "text": "cat in French?"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "chat"}]},
        ]
    }
    refusal = {
        "messages": [
            {"role": "user", "content": "Pick a lock?"},
            {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        ]
    }
    path = _write(tmp_path / "a.jsonl", [anthropic, responses, refusal])
    found = [f for f in check(path).findings if f.rule != "missing-system"]
    assert found == []
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    first, second, third = _read(converted)
    assert [m["role"] for m in first["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert first["messages"][2]["tool_calls"][0]["function"] == {
        "name": "weather",
        "arguments": '{"c": "Paris"}',
    }
    assert first["messages"][2]["reasoning"] == "Call the tool."
    assert first["messages"][3] == {"role": "tool", "content": "15C", "tool_call_id": "t1"}
    assert second == responses  # read whole (no finding above), so copied as it is
    assert third == refusal
    said = {
        "messages": [
            refusal["messages"][0],
            {"role": "assistant", "content": "I can't help with that."},
        ]
    }
    trainable = [
        count_tokens(_write(tmp_path / f"{i}.jsonl", [row])).trainable.total
        for i, row in enumerate((refusal, said))
    ]
    assert trainable[0] == trainable[1] > 0


def test_a_key_beside_the_singular_it_resembles_is_not_a_misspelling(tmp_path: Path) -> None:
    """WildChat: `conversation_hash` beside `conversation` (read as `conversations`)."""
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    row = {"conversation_hash": "c9ec5b440fbdd2a269333dd241f32f64", "conversation": turns}
    found = check(_write(tmp_path / "w.jsonl", [row]), select=["unknown-key"]).findings
    assert [(f.field, f.severity.value) for f in found] == [("conversation_hash", "info")]
    assert "misspelling" not in found[0].message


def test_a_yaml_given_as_the_dataset_says_which_option_takes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "env_config.yaml"
    config.write_text("path_settings: {}\n", encoding="utf-8")
    assert main(["check", str(config)]) == 2
    err = capsys.readouterr().err
    assert "a YAML file is a config, not a dataset" in err and "--aidaptiv-env" in err


def test_a_repeated_key_is_reported(tmp_path: Path) -> None:
    """JSON parsers keep the last value of a repeated key: the other text is lost."""
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"instruction": "Say hi", "output": "Hi!", "output": "Hello there!"}\n'
        '{"instruction": "Quote", "output": "He said \\"a\\": b", "input": "x"}\n',
        encoding="utf-8",
    )
    found = check(path, select=["duplicate-key"]).findings
    assert [(f.location.line, f.message) for f in found] == [
        (1, "key `output` appears twice in one object: only its last value is read")
    ]


def test_nothing_converted_registers_nothing(tmp_path: Path) -> None:
    """Every record rejected for LLaMA-Factory: no dataset_info.json entry for an empty file."""
    prompt = [{"role": "user", "content": "2+2?"}]
    path = _write(tmp_path / "p.jsonl", [{"messages": prompt}] * 2)
    out = tmp_path / "out" / "data.json"
    out.parent.mkdir()
    assert main(["convert", str(path), "-o", str(out), "--target", "llama-factory"]) in (0, 1)
    assert not (out.parent / "dataset_info.json").exists()

"""aiDAPTIV+ dataset configs: validated first, then they drive the conversion."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sftprep.check import check
from sftprep.errors import UsageError
from sftprep.formats.aidaptiv import load_config
from sftprep.model import Location
from sftprep.pipeline import load

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
LOC = Location("data.jsonl", 1, 0)

RAFT = {
    "question": "What is RAFT?",
    "context": {"sentences": [["Doc one.", "More."], ["Doc two."]], "title": [["a"], ["b"]]},
    "cot_answer": "It adapts models to a domain. <ANSWER>: fine-tuning with retrieved documents",
}


def _write(tmp_path: Path, config: str) -> Path:
    (tmp_path / "data.jsonl").write_text(json.dumps(RAFT) + "\n")
    path = tmp_path / "dataset.yaml"
    path.write_text(config)
    return path


def test_rag_entry_drives_the_conversation(tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        "data_path: data.jsonl\nstrategy: rag\nsystem_prompt: Use the documents.\n"
        'user_prompt: "Documents:\\n{rag}\\nQuestion: {question}"\n'
        "question_key: question\nanswer_key: cot_answer\nrag_key: context.sentences\n",
    )
    (conv,) = list(load(None, config=config))  # type: ignore[arg-type]
    assert conv.roles == ("system", "user", "assistant")
    assert (
        conv.messages[1].content == "Documents:\nDoc one.\nMore.\nDoc two.\nQuestion: What is RAFT?"
    )
    assert conv.messages[2].content_field == "cot_answer"
    assert conv.leftovers == {"context.title": [["a"], ["b"]]}
    # The documents' titles are not in the prompt: noted once, as metadata.
    (note,) = check(None, config=config).findings
    assert (note.rule, note.severity.value, note.message) == (
        "untrained-fields",
        "info",
        "not trained (aidaptiv format's own keys): `context.title` (1 record, "
        "metadata (short labels or ids))",
    )


def test_config_findings_name_the_key_and_line(tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        "data_path: data.jsonl\nstrategy: qa\nquestion_key: question\nanswer_key: cot_answer\n"
        "---\n"
        "data_path: data.jsonl\nstrategy: rag\nuser_prompt: 'Q: {question}'\n"
        "question_key: question\nanswer_key: [cot_answer, other]\nrag_keys: context\n"
        "---\n"
        "data_path: missing.jsonl\nstrategy: sft\n",
    )
    entries, findings = load_config(config)
    assert len(entries) == 1
    got = [(f.rule, f.field, f.location.line) for f in findings]
    assert got == [
        ("unknown-key", "rag_keys", 11),
        ("config-invalid", "answer_key", 10),
        ("config-invalid", "rag_key", 6),
        ("config-invalid", "user_prompt", 8),
        ("config-invalid", "strategy", 14),
        ("config-invalid", "data_path", 13),
    ]
    report = check(None, config=config)
    assert report.summary["records"] == 1
    assert report.summary["by_rule"]["config-invalid"] == 5


def test_invalid_yaml_is_a_finding(tmp_path: Path) -> None:
    config = _write(tmp_path, "data_path: [unclosed\n")
    entries, findings = load_config(config)
    assert entries == [] and [f.rule for f in findings] == ["config-invalid"]


# Phison's own example (aiDAPTIV-Phison/aiDAPTIV,
# Examples/Training_Examples/PhisonAI_20GB_8B/QA_dataset_config.yaml): a named entry,
# upper-case strategy, a Hugging Face Hub id as data_path.
PHISON_QA = """\
rm-static:
  data_path: "Dahoas/rm-static"
  strategy: "QA"
  system_prompt: ""
  user_prompt: "{question}"
  question_key: "instruction"
  answer_key: "response"
  label_key: "response"
  exp_type: train
"""


def test_phison_example_config_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "QA_dataset_config.yaml"
    path.write_text(PHISON_QA)
    (entry,), findings = load_config(path)
    assert findings == []
    assert (entry.name, entry.strategy, entry.data_path) == (
        "rm-static",
        "qa",
        Path("Dahoas/rm-static"),
    )
    assert (entry.question_keys, entry.answer_keys) == (("instruction",), ("response",))
    assert (entry.system_prompt, entry.label_key, entry.exp_type) == (None, "response", "train")
    conv = entry.format().to_conversation({"instruction": "Hi?", "response": "Hello."}, LOC)
    assert [(m.role, m.content, m.content_field) for m in conv.messages] == [
        ("user", "Hi?", "instruction"),
        ("assistant", "Hello.", "response"),
    ]


# The documented examples of every strategy (Page_Sections/Configuration_Options), named
# entries separated by `---`, pointing at local files.
DOCUMENTED = """\
raft:
  data_path: raft.jsonl
  strategy: "rag"
  system_prompt:
  user_prompt: "Context: {rag}, based on the context answer the question: {question}"
  question_key: question
  answer_key: answer
  rag_key: context.sentences   # supports nested format
  exp_type: train
  label_key: answer
---
corpus:
  data_path: corpus.jsonl
  strategy: "pretrain"
  system_prompt:
  user_prompt:
  text: body
  exp_type: train
---
photos:
  data_path: vqa.json
  strategy: "vqa"
  system_prompt:
  user_prompt: "Based on the image, answer the following question: {question}"
  question_key: question
  answer_key: answer
  image_key: image
  exp_type: train
  label_key: answer
---
chat:
  data_path: chat.jsonl
  strategy: qa
  system_prompt: Be brief.
  question_key: [q1, q2]
  answer_key: [a1, a2]
  exp_type: eval
"""


def _documented(tmp_path: Path) -> Path:
    rows = {
        "raft.jsonl": {"question": "Q?", "context": {"sentences": [["D1", "D2"]]}, "answer": "A"},
        "corpus.jsonl": {"body": "Once upon a time.", "source": "web"},
        "vqa.json": {"question": "Colour?", "answer": "Red", "image": "img/1.png"},
        "chat.jsonl": {"q1": "Hi", "a1": "Hello", "q2": "Bye", "a2": "Ciao"},
    }
    for name, row in rows.items():
        (tmp_path / name).write_text(json.dumps(row) + "\n")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "1.png").write_bytes(base64.b64decode(PNG_1PX))  # the vqa image
    path = tmp_path / "datasets.yaml"
    path.write_text(DOCUMENTED)
    return path


# A 1 x 1 PNG.
PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJ"
    "RU5ErkJggg=="
)


def test_documented_entries_drive_each_strategy(tmp_path: Path) -> None:
    entries, findings = load_config(_documented(tmp_path))
    assert findings == []
    assert [(e.name, e.strategy, e.data_path.name) for e in entries] == [
        ("raft", "rag", "raft.jsonl"),
        ("corpus", "pretrain", "corpus.jsonl"),
        ("photos", "vqa", "vqa.json"),
        ("chat", "qa", "chat.jsonl"),
    ]
    assert all(e.data_path.parent == tmp_path for e in entries)
    assert [e.format().name for e in entries] == ["aidaptiv", "text", "aidaptiv", "aidaptiv"]
    convs = list(load(None, config=tmp_path / "datasets.yaml"))  # type: ignore[arg-type]
    got = [[(m.role, m.content, m.content_field) for m in c.messages] for c in convs]
    assert got == [
        [
            (
                "user",
                "Context: D1\nD2, based on the context answer the question: Q?",
                "question",
            ),
            ("assistant", "A", "answer"),
        ],
        [("assistant", "Once upon a time.", "body")],
        [
            ("user", "Based on the image, answer the following question: Colour?", "question"),
            ("assistant", "Red", "answer"),
        ],
        [
            ("system", "Be brief.", "system_prompt"),
            ("user", "Hi", "q1"),
            ("assistant", "Hello", "a1"),
            ("user", "Bye", "q2"),
            ("assistant", "Ciao", "a2"),
        ],
    ]
    assert convs[0].fields == {"context.sentences": "D1\nD2", "question": "Q?", "answer": "A"}
    assert convs[1].metadata == {"source": "web"} and convs[1].format == "text"
    assert convs[2].metadata == {"image": "img/1.png"}
    report = check(None, config=tmp_path / "datasets.yaml")
    assert [f.records for f in report.files] == [1, 1, 1, 1]
    # Nothing wrong; what is not trained is noted once per file (the vqa image is media:
    # read and checked by the media rules, so not listed as untrained).
    found = [
        (f.rule, f.severity.value, Path(f.location.path).name, f.field) for f in report.findings
    ]
    assert found == [
        ("not-sft-data", "info", "corpus.jsonl", None),
        ("unknown-key", "info", "corpus.jsonl", "source"),
    ]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"question": "Q?", "answer": "A", "context": {"sentences": []}}, []),
        ({"answer": "A", "context": {"sentences": []}}, [("missing-key", "question")]),
        ({"question": "Q?", "answer": "A", "context": {}}, [("missing-key", "context.sentences")]),
        (
            {"question": "Q?", "answer": 4, "context": {"sentences": 7}},
            [("wrong-type", "answer"), ("wrong-type", "context.sentences")],
        ),
        ({"question": None, "answer": "A", "context": {"sentences": "doc"}}, []),
        (["not", "an", "object"], [("not-an-object", None)]),
    ],
)
def test_records_are_checked_against_the_config_keys(
    tmp_path: Path, record: object, expected: list[tuple[str, str | None]]
) -> None:
    entries, _ = load_config(_documented(tmp_path))
    fmt = entries[0].format()
    assert [(f.rule, f.field) for f in fmt.validate(record, LOC)] == expected


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # A name used twice: the second entry is reported at its name's line.
        (
            "a:\n  data_path: d.jsonl\n  strategy: qa\n  question_key: q\n  answer_key: a\n"
            "---\n"
            "a:\n  data_path: d.jsonl\n  strategy: pretrain\n",
            [("config-invalid", "a", 7)],
        ),
        # A named entry that is not a mapping, a document that is a list.
        ("broken: 3\n", [("config-invalid", "broken", 1)]),
        ("- data_path: d.jsonl\n", [("config-invalid", None, 1)]),
        # Hub ids are fine; a missing local path (with a dot or several parts) is not.
        ("x:\n  data_path: org/data\n  strategy: pretrain\n", []),
        (
            "x:\n  data_path: ./nope/d.jsonl\n  strategy: pretrain\n",
            [("config-invalid", "data_path", 2)],
        ),
        # Wrong types, the pretrain column, an empty config.
        (
            "x:\n  data_path: d.jsonl\n  strategy: pretrain\n  text: [a]\n  exp_type: 1\n",
            [("config-invalid", "exp_type", 5), ("config-invalid", "text", 4)],
        ),
        (
            "x:\n  data_path: d.jsonl\n  strategy: qa\n  question_key: q\n  answer_key: {a: 1}\n",
            [("config-invalid", "answer_key", 5)],
        ),
        (
            "x:\n  data_path: d.jsonl\n  strategy: vqa\n  question_key: q\n  answer_key: a\n",
            [("config-invalid", "image_key", 1)],
        ),
        ("# nothing\n", [("config-invalid", None, 1)]),
    ],
)
def test_config_validation(tmp_path: Path, config: str, expected: list[tuple]) -> None:
    (tmp_path / "d.jsonl").write_text("{}\n")
    path = tmp_path / "c.yaml"
    path.write_text(config)
    _, findings = load_config(path)
    assert [(f.rule, f.field, f.location.line) for f in findings] == expected


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")


def test_real_raft_file_through_a_rag_config(tmp_path: Path) -> None:
    # The early RAFT schema has no rendered `instruction`: a rag entry builds the prompt.
    path = tmp_path / "raft.yaml"
    path.write_text(
        f"raft:\n  data_path: {REAL / 'gorilla__raft_sample_ds4.jsonl'}\n  strategy: rag\n"
        '  user_prompt: "{rag}\\n{question}"\n'
        "  question_key: question\n  answer_key: answer\n"
        "  rag_key: context.sentences\n"
    )
    raw = json.loads((REAL / "gorilla__raft_sample_ds4.jsonl").read_text().splitlines()[0])
    convs = list(load(None, config=path))  # type: ignore[arg-type]
    assert len(convs) == 15
    documents = raw["context"]["sentences"][0]
    assert len(documents) == 4
    assert convs[0].messages[0].content == "\n".join(documents) + "\n" + raw["question"]
    assert convs[0].messages[1].content == raw["answer"]
    assert check(None, config=path).summary["errors"] == 0

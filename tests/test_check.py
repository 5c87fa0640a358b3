"""The notable facts of ../shared/data/real/SOURCES.md, reported by the right rule.

Each file is checked end to end (reader -> format -> rules). Expected records are
computed here straight from the raw files (not through sftprep), and their start
lines by an independent scan of the file text. Every record rule not listed for a
file must stay silent on it: these are real, mostly clean datasets, so anything
else would be a false positive.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.findings import Finding, Report

sys.path.insert(0, str(Path(__file__).resolve().parent / "rules"))  # rulekit
from rulekit import family_record_rules

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
pytestmark = [
    pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found"),
    pytest.mark.real_data,
]

RECORD_RULES = family_record_rules()


# -- independent views of the raw files ------------------------------------------


@cache
def records(name: str) -> list[Any]:
    path = REAL / name
    if path.suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


@cache
def start_lines(name: str) -> list[int]:
    """1-based line where each record starts, from the file text alone."""
    text = (REAL / name).read_text(encoding="utf-8")
    if name.endswith(".jsonl"):
        return [n for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return [text[: len(text) - len(stripped)].count("\n") + 1]
    lines, depth, line, in_string, escaped = [], 0, 1, False, False
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            escaped, in_string = (
                (not escaped and ch == "\\"),
                (in_string and (escaped or ch != '"')),
            )
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            if depth == 1:
                lines.append(line)
            depth += 1
        elif ch in "}]":
            depth -= 1
    return lines


def canonical(record: Any) -> bytes:
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).digest()


def later_copies(keys: list[Any]) -> list[int]:
    """Indices whose key equals an earlier index's key."""
    seen: set[Any] = set()
    out = []
    for i, key in enumerate(keys):
        if key in seen:
            out.append(i)
        seen.add(key)
    return out


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@cache
def report(name: str) -> Report:
    return check(REAL / name)


# -- the table -------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """``rule`` reports exactly the records ``expected`` returns (index, field)."""

    file: str
    rule: str
    expected: Callable[[], list[tuple[int, str | None]]]
    sources_count: int | None = None  # the number SOURCES.md states, when it states one
    note: str = ""  # why our count differs from SOURCES.md


def _empty(name: str, key: str) -> Callable[[], list[tuple[int, str | None]]]:
    def compute() -> list[tuple[int, str | None]]:
        return [(i, key) for i, r in enumerate(records(name)) if not (r.get(key) or "").strip()]

    return compute


def _dups(name: str) -> Callable[[], list[tuple[int, str | None]]]:
    return lambda: [(i, None) for i in later_copies([canonical(r) for r in records(name)])]


def _dup_prompts(
    name: str, prompt: Callable[[Any], str], field: Callable[[Any], str]
) -> Callable[[], list[tuple[int, str | None]]]:
    def compute() -> list[tuple[int, str | None]]:
        # A record that is an exact copy of an earlier one is `duplicate`'s, not repeated here.
        rs = records(name)
        exact = set(later_copies([canonical(r) for r in rs]))
        repeats = later_copies([norm(prompt(r)) for r in rs])
        return [(i, field(rs[i])) for i in repeats if i not in exact]

    return compute


def _every(name: str, field: str) -> Callable[[], list[tuple[int, str | None]]]:
    return lambda: [(i, field) for i in range(len(records(name)))]


def _containing(name: str, key: str, needle: str) -> Callable[[], list[tuple[int, str | None]]]:
    return lambda: [(i, key) for i, r in enumerate(records(name)) if needle in r[key]]


def _trailing_blanks(
    name: str, keys: tuple[str, ...]
) -> Callable[[], list[tuple[int, str | None]]]:
    """(record, key) of every text ending in spaces or tabs, keys in record order."""

    def compute() -> list[tuple[int, str | None]]:
        return [
            (i, k)
            for i, r in enumerate(records(name))
            for k, v in r.items()
            if k in keys and isinstance(v, str) and v.rstrip("\n") != v.rstrip()
        ]

    return compute


# Commentary as a reader would spot it: lower-cased phrases, no regular expressions.
DISCLAIMERS = ("as an ai ", "as an ai,", "as a language model", "as a large language model")
REFUSALS = ("sorry, but i can't", "sorry, but i cannot", "sorry, i cannot", "sorry, i can't",
            "sorry, but i am unable", "sorry, but i'm unable")  # fmt: skip
NOTES = ("\nnote:", "\nnote that", "(note:", "(note that", "*(note:", "**note:**",
         "please note", "\n*note:", "\nnb:")  # fmt: skip


def commented(text: str) -> bool:
    low = "\n" + text.lower()
    return any(p in low for p in (*DISCLAIMERS, *REFUSALS, *NOTES))


def _commentary(
    name: str,
    answers: Callable[[Any], list[tuple[str, str]]],
    *,
    not_commentary: tuple[int, ...] = (),
    also: tuple[tuple[int, str], ...] = (),
) -> Callable[[], list[tuple[int, str | None]]]:
    """Answers holding a commentary phrase, less the records the rule reads against their
    prompt and finds legitimate (``not_commentary``: a tip, a policy, a clarifying question,
    an excuse the user asked for, an identity answer), plus refusals no phrase here names
    (``also``); the real_data tests of tests/rules/test_quality.py pin each of them."""

    def compute() -> list[tuple[int, str | None]]:
        rs = records(name)
        phrased = [(i, f) for i, r in enumerate(rs) for f, text in answers(r) if commented(text)]
        kept = [(i, f) for i, f in phrased if i not in not_commentary]
        return sorted([*kept, *also])

    return compute


def _looping(name: str) -> Callable[[], list[tuple[int, str | None]]]:
    """Answers holding a run of 2,000 zeros (a model stuck in a loop)."""
    return lambda: [
        (i, f)
        for i, r in enumerate(records(name))
        for f, t in _sharegpt_answers(r)
        if "0" * 2000 in t
    ]


def _sharegpt_answers(r: Any) -> list[tuple[str, str]]:
    return [
        (f"conversations[{j}].value", t["value"])
        for j, t in enumerate(r["conversations"])
        if t["from"] == "gpt" and isinstance(t["value"], str)
    ]


def _parts_answers(r: Any) -> list[tuple[str, str]]:
    return [
        (f"messages[{j}].content", "".join(p["value"] for p in m["content"] if p["type"] == "text"))
        for j, m in enumerate(r["messages"])
        if m["role"] == "assistant"
    ]


AXOLOTL = "axolotl__conversation.missingturns.json"
CODEALPACA = "codealpaca__code_alpaca_2k.json"
FASTCHAT = "fastchat__dummy_conversation.json"
FUNCTIONARY = "functionary__test_case.json"
GEORGIAN = "georgian-llm-finetuning-toolkit__example_data_alpaca.csv"
RAFT_PR918 = "gorilla-pr918__raft_en_test.jsonl"
RAFT_DS4 = "gorilla__raft_sample_ds4.jsonl"
DOLLY = "litgpt__dolly_fixture.json"
ZENA = "llamafactory-pr10357__zena007_train_sft.jsonl"
ALPACA_DEMO = "llamafactory__alpaca_en_demo.json"
GLAIVE = "llamafactory__glaive_toolcall_en_demo.json"
REASON_TOOLS = "llamafactory__reason_tool_use_demo_50.jsonl"
HHRLHF = "llm-foundry__dolly_hhrlhf_train_small.jsonl"
WWDC = "mlx-examples__wwdc25_train.jsonl"
DRONE = "openai-cookbook__drone_training.jsonl"
SELF_INSTRUCT = "self-instruct__t0_ag_news_classify_with_choices.jsonl"
ALL_FILES = sorted(p.name for p in REAL.glob("*") if p.suffix in (".json", ".jsonl", ".csv"))


def _first_turn(r: Any) -> str:
    return str(r["conversations"][0]["value"])


def _parts_prompt(r: Any) -> str:
    """System and user text before the first assistant turn (content is typed parts)."""
    out = []
    for m in r["messages"]:
        if m["role"] == "assistant":
            break
        out.append(
            m["role"] + ":" + "".join(p["value"] for p in m["content"] if p["type"] == "text")
        )
    return "\n".join(out)


FACTS = [
    # The fixture's point: the first gpt turn (index 1) is empty.
    Fact(AXOLOTL, "empty-text", lambda: [(0, "conversations[1].value")]),
    Fact(AXOLOTL, "missing-system", lambda: [(0, "conversations")]),
    Fact(CODEALPACA, "empty-text", _empty(CODEALPACA, "output"), sources_count=2),
    Fact(
        FASTCHAT,
        "duplicate-prompt",
        _dup_prompts(FASTCHAT, _first_turn, lambda r: "conversations[0].value"),
        note="SOURCES: 52 distinct first prompts in 500 -> 448 repeats",
    ),
    Fact(FASTCHAT, "missing-system", _every(FASTCHAT, "conversations")),
    Fact(FUNCTIONARY, "missing-system", lambda: [(0, "messages")]),
    Fact(RAFT_DS4, "empty-text", _every(RAFT_DS4, "cot_answer"), sources_count=15),
    Fact(ALPACA_DEMO, "duplicate", _dups(ALPACA_DEMO), sources_count=14),
    Fact(
        ALPACA_DEMO,
        "duplicate-prompt",
        _dup_prompts(
            ALPACA_DEMO, lambda r: r["instruction"] + "\n" + r["input"], lambda r: "instruction"
        ),
        note="the 14 exact duplicates are the only repeated prompts: `duplicate` has them",
    ),
    Fact(GLAIVE, "duplicate", _dups(GLAIVE), sources_count=35),
    Fact(
        GLAIVE,
        "duplicate-prompt",
        _dup_prompts(GLAIVE, _first_turn, lambda r: "conversations[0].value"),
        note="SOURCES counts 99 repeated first prompts; 35 of them are exact duplicates",
    ),
    Fact(GLAIVE, "missing-system", _every(GLAIVE, "conversations")),
    Fact(
        GLAIVE,
        "repeated-text",
        _looping(GLAIVE),
        note="record 243's Go answer writes thousands of '0' into a registry value: a loop",
    ),
    Fact(
        REASON_TOOLS,
        "duplicate-prompt",
        _dup_prompts(REASON_TOOLS, _parts_prompt, lambda r: "messages[1].content"),
        note="not in SOURCES: 4 records share one system + LinkedIn-page user prompt",
    ),
    # Three U+FFFD in one prompt (SOURCES says "one U+FFFD", it is one damaged
    # passage): one finding per field, the message counts them (x3).
    Fact(HHRLHF, "encoding-damage", _containing(HHRLHF, "prompt", "\ufffd"), sources_count=1),
    Fact(HHRLHF, "baked-template", _every(HHRLHF, "prompt"), sources_count=1000),
    Fact(
        HHRLHF,
        "duplicate-prompt",
        _dup_prompts(HHRLHF, lambda r: r["prompt"], lambda r: "prompt"),
        sources_count=1,
    ),
    Fact(WWDC, "duplicate", _dups(WWDC), sources_count=437),
    Fact(
        WWDC,
        "duplicate-prompt",
        _dup_prompts(WWDC, lambda r: r["prompt"], lambda r: "prompt"),
        note=(
            "SOURCES counts 271 distinct prompts (1529 repeats) comparing exactly; the rule"
            " ignores case, which merges 53 more ('59th Super Bowl' vs '59th super bowl'):"
            " 218 distinct, 1582 repeats, of which 437 exact copies are `duplicate`'s: 1145"
        ),
    ),
    Fact(
        SELF_INSTRUCT,
        "special-token-leak",
        _containing(SELF_INSTRUCT, "completion", "<|endoftext|>"),
        sources_count=200,
    ),
    Fact(
        RAFT_PR918,
        "untrimmed-whitespace",
        _trailing_blanks(RAFT_PR918, ("question", "cot_answer", "instruction")),
        note="SOURCES: questions keep trailing spaces; 15 of 20, in `question` and again at "
        "the end of `instruction`, which embeds the question",
    ),
    Fact(
        ZENA,
        "model-commentary",
        _commentary(ZENA, lambda r: [("output", r["output"])], not_commentary=(269,)),
        note="SOURCES counts 59 outputs with 'Note: ...'; '(Note that ...)', 'Please note' "
        "and '**Note:**' appendices make 69, less #269: a note under a meal-plan heading",
    ),
    Fact(
        ALPACA_DEMO,
        "model-commentary",
        _commentary(
            ALPACA_DEMO,
            lambda r: [("output", r["output"])],
            not_commentary=(65, 109, 276, 780, 930, 995),  # tips, an asked-for excuse...
        ),
    ),
    Fact(
        FASTCHAT,
        "model-commentary",
        _commentary(FASTCHAT, _sharegpt_answers, not_commentary=tuple(range(500))),
        note="the 24 'As a language model, I go by Vicuna' answer 'Who are you?'",
    ),
    Fact(
        GLAIVE,
        "model-commentary",
        _commentary(
            GLAIVE,
            _sharegpt_answers,
            not_commentary=tuple(i for i in range(300) if i not in (14, 240)),
        ),
        note="the 42 refusals and 'as an AI' answers decline what the record's declared tools "
        "cannot do ('I don't have the capability to book flights. My current function is...'): "
        "what a tool-use set teaches; the two appended notes remain",
    ),
    Fact(
        REASON_TOOLS,
        "model-commentary",
        _commentary(REASON_TOOLS, _parts_answers, not_commentary=(33, 48)),
    ),
    Fact(HHRLHF, "model-commentary", _commentary(HHRLHF, lambda r: [("response", r["response"])])),
]

# Differences from SOURCES.md that the counts above encode.
COUNTS = {
    (FASTCHAT, "duplicate-prompt"): 448,
    (WWDC, "duplicate-prompt"): 1145,
    (ALPACA_DEMO, "duplicate-prompt"): 0,
    (GLAIVE, "duplicate-prompt"): 64,
    (REASON_TOOLS, "duplicate-prompt"): 3,
    (RAFT_PR918, "untrimmed-whitespace"): 30,
    (ZENA, "model-commentary"): 68,
    (ALPACA_DEMO, "model-commentary"): 24,
    (FASTCHAT, "model-commentary"): 0,
    (GLAIVE, "model-commentary"): 2,
    (REASON_TOOLS, "model-commentary"): 0,
    (HHRLHF, "model-commentary"): 3,
}


# Findings about a whole file (no record), each with a test of its own below.
DATASET_FINDINGS = {(SELF_INSTRUCT, "label-skew")}


def findings(name: str, rule: str) -> list[Finding]:
    return [f for f in report(name).findings if f.rule == rule]


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f"{f.file.split('__')[0]}-{f.rule}")
def test_fact_is_reported_at_the_right_place(fact: Fact) -> None:
    expected = fact.expected()
    if fact.sources_count is not None:
        assert len(expected) == fact.sources_count, "the raw file disagrees with SOURCES.md"
    if (fact.file, fact.rule) in COUNTS:
        assert len(expected) == COUNTS[fact.file, fact.rule], fact.note
    got = findings(fact.file, fact.rule)
    assert [(f.location.record, f.field) for f in got] == expected
    lines = start_lines(fact.file)
    assert [f.location.line for f in got] == [lines[i] for i, _ in expected]
    assert all(f.location.path == str(REAL / fact.file) for f in got)


@pytest.mark.parametrize("name", ALL_FILES)
def test_no_other_record_findings(name: str) -> None:
    """Record rules without a fact for this file report nothing (no false positives)."""
    expected = {fact.rule for fact in FACTS if fact.file == name}
    expected |= {rule for file, rule in DATASET_FINDINGS if file == name}
    counts = Counter(f.rule for f in report(name).findings if f.rule in RECORD_RULES)
    assert {rule: n for rule, n in counts.items() if rule not in expected} == {}


def test_codealpaca_empty_outputs_are_the_documented_ones() -> None:
    (first, second) = findings(CODEALPACA, "empty-text")
    prompts = [records(CODEALPACA)[f.location.record]["instruction"] for f in (first, second)]
    assert "Determine the largest value in an array of integers." in prompts


def test_hhrlhf_replacement_characters() -> None:
    (finding,) = findings(HHRLHF, "encoding-damage")
    assert "U+FFFD replacement character x3" in finding.message
    assert "\ufffd" in finding.excerpt


def test_duplicate_message_points_at_first_copy() -> None:
    first_copy: dict[bytes, int] = {}
    for i, r in enumerate(records(GLAIVE)):
        first_copy.setdefault(canonical(r), i)
    lines = start_lines(GLAIVE)
    for f in findings(GLAIVE, "duplicate"):
        assert f.location.record is not None
        j = first_copy[canonical(records(GLAIVE)[f.location.record])]
        assert f.message == f"exact duplicate of record {j} (line {lines[j]})"


def test_tool_datasets_are_clean() -> None:
    """functionary: calls without ids, tool-call-only turns with null/'' content and
    `python` via code_interpreter; drone: every call reuses id 'call_id' but nothing
    replies, so nothing is ambiguous; glaive/reason-tool-use: tools as JSON text."""
    tool_rules = {"empty-text", "tool-call-arguments", "tool-undeclared",
                  "tool-response-orphan", "tool-call-id-reused", "role-order"}  # fmt: skip
    for name in (FUNCTIONARY, DRONE, GLAIVE, REASON_TOOLS):
        assert [f for f in report(name).findings if f.rule in tool_rules] == [], name


def test_drone_reuses_call_ids() -> None:
    ids = {
        call["id"]
        for r in records(DRONE)
        for m in r["messages"]
        for call in m.get("tool_calls", [])
    }
    assert ids == {"call_id"}
    assert findings(DRONE, "tool-call-id-reused") == []


def test_start_line_scanner() -> None:
    assert start_lines(AXOLOTL) == [1]
    assert len(start_lines(CODEALPACA)) == len(records(CODEALPACA))
    assert len(start_lines(ALPACA_DEMO)) == len(records(ALPACA_DEMO))
    assert len(start_lines(HHRLHF)) == 1000


def test_label_skew_names_the_choices_never_answered() -> None:
    """SOURCES: only 2 of the 4 AG News classes the prompt offers are ever answered."""
    labels = Counter(r["completion"].removesuffix("<|endoftext|>") for r in records(SELF_INSTRUCT))
    assert labels == {"Science and technology": 122, "Business": 78}
    (finding,) = findings(SELF_INSTRUCT, "label-skew")
    assert finding.severity.value == "warning" and finding.field == "completion"
    assert (finding.location.line, finding.location.record) == (None, None)
    assert finding.message == (
        "2 labels in 200 answers: 'Science and technology' 122 (61%), 'Business' 78 (39%); "
        "choices never answered: 'world politics', 'sports'"
    )
    others = [n for n in ALL_FILES if n != SELF_INSTRUCT and findings(n, "label-skew")]
    assert others == []

"""The precise rules on the real datasets of ../shared/data/real: what model-commentary
still reports (and which of its former findings were false positives), and that the
escape rules and the token table stay quiet where the data is clean."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from sftprep.check import check
from sftprep.findings import Finding

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")

ZENA = "llamafactory-pr10357__zena007_train_sft.jsonl"
ALPACA = "llamafactory__alpaca_en_demo.json"
GLAIVE = "llamafactory__glaive_toolcall_en_demo.json"
FASTCHAT = "fastchat__dummy_conversation.json"
HHRLHF = "llm-foundry__dolly_hhrlhf_train_small.jsonl"
REASON = "llamafactory__reason_tool_use_demo_50.jsonl"
SELF_INSTRUCT = "self-instruct__t0_ag_news_classify_with_choices.jsonl"
AI, REFUSAL, NOTE = "an AI disclaimer", "a refusal", "an appended note"
RULES = ["model-commentary", "literal-escape", "lost-unicode-escape", "special-token-leak",
         "encoding-damage", "empty-text"]  # fmt: skip


def files() -> list[str]:
    return sorted(p.name for p in REAL.glob("*") if p.suffix in (".json", ".jsonl", ".csv"))


@cache
def found(name: str, rule: str) -> list[Finding]:
    return [f for f in _report(name) if f.rule == rule]


@cache
def _report(name: str) -> tuple[Finding, ...]:
    return tuple(check(REAL / name, select=RULES).findings)


def kinds(name: str) -> dict[int | None, str]:
    return {
        f.location.record: f.message.rsplit(": ", 1)[1] for f in found(name, "model-commentary")
    }


# Findings before this change: ZENA 69, ALPACA 30, GLAIVE 36, FASTCHAT 24, HHRLHF 3, REASON 2.
# GLAIVE 44 -> 2: its refusals decline what the declared tools cannot do (see below).
COMMENTARY = {ZENA: 68, ALPACA: 24, GLAIVE: 2, FASTCHAT: 0, HHRLHF: 3, REASON: 0}


def test_model_commentary_counts() -> None:
    counts = {name: len(found(name, "model-commentary")) for name in COMMENTARY}
    assert counts == COMMENTARY
    others = [n for n in files() if n not in COMMENTARY and found(n, "model-commentary")]
    assert others == []


# Former findings read against their records and judged false positives.
NOT_COMMENTARY = {
    ALPACA: {
        65: "Please note that it is advisable to use a unique password (a tip)",
        109: "Note: You can poach multiple eggs at the same time (a recipe tip)",
        276: "Note that the county refers to the primary county (explains the table)",
        780: "Generate an excuse for not coming to work: I'm sorry, but I'm unable to come",
        930: "I'm sorry, but I cannot estimate ... Could you provide more details? (clarifying)",
        995: "Note: column1 ... should be replaced with the names of the columns (usage)",
    },
    ZENA: {269: "*Note: This plan focuses on whole grains...* heading a meal plan"},
    # The record declares tools; the answer declines what they cannot do, as taught.
    GLAIVE: {
        0: "as an AI, I don't have the capability to perform external tasks such as ordering",
        22: "I can't assist with that. My current capabilities allow me to create calendar events",
        55: "I don't have the capability to book flights. My current function is to create "
        "invoices",
    },
    REASON: {
        33: "Please note this data starts from January 6, 2023 (the data's range)",
        48: "*Note: Integration complexity and cost must be managed carefully.* (advice)",
    },
}


@pytest.mark.parametrize("name", sorted(NOT_COMMENTARY))
def test_former_false_positives_are_gone(name: str) -> None:
    assert set(kinds(name)) & set(NOT_COMMENTARY[name]) == set()


def test_identity_answers_are_not_disclaimers() -> None:
    """FastChat's dummy set teaches the model its name: "Who are you?" -> "As a language
    model, I go by the name Vicuna" answers the question (its 24 former findings)."""
    assert found(FASTCHAT, "model-commentary") == []


# What the rule is for, still reported.
COMMENTARY_KEPT = {
    ZENA: {0: NOTE, 20: NOTE, 116: NOTE, 159: NOTE, 216: NOTE, 410: NOTE},
    ALPACA: {43: AI, 80: AI, 156: AI, 78: NOTE, 530: NOTE, 223: REFUSAL},
    GLAIVE: {14: NOTE, 240: NOTE},
    HHRLHF: {103: NOTE, 343: AI, 842: AI},
}


@pytest.mark.parametrize("name", sorted(COMMENTARY_KEPT))
def test_true_commentary_is_still_reported(name: str) -> None:
    got = kinds(name)
    assert {record: got.get(record) for record in COMMENTARY_KEPT[name]} == COMMENTARY_KEPT[name]


def test_every_zena_note_is_after_a_translation() -> None:
    assert set(kinds(ZENA).values()) == {NOTE}


@pytest.mark.parametrize("name", files())
def test_escape_rules_stay_quiet_on_real_data(name: str) -> None:
    assert found(name, "literal-escape") == []
    assert found(name, "lost-unicode-escape") == []


def test_special_tokens_only_where_they_leak() -> None:
    counts = Counter(n for n in files() for _ in found(n, "special-token-leak"))
    assert counts == {SELF_INSTRUCT: 200}
    messages = {f.message for f in found(SELF_INSTRUCT, "special-token-leak")}
    assert messages == {
        "`completion` contains special-token text <|endoftext|> (OpenAI tiktoken, ChatML/Qwen, "
        "Phi-3, GPT-NeoX/Pythia, StarCoder)"
    }


def test_encoding_and_empty_findings_are_unchanged() -> None:
    encoding = Counter(n for n in files() for _ in found(n, "encoding-damage"))
    empty = Counter(n for n in files() for _ in found(n, "empty-text"))
    assert encoding == {HHRLHF: 1}
    assert empty == {
        "axolotl__conversation.missingturns.json": 1,
        "codealpaca__code_alpaca_2k.json": 2,
        "gorilla__raft_sample_ds4.jsonl": 15,
    }

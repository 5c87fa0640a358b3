"""Property tests: rules never crash on arbitrary text, duplicate counts add up."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from rulekit import chat, family_record_rules, single

from sftprep.catalog import MAX_EXCERPT, get_rule
from sftprep.rules.base import run_rules

RECORD_RULES = family_record_rules()
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300
) | st.sampled_from(["", "  ", "<|im_end|>", "{question}", "Ã©", "\ufffd", "{{ }}", "</s>"])


@settings(max_examples=150, deadline=None)
@given(prompt=texts, answer=texts, role=st.sampled_from(["user", "assistant", "bot", "tool"]))
def test_rules_never_crash_and_excerpts_stay_short(prompt: str, answer: str, role: str) -> None:
    contexts = [
        single({"instruction": prompt, "output": answer}, "instruction", "output", format="alpaca"),
        chat(
            {"messages": [{"role": "user", "content": prompt}, {"role": role, "content": answer}]}
        ),
    ]
    for rule_id in RECORD_RULES:
        for finding in run_rules([get_rule(rule_id)()], contexts):
            assert finding.rule == rule_id
            assert len(finding.excerpt) <= MAX_EXCERPT


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=30), st.randoms())
def test_duplicate_count_is_records_minus_distinct(values: list[str], rnd: random.Random) -> None:
    contexts = []
    for i, value in enumerate(values):
        record = {"instruction": value, "output": "x"}
        if rnd.random() < 0.5:  # key order must not matter
            record = dict(reversed(record.items()))
        contexts.append(single(record, "instruction", "output", format="alpaca", line=i + 1))
    found = run_rules([get_rule("duplicate")()], contexts)
    assert len(found) == len(values) - len(set(values))

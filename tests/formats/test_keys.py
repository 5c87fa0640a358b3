"""`sftprep.formats.keys`: the one owner of the dedupe keys of rules, fix and split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.formats.base import get_format
from sftprep.formats.keys import (
    canonical_json,
    digest,
    normalise_prompt,
    prompt_group_key,
    record_digest,
    same_prompt_key,
)
from sftprep.model import Conversation, Location
from sftprep.rules.base import RecordContext
from sftprep.transform.fix import fix
from sftprep.transform.split import GroupKey, split

PC = get_format("prompt-completion")


def conv(record: dict[str, Any]) -> Conversation:
    out = PC.to_conversation(record, Location("t.jsonl", 1, 0))
    assert out is not None
    return out


# (record, its exact copy written differently)
COPIES = [
    ({"prompt": "Hi", "completion": "a"}, {"completion": "a", "prompt": "Hi"}),
    (
        {"prompt": "x", "completion": "y", "n": 2**70},
        {"n": 2**70, "completion": "y", "prompt": "x"},
    ),
    ({"prompt": "\ud800", "completion": "b"}, {"completion": "b", "prompt": "\ud800"}),
]
# (record, a record with the same prompt up to case and spacing)
SAME_PROMPT = [
    ({"prompt": "What is UP?", "completion": "a"}, {"prompt": "what  is\tup?", "completion": "b"}),
    ({"prompt": "Ça va, Zoë?", "completion": "a"}, {"prompt": "ÇA VA, ZOË?", "completion": "c"}),
]


@pytest.mark.parametrize(("record", "copy"), COPIES)
def test_exact_copies_share_every_key(record: dict[str, Any], copy: dict[str, Any]) -> None:
    assert record_digest(record) == record_digest(copy)
    assert canonical_json(record) == canonical_json(copy)
    assert same_prompt_key(conv(record)) == same_prompt_key(conv(copy))
    assert prompt_group_key(conv(record), record) == prompt_group_key(conv(copy), copy)
    assert prompt_group_key(None, record) == prompt_group_key(None, copy)


def test_record_digest_tells_different_records_apart() -> None:
    assert record_digest({"a": 1}) != record_digest({"a": "1"})
    assert record_digest({"a": 2**70}) != record_digest({"a": 2**70 + 1})
    assert len(record_digest([1])) == 16 and len(digest("x", size=8)) == 8
    assert digest("é") == digest("é".encode())  # text is hashed as its UTF-8


@pytest.mark.parametrize(("record", "other"), SAME_PROMPT)
def test_same_prompt_is_one_split_group(record: dict[str, Any], other: dict[str, Any]) -> None:
    """What `duplicate-prompt` calls the same prompt, `split` keeps in one group (no leak)."""
    key, other_key = same_prompt_key(conv(record)), same_prompt_key(conv(other))
    assert key is not None and other_key is not None and key[0] == other_key[0]
    assert prompt_group_key(conv(record), record) == prompt_group_key(conv(other), other)


def test_keys_exact_values() -> None:
    c = conv({"prompt": "  What is\nUP?!", "completion": "x"})
    assert same_prompt_key(c) == ("user\x00what is up?!", "prompt", "  What is\nUP?!")
    assert prompt_group_key(c, None) == "u:what is up"
    assert prompt_group_key(None, {"b": [1, 2], "a": None}) == 'r:{"a":null,"b":[1,2]}'
    assert normalise_prompt("Ça va, Zoë?") == "ça va zoë"
    # a system turn makes a different prompt for the rule, not a different split group
    with_system = conv({"system": "Be brief.", "prompt": "Hi", "completion": "x"})
    plain = conv({"prompt": "Hi", "completion": "y"})
    assert with_system.messages[0].role == "system"
    assert same_prompt_key(with_system) != same_prompt_key(plain)
    assert prompt_group_key(with_system, None) == prompt_group_key(plain, None) == "u:hi"


def test_callers_use_the_owner() -> None:
    record = {"prompt": "What is UP?", "completion": "a"}
    ctx = RecordContext(record, Location("t.jsonl", 1, 0), "prompt-completion", conv(record))
    assert ctx.digest == record_digest(record)
    from sftprep.pipeline import Sample

    sample = Sample(record, ctx.location, conv(record), [], "prompt-completion", PC, None)
    key, _, _ = GroupKey().apply(sample, [], None)
    assert key == digest(prompt_group_key(conv(record), record))


def test_rules_fix_and_split_agree(tmp_path: Path) -> None:
    """The records the rules call copies are the ones fix drops and split groups."""
    records = [
        {"prompt": "What is UP?", "completion": "a"},
        {"completion": "a", "prompt": "What is UP?"},  # exact copy of record 0
        {"prompt": "what  is up?", "completion": "b"},  # same prompt as record 0
        {"prompt": "Something else entirely", "completion": "c"},
    ]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = check(data, select=["duplicate", "duplicate-prompt"])
    found = {(f.rule, f.location.record) for f in report.findings}
    assert found == {("duplicate", 1), ("duplicate-prompt", 2)}

    summary = fix(data, tmp_path / "out.jsonl", rejects=tmp_path / "rej.jsonl", dedupe=True)
    assert summary.records_out == 3 and summary.dropped_by_rule["duplicate"] == 1

    out = split(data, tmp_path / "splits", val_fraction=0.5, seed=1, group="prompts")
    assert out.groups == 2 and out.largest_group == 3

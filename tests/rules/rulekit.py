"""Test helpers building a `RecordContext` by hand, independent of the format adapters,
and the real files' findings of the text rules, checked once per process."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from sftprep.check import check
from sftprep.findings import Finding
from sftprep.model import Conversation, Location, Message, ToolCall
from sftprep.rules.base import RecordContext

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
# The text rules whose precision the real files measure (tests/rules/test_precision.py).
PRECISION_RULES = ["model-commentary", "literal-escape", "lost-unicode-escape",
                   "special-token-leak", "encoding-damage", "empty-text"]  # fmt: skip


def real_files() -> list[str]:
    """The dataset files of ../shared/data/real (empty when it is absent)."""
    return sorted(p.name for p in REAL.glob("*") if p.suffix in (".json", ".jsonl", ".csv"))


@cache
def real_findings(name: str, rule: str) -> list[Finding]:
    """``rule``'s findings on a real file, from one check per file and process."""
    return [f for f in _real_report(name) if f.rule == rule]


@cache
def _real_report(name: str) -> tuple[Finding, ...]:
    return tuple(check(REAL / name, select=PRECISION_RULES).findings)


def message(i: int, raw: Mapping[str, Any], key: str = "messages") -> Message:
    """One OpenAI-style message dict as a `Message` with source paths."""
    base = f"{key}[{i}]"
    calls = tuple(
        ToolCall(
            name=call.get("function", {}).get("name", ""),
            arguments=_arguments(call.get("function", {}).get("arguments", "")),
            id=call.get("id"),
            field=f"{base}.tool_calls[{j}]",
        )
        for j, call in enumerate(raw.get("tool_calls") or [])
    )
    content = raw.get("content")
    return Message(
        role=raw.get("role", ""),
        content=content if isinstance(content, str) else None,
        name=raw.get("name"),
        tool_calls=calls,
        tool_call_id=raw.get("tool_call_id"),
        weight=raw.get("weight"),
        field=base,
        content_field=f"{base}.content",
    )


def _arguments(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def chat(record: Mapping[str, Any], *, format: str = "messages", line: int = 1) -> RecordContext:
    """A context for an OpenAI ``messages`` record."""
    messages = tuple(message(i, m) for i, m in enumerate(record.get("messages", [])))
    tools = record.get("tools") or ()
    location = Location("data.jsonl", line, line - 1)
    conv = Conversation(
        messages,
        tools=tuple(tools) if isinstance(tools, list) else (),
        location=location,
        format=format,
    )
    return RecordContext(record, location, format, conv)


def single(
    record: Mapping[str, Any], prompt: str, answer: str, *, format: str, line: int = 1
) -> RecordContext:
    """A context for a single-turn record (``prompt`` and ``answer`` name its keys)."""
    location = Location("data.jsonl", line, line - 1)
    q, a = record.get(prompt), record.get(answer)
    messages = (
        Message("user", q if isinstance(q, str) else None, content_field=prompt),
        Message("assistant", a if isinstance(a, str) else None, content_field=answer),
    )
    fields = {k: v for k, v in record.items() if isinstance(v, str)}
    conv = Conversation(messages, location=location, format=format, fields=fields)
    return RecordContext(record, location, format, conv)


# The record rule families covered here (rules/tokens.py is tested on its own).
FAMILIES = ("content", "conversation", "tools", "dataset", "quality")


def family_record_rules() -> list[str]:
    from sftprep.catalog import list_rules

    modules = {f"sftprep.rules.{family}" for family in FAMILIES}
    return [r.id for r in list_rules() if r.scope == "record" and r.__module__ in modules]

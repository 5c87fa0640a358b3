"""The Gemini adapter (`contents` of `parts`, function calls and responses)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from datakit import read_jsonl, write_jsonl
from sftprep.check import check
from sftprep.cli.main import main

pytestmark = [pytest.mark.unseen]


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
    assert read_jsonl(out)[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert main(["convert", str(out), "-o", str(back), "--to", "gemini", "--quiet"]) == 0
    assert read_jsonl(back) == rows


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
    path = write_jsonl(tmp_path / "g.jsonl", [_gemini_weather(declare)])
    assert [f.rule for f in check(path).findings] == []
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert out.read_bytes() == path.read_bytes()
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    (record,) = read_jsonl(converted)
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
    (found,) = check(write_jsonl(tmp_path / "g.jsonl", [row])).findings
    assert (found.rule, found.severity.value, found.field) == (
        "invalid-role",
        "warning",
        "contents[1].role",
    )

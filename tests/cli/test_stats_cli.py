"""`sftprep stats`: the JSON document, per-record output, comparison, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from datakit import write_jsonl
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.count import count_tokens

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tokens"))  # hfkit
from hfkit import QWEN


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    rows = [
        {"question": f"What is {i}?", "cot_answer": "It is " + "very " * i + "big."}
        for i in range(40)
    ]
    rows.append({"question": "Long " * 3000, "cot_answer": "Short."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{oops\n")
    return path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:  # type: ignore[type-arg]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_json_document(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(capsys, ["stats", str(data), "--json", "--max-tokens", "1000"])
    tokenizer = dict(doc["tokenizer"])
    assert tokenizer.pop("library").split()[0] in ("quicktok-v1", "tiktoken")
    assert tokenizer == {
        "name": "cl100k_base",
        "kind": "tiktoken",
        "template": "openai-chat",
        "backend": "fast" if "quicktok-v1" in doc["tokenizer"]["library"] else "reference",
    }
    assert doc["records"] == 41 and doc["skipped"] == {"json-syntax": 1}
    tokens = doc["tokens"]
    assert tokens["total"] == tokens["prompt"] + tokens["trainable"]
    for series in ("total", "trainable"):
        assert set(doc["distribution"][series]) >= {
            "min",
            "max",
            "mean",
            "median",
            "p90",
            "p95",
            "p99",
        }
    assert doc["over_limit"]["max_tokens"] == 1000 and doc["over_limit"]["records"] == 1
    assert doc["over_limit"]["records_without_trainable"] == 1
    assert doc["over_limit"]["trainable_tokens_lost"] == 2  # "Short." is 2 tokens
    assert doc["outliers"][0]["record"] == 40 and doc["outliers"][0]["line"] == 41
    assert doc["errors"][0]["line"] == 42 and doc["errors"][0]["kind"] == "json-syntax"
    assert "compare" not in doc


def test_per_record_output(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "per.jsonl"
    out.parent.mkdir()
    doc = _json(capsys, ["stats", str(data), "--json", "--per-record", str(out)])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == doc["records"] == 41
    assert set(rows[0]) == {"path", "record", "line", "total", "prompt", "trainable", "fields"}
    assert [r["line"] for r in rows] == list(range(1, 42))
    assert sum(r["total"] for r in rows) == doc["tokens"]["total"]
    assert all(r["total"] == r["prompt"] + r["trainable"] for r in rows)
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind


def test_compare_two_tokenizers(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    argv = ["stats", str(data), "--json", "--tokenizer", "cl100k_base", "--tokenizer", str(QWEN)]
    doc = _json(capsys, argv)
    compare = doc["compare"]
    assert compare["tokenizer"]["name"] == "qwen2.5" and compare["tokenizer"]["kind"] == "hf"
    assert compare["records"] == doc["records"]
    assert compare["difference"]["count"] == doc["records"]
    assert compare["difference"]["total"] == compare["tokens"]["total"] - doc["tokens"]["total"]
    assert compare["over_limit"]["max_tokens"] == 131072
    assert main(["stats", str(data), "--tokenizer", "cl100k_base", "--tokenizer", str(QWEN)]) == 0
    text = capsys.readouterr().out
    assert "qwen2.5" in text and "difference" in text


def test_terminal_output(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(data), "--max-tokens", "1000", "--quiet"]) == 0
    text = capsys.readouterr().out
    for expected in (
        "41 records counted",
        "trainable",
        "p95",
        "over 1,000 tokens",
        "outliers",
        "█",
    ):
        assert expected in text


def test_template_none(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = _json(capsys, ["stats", str(data), "--json"])
    raw = _json(capsys, ["stats", str(data), "--json", "--template", "none"])
    assert raw["tokenizer"]["template"] == "none"
    assert raw["tokens"]["trainable"] == chat["tokens"]["trainable"]
    # 3 per message, the role tokens (1 each) and 3 priming tokens per record
    assert chat["tokens"]["total"] - raw["tokens"]["total"] == 41 * (2 * (3 + 1) + 3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tokenizer", "no-such-encoding"], "unknown tokenizer 'no-such-encoding'"),
        (["--max-tokens", "0"], "--max-tokens must be"),
        (["--tokenizer", "a", "--tokenizer", "b", "--tokenizer", "c"], "at most twice"),
    ],
)
def test_usage_errors_exit_2(
    data: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["stats", str(data), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_missing_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.unseen
@pytest.mark.parametrize("role", [["user"], {"name": "user"}, 7])
def test_a_role_that_is_not_a_string_is_a_finding_in_stats_too(tmp_path: Path, role: Any) -> None:
    """The counting fast path hands such a record to the adapter, which reports it."""
    ok = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    bad = [{"role": role, "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    path = write_jsonl(tmp_path / "r.jsonl", [{"messages": ok}, {"messages": bad}])
    assert main(["stats", str(path), "--json", "--quiet"]) == 0
    assert count_tokens(path).records == 2
    wrong = [f for f in check(path).findings if f.rule == "wrong-type"]
    assert [(f.location.record, f.field) for f in wrong] == [(1, "messages[0].role")]

"""Token counts record by record against independent numbers, and the statistics of them.

The expected numbers were computed outside sftprep: the OpenAI cookbook's
``num_tokens_from_messages`` (3 per message + every string value, +1 per name, +3
per conversation; tool calls, tool ids and declared tools as text) with tiktoken's
own ``encode_ordinary``, and transformers' ``apply_chat_template(..., tokenize=True)``
with an assistant mask from prefix renderings compared token by token.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.cli.main import main
from sftprep.count import count_tokens_multi

pytestmark = [pytest.mark.unseen, pytest.mark.qa]


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _call(id_: str, city: str) -> dict[str, Any]:
    arguments = json.dumps({"city": city})
    return {
        "id": id_,
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
    }


def _pair(user: Any, assistant: Any, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant, **extra},
        ]
    }


CHAT: list[dict[str, Any]] = [
    {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Capital of Peru?"},
            {"role": "assistant", "content": "Lima."},
        ]
    },
    {
        "messages": [
            {"role": "user", "name": "bob", "content": "Count to three."},
            {"role": "assistant", "content": "1 2 3 wrong", "weight": 0},
            {"role": "user", "content": "Again, properly."},
            {"role": "assistant", "content": "One, two, three.", "weight": 1},
        ]
    },
    {
        "tools": TOOLS,
        "messages": [
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "content": None, "tool_calls": [_call("call_1", "Oslo")]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": -3}'},
            {"role": "assistant", "content": "It is -3 °C in Oslo."},
        ],
    },
    {
        "tools": TOOLS,
        "messages": [
            {"role": "user", "content": "Weather in Rome and Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [_call("a", "Rome"), _call("b", "Paris")],
            },
            {"role": "tool", "tool_call_id": "a", "content": "sunny"},
            {"role": "tool", "tool_call_id": "b", "content": "rain"},
            {"role": "assistant", "content": "Rome sunny, Paris rain."},
        ],
    },
    _pair(
        [{"type": "text", "text": "Describe "}, {"type": "text", "text": "a cat."}],
        [{"type": "text", "text": "Furry and aloof."}],
    ),
    _pair("Repeat: <|endoftext|> and <|im_end|> and <|fim_prefix|>", "<|endoftext|> <|im_end|>"),
    _pair("Only a weighted-out answer", "ignore me", weight=0),
    _pair("Essay: " + " ".join(f"word{i}" for i in range(200)), "Short answer at the end."),
    _pair(
        [{"type": "text", "value": "What is 17*3?"}],
        [{"type": "reasoning", "value": "17*3 = 51."}, {"type": "text", "value": "51"}],
    ),
    {
        "messages": [
            {"role": "user", "content": "No system here."},
            {"role": "assistant", "content": "Fine by me."},
            {"role": "user", "content": "Sure?"},
            {"role": "assistant", "content": "Yes."},
        ]
    },
    _pair("Bold?", "<b>bold</b>"),
]


# (total, trainable) per CHAT row.
COOKBOOK = [
    (26, 3), (41, 6), (106, 18), (114, 24), (21, 6), (44, 12),
    (18, 0), (419, 6), (26, 8), (31, 6), (19, 6),
]  # fmt: skip


QWEN_COUNTS = [
    (26, 4), (61, 7), (220, 31), (247, 49), (41, 7), (44, 4),
    (38, 0), (729, 7), (41, 3), (53, 8), (39, 7),
]  # fmt: skip


# None: the DeepSeek-R1 template itself fails (transformers raises too).
DEEPSEEK_COUNTS = [
    (15, 4), (27, 7), None, (85, 9), (14, 7), (37, 13),
    (11, 0), (412, 7), (12, 2), (19, 8), (12, 7),
]  # fmt: skip


@pytest.fixture
def chat_file(tmp_path: Path) -> Path:
    """CHAT as JSON Lines, with a blank line after row 2, a broken line and rows without
    messages at the end (records 11, 12 and 13)."""
    lines = [json.dumps(r, ensure_ascii=False) for r in CHAT]
    lines.insert(3, "")
    lines += [
        '{"messages": [{"role": "user", "content": "cut',
        '{"messages": "hi"}',
        '{"messages": []}',
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CHAT_LINES = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]  # the blank line shifts the rest


CHAT_SKIPPED = {"json-syntax": 1, "no-messages": 2}


def _rows(path: Path, *tokenizers: Any, **options: Any) -> tuple[list[Any], list[Any]]:
    rows: list[Any] = []
    stats = count_tokens_multi(path, list(tokenizers), on_record=rows.append, **options)
    return stats, rows


def _expected(counts: list[Any]) -> list[tuple[int, int, int, int]]:
    return [
        (record, line, *count)
        for record, (line, count) in enumerate(zip(CHAT_LINES, counts, strict=True))
        if count is not None
    ]


def test_cookbook_counts_record_by_record(chat_file: Path) -> None:
    stats, rows = _rows(chat_file, "cl100k_base")
    got = [(r[0].record, r[0].line, r[0].total, r[0].trainable) for r in rows]
    assert got == _expected(COOKBOOK)
    assert stats[0].skipped == CHAT_SKIPPED
    assert stats[0].tokens() == {"total": 865, "prompt": 770, "trainable": 95}


def test_percentiles_are_exact(chat_file: Path) -> None:
    stats, _ = _rows(chat_file, "cl100k_base")
    summary = stats[0].to_dict()["distribution"]["total"]
    assert summary == {
        "count": 11, "total": 865, "min": 18, "max": 419, "mean": 78.64, "std": 112.34,
        "median": 31.0, "p90": 114.0, "p95": 266.5, "p99": 388.5,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("limit", "over"), [(30, (6, 64, 4)), (100, (3, 15, 1))], ids=["30", "100"]
)
def test_truncation_arithmetic(chat_file: Path, limit: int, over: tuple[int, int, int]) -> None:
    stats, _ = _rows(chat_file, "cl100k_base", max_tokens=limit)
    records, lost, none = over
    assert stats[0].over_limit() == {
        "max_tokens": limit,
        "records": records,
        "trainable_tokens_lost": lost,
        "records_without_trainable": none,
    }


def test_records_without_messages_are_skipped_not_counted(tmp_path: Path) -> None:
    """An empty conversation is no 3-token record: every backend skips it alike."""
    path = tmp_path / "empty.jsonl"
    rows = [{"messages": []}, {"messages": "not a list"}, _pair("a", "b")]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for template in ("auto", "none"):
        stats, got = _rows(path, "cl100k_base", template=template)
        assert stats[0].skipped == {"no-messages": 2}
        assert [(r[0].record, r[0].line) for r in got] == [(2, 3)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_mixed_format_record_is_counted_in_its_own_format(tmp_path: Path, workers: int) -> None:
    """A ShareGPT row in a `messages` file (`mixed-format`) counts like its messages twin."""
    path = tmp_path / "mixed.jsonl"
    twin = {"conversations": [{"from": "human", "value": "hello there"},
                              {"from": "gpt", "value": "general kenobi"}]}  # fmt: skip
    rows = [_pair("hello there", "general kenobi"), twin, _pair("a", "b")]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    stats, got = _rows(path, "cl100k_base", workers=workers)
    # cookbook: 3 + 3 per message, "user"/"assistant" 1 each, the texts 2 + 3 (then 1 + 1)
    assert [(r[0].record, r[0].total, r[0].trainable) for r in got] == [
        (0, 16, 3), (1, 16, 3), (2, 13, 1)
    ]  # fmt: skip
    assert stats[0].skipped == {}


def test_parallel_equals_in_process(chat_file: Path) -> None:
    one, rows_one = _rows(chat_file, "cl100k_base", workers=1, max_tokens=100)
    two, rows_two = _rows(chat_file, "cl100k_base", workers=2, max_tokens=100)
    assert rows_one == rows_two
    assert one[0].to_dict() == two[0].to_dict()


def _alpaca_rows() -> list[dict[str, str]]:
    return [
        {"instruction": "Translate to French", "input": "Good morning", "output": "Bonjour"},
        {"instruction": "Name a color", "input": "", "output": "Blue"},
        {
            "instruction": "Be brief",
            "input": "Why is the sky blue?",
            "output": "Rayleigh scattering.",
            "system": "You are a physicist.",
        },
        {"instruction": "Same text", "input": "Same text", "output": "Same text"},
    ]


def test_pretty_json_lines_and_field_totals(tmp_path: Path) -> None:
    path = tmp_path / "alpaca.json"
    path.write_text(json.dumps(_alpaca_rows(), indent=4))
    stats, rows = _rows(path, "cl100k_base")
    got = [(r[0].record, r[0].line, r[0].total, r[0].trainable, dict(r[0].fields)) for r in rows]
    assert got == [
        (0, 2, 18, 1, {"instruction": 3, "input": 2, "output": 1}),
        (1, 7, 15, 1, {"instruction": 3, "input": 0, "output": 1}),
        (2, 12, 33, 4, {"instruction": 2, "input": 6, "output": 4, "system": 5}),
        (3, 18, 18, 2, {"instruction": 2, "input": 2, "output": 2}),
    ]
    fields = stats[0].field_stats()
    assert {k: v["total"] for k, v in fields.items()} == {
        "instruction": 10, "input": 10, "output": 8, "system": 5,
    }  # fmt: skip
    assert fields["system"]["records"] == 1


def test_csv_lines_of_multi_line_rows(tmp_path: Path) -> None:
    path = tmp_path / "alpaca.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["instruction", "input", "output"])
        writer.writerow(["Write a haiku", "", "Old pond\nfrog jumps in\nsplash"])
        writer.writerow(["Add", "1 and 2", "3"])
        writer.writerow(["Multi\nline\ninstruction", "x", "y\nz"])
        writer.writerow(["Last", "", "done"])
    _, rows = _rows(path, "cl100k_base")
    got = [(r[0].record, r[0].line, r[0].total, r[0].trainable) for r in rows]
    assert got == [(0, 2, 23, 8), (1, 5, 18, 1), (2, 6, 21, 3), (3, 10, 13, 1)]


def test_cli_json_terminal_and_per_record_agree(
    chat_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "per.jsonl"
    argv = ["stats", str(chat_file), "--max-tokens", "100", "--quiet"]
    assert main([*argv, "--json", "--per-record", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    per = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(p["record"], p["line"], p["total"], p["trainable"]) for p in per] == _expected(
        COOKBOOK
    )
    assert sum(p["total"] for p in per) == doc["tokens"]["total"] == 865
    assert doc["skipped"] == CHAT_SKIPPED and doc["records"] == len(per)
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "11 records counted, 3 skipped (json-syntax 1, no-messages 2)" in text
    assert "over 100 tokens: 3 records; truncation loses 15 trainable tokens" in " ".join(
        text.split()
    )


@pytest.fixture(scope="module")
def tokenizers_dir() -> Path:
    pytest.importorskip("transformers")
    from hfkit import TOKENIZERS

    if not TOKENIZERS.is_dir():
        pytest.skip(f"needs the shared tokenizers folder {TOKENIZERS} (absent in this checkout)")
    return TOKENIZERS


@pytest.mark.parametrize(
    ("name", "counts"),
    [("qwen2.5", QWEN_COUNTS), ("deepseek-r1-distill-llama-8b", DEEPSEEK_COUNTS)],
    ids=["qwen2.5", "deepseek-r1"],
)
def test_chat_template_counts_record_by_record(
    chat_file: Path, tokenizers_dir: Path, name: str, counts: list[Any]
) -> None:
    """Qwen adds its default system prompt; DeepSeek-R1's generation prompt ends in
    ``<think>\\n``, and a reply starting with ``<`` still trains its first token."""
    stats, rows = _rows(chat_file, str(tokenizers_dir / name))
    got = [(r[0].record, r[0].line, r[0].total, r[0].trainable) for r in rows]
    assert got == _expected(counts)
    failed = sum(c is None for c in counts)
    expected_skips = {**CHAT_SKIPPED, **({"template-error": failed} if failed else {})}
    assert stats[0].skipped == expected_skips


def test_qwen_truncation_arithmetic(chat_file: Path, tokenizers_dir: Path) -> None:
    stats, _ = _rows(chat_file, str(tokenizers_dir / "qwen2.5"), max_tokens=40)
    assert stats[0].over_limit() == {
        "max_tokens": 40,
        "records": 8,
        "trainable_tokens_lost": 100,
        "records_without_trainable": 4,
    }


def test_two_tokenizers_side_by_side(chat_file: Path, tokenizers_dir: Path) -> None:
    stats, rows = _rows(chat_file, "cl100k_base", str(tokenizers_dir / "qwen2.5"))
    got = [(r[0].total, r[1].total, r[1].trainable) for r in rows]
    assert got == [(a[0], b[0], b[1]) for a, b in zip(COOKBOOK, QWEN_COUNTS, strict=True)]
    compare = stats[0].compare(stats[1])
    assert compare["tokens"]["total"] == sum(c[0] for c in QWEN_COUNTS)
    assert compare["difference"]["total"] == sum(
        b[0] - a[0] for a, b in zip(COOKBOOK, QWEN_COUNTS, strict=True)
    )


def test_lone_surrogates_count_as_replacement_characters(
    tmp_path: Path, tokenizers_dir: Path
) -> None:
    """``\\ud800`` in JSON made the Rust tokenizer raise and stopped the whole count."""
    path = tmp_path / "surrogates.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "lone \\ud800 surrogate"}, '
                    '{"role": "assistant", "content": "ok \\udfff"}]}\n')  # fmt: skip
    stats, rows = _rows(path, str(tokenizers_dir / "qwen2.5"))
    # transformers on the same text with U+FFFD: 37 tokens
    assert [(r[0].total, r[0].trainable) for r in rows] == [(37, 3)]
    assert stats[0].skipped == {}

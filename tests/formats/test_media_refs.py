"""Media references in every shape: OpenAI parts (URL, data URI, path, input_audio),
LLaMA-Factory columns with placeholders, LLaVA's ``image``, TRL's bare image parts,
Parquet ``{"bytes", "path"}``, Anthropic and Gemini parts, and an aiDAPTIV+ ``vqa``
entry's ``image_key`` (checked and counted through ``--config``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.formats.media import (
    media_as_column,
    media_as_parts,
    media_refs,
    placeholders,
    rebase_record,
)
from sftprep.model import Location
from sftprep.pipeline import load, sample_of


def _conv(record: dict[str, Any]) -> Any:
    from sftprep.formats.base import get_format
    from sftprep.formats.detect import detect
    from sftprep.io import RawRecord

    fmt = get_format(detect([record]).format)
    sample = sample_of(RawRecord(record, Location("d/x.jsonl", 1, 0)), fmt, detected=True)
    assert sample.conversation is not None
    return sample.conversation


def _refs(record: dict[str, Any]) -> list[tuple[str, str, Any, str, Any]]:
    return [(r.kind, r.source, r.value, r.field, r.message) for r in media_refs(_conv(record))]


def test_openai_parts() -> None:
    record = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://192.0.2.1/a.png", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                    {"type": "image_url", "image_url": "charts/b.png"},
                    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                ],
            },
            {"role": "assistant", "content": "Same."},
        ]
    }
    assert _refs(record) == [
        ("image", "url", "https://192.0.2.1/a.png", "messages[0].content[1].image_url.url", 0),
        ("image", "data", "data:image/png;base64,iVBO", "messages[0].content[2].image_url.url", 0),
        ("image", "path", "charts/b.png", "messages[0].content[3].image_url", 0),
        ("audio", "data", "UklGRg==", "messages[0].content[4].input_audio.data", 0),
    ]


def test_llamafactory_and_llava_columns() -> None:
    record = {
        "conversations": [
            {"from": "human", "value": "<image>\nWhat?"},
            {"from": "gpt", "value": "A."},
        ],
        "image": "coco/1.jpg",
    }
    assert _refs(record) == [("image", "path", "coco/1.jpg", "image", None)]
    record = {
        "messages": [
            {"role": "user", "content": "<video><audio>?"},
            {"role": "assistant", "content": "A."},
        ],
        "videos": ["v.mp4"],
        "audios": ["a.wav"],
    }
    assert _refs(record) == [
        ("video", "path", "v.mp4", "videos[0]", None),
        ("audio", "path", "a.wav", "audios[0]", None),
    ]


def test_trl_bare_parts_are_placeholders() -> None:
    record = {
        "messages": [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What?"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
        ],
        "images": ["cat.png"],
    }
    conv = _conv(record)
    assert [r.field for r in media_refs(conv)] == ["images[0]"]
    assert placeholders(conv) == {"image": 1, "video": 0, "audio": 0}


def test_bytes_anthropic_and_gemini_shapes() -> None:
    from sftprep.model import Conversation, Message

    conv = Conversation(
        (
            Message(
                "user",
                "?",
                field="messages[0]",
                extra={
                    "content[1]": {"type": "image", "source": {"type": "base64", "data": "iVBO"}},
                    "content[2]": {"inlineData": {"mimeType": "audio/wav", "data": "UklG"}},
                },
            ),
        ),
        metadata={
            "images": [{"bytes": b"\x89PNG", "path": "p.png"}, {"bytes": None, "path": "q.png"}]
        },
    )
    got = [(r.kind, r.source, r.value, r.field, r.data) for r in media_refs(conv)]
    assert got == [
        ("image", "data", "iVBO", "messages[0].content[1].source.data", None),
        ("audio", "data", "UklG", "messages[0].content[2].inlineData.data", None),
        ("image", "bytes", "p.png", "images[0]", b"\x89PNG"),
        ("image", "path", "q.png", "images[1]", None),
    ]


def test_parts_and_columns_round_trip(mllm_demo: Path) -> None:
    for conv in load(mllm_demo):
        parts = media_as_parts(conv)
        assert "images" not in parts.metadata
        back = media_as_column(parts)
        assert back.metadata["images"] == conv.metadata["images"]
        assert [m.text for m in back.messages] == [m.text for m in conv.messages]


def test_rebase_record_moves_only_relative_paths(tmp_path: Path) -> None:
    record = {
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "img/a.png"}},
                                         {"type": "image_url", "image_url": {"url": "https://192.0.2.3/b.png"}}]},
        ],
        "images": ["img/c.png", "/abs/d.png"],
    }  # fmt: skip
    moved = rebase_record(record, str(tmp_path / "in"), str(tmp_path / "out"))
    urls = [p["image_url"]["url"] for p in moved["messages"][0]["content"]]
    assert urls == ["../in/img/a.png", "https://192.0.2.3/b.png"]
    assert moved["images"] == ["../in/img/c.png", "/abs/d.png"]
    assert rebase_record(record, str(tmp_path), str(tmp_path)) is record


VQA = """\
photos:
  data_path: vqa.json
  strategy: "vqa"
  system_prompt:
  user_prompt: "Based on the image, answer the following question: {question}"
  question_key: question
  answer_key: answer
  image_key: photo
  exp_type: train
  label_key: answer
"""


def test_vqa_config_checks_and_counts_images(
    mllm_demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("PIL")
    image = mllm_demo.parent / "mllm_demo_data" / "2.jpg"
    rows = [
        {"question": "Who is he?", "answer": "Thomas Muller.", "photo": str(image)},
        {"question": "Where?", "answer": "On the pitch.", "photo": "missing.jpg"},
    ]
    (tmp_path / "vqa.json").write_text(json.dumps(rows))
    config = tmp_path / "datasets.yaml"
    config.write_text(VQA)
    report = check(None, config=config)
    media = [
        (f.rule, f.location.record, f.field) for f in report.findings if f.rule.startswith("media")
    ]
    assert media == [("media-missing", 1, "photo")]
    assert main(["stats", "--config", str(config), "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["media"]["references"]["image"] == 2
    assert doc["media"]["status"] == {"image missing": 1, "image ok": 1}
    assert doc["media"]["image_tokens"]["qwen2-vl"]["total"] == 77

"""convert, split and fix carry media references: LLaMA-Factory's ``images`` column to
OpenAI ``image_url`` parts and back, relative paths rewritten for the output folder,
records that share an image kept on one side of a split."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.count import count_tokens
from sftprep.io import RawRecord, read
from sftprep.transform.convert import convert
from sftprep.transform.fix import fix
from sftprep.transform.split import split


def _records(path: Path) -> list[dict[str, Any]]:
    return [item.value for item in read(path) if isinstance(item, RawRecord)]


def _resolved(path: Path, value: str) -> Path:
    return (path.parent / value).resolve()


def test_demo_to_openai_and_back_keeps_every_image(mllm_demo: Path, tmp_path: Path) -> None:
    original = _records(mllm_demo)
    openai_dir = tmp_path / "openai"
    openai_dir.mkdir()
    forward = openai_dir / "demo.jsonl"
    summary = convert(mllm_demo, forward, target="openai")
    assert (summary.records_in, summary.records_out, summary.rejected) == (6, 6, 0)
    written = _records(forward)
    # every image became an image_url part in the message of its placeholder, in order
    for before, after in zip(original, written, strict=True):
        urls = [
            part["image_url"]["url"]
            for message in after["messages"]
            if isinstance(message["content"], list)
            for part in message["content"]
            if part.get("type") == "image_url"
        ]
        assert [_resolved(forward, u) for u in urls] == [
            _resolved(mllm_demo, p) for p in before["images"]
        ]
        assert "images" not in after
        assert all(
            "<image>" not in (part.get("text") or "")
            for m in after["messages"]
            for part in (m["content"] if isinstance(m["content"], list) else [])
        )
    # the first record: an image before the text of turn 0, after the text of turn 2
    first = written[0]["messages"]
    assert [p["type"] for p in first[0]["content"]] == ["image_url", "text"]
    assert [p["type"] for p in first[2]["content"]] == ["text", "image_url"]
    assert [f.rule for f in check(forward).findings if f.rule.startswith("media-")] == []

    back_dir = tmp_path / "back"
    back_dir.mkdir()
    back = back_dir / "demo.json"
    summary = convert(forward, back, target="llama-factory", to="messages")
    assert (summary.records_out, summary.rejected) == (6, 0)
    returned = _records(back)
    for before, after in zip(original, returned, strict=True):
        assert [_resolved(back, p) for p in after["images"]] == [
            _resolved(mllm_demo, p) for p in before["images"]
        ]
        assert [m["content"] for m in after["messages"]] == [
            m["content"] for m in before["messages"]
        ]
    info = json.loads((back_dir / "dataset_info.json").read_text())
    assert info["demo"]["columns"] == {"messages": "messages", "images": "images"}
    assert [f.rule for f in check(back, ignore=["missing-system"]).findings] == []


def test_convert_in_place_folder_keeps_paths_as_written(mllm_copy: Path) -> None:
    out = mllm_copy.parent / "openai.jsonl"
    convert(mllm_copy, out, target="openai")
    first = _records(out)[0]["messages"][0]["content"][0]
    assert first == {"type": "image_url", "image_url": {"url": "mllm_demo_data/1.jpg"}}


def test_videos_cannot_become_openai_parts(tmp_path: Path) -> None:
    row = {
        "messages": [
            {"role": "user", "content": "<video>What happens?"},
            {"role": "assistant", "content": "A goal."},
        ],
        "videos": ["clip.mp4"],
    }
    path = tmp_path / "v.json"
    path.write_text(json.dumps([row]))
    summary = convert(path, tmp_path / "v.jsonl", target="openai")
    assert (summary.records_out, summary.rejected) == (0, 1)
    rejected = json.loads((tmp_path / "v.rejects.jsonl").read_text().splitlines()[0])
    assert "no content part for a video file" in json.dumps(rejected)


def test_split_keeps_records_sharing_an_image_together(mllm_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "splits"
    summary = split(mllm_demo, out, val_fraction=0.34, seed=1)
    # 6 records, all different questions, but only 3 images: 3 groups
    assert summary.groups == 3
    sides: dict[Path, set[str]] = {}
    for name, file in summary.files.items():
        for record in _records(Path(file)):
            for image in record["images"]:
                resolved = _resolved(Path(file), image)
                assert resolved.is_file()  # rewritten for the output folder
                sides.setdefault(resolved, set()).add(name)
    assert len(sides) == 3
    assert all(len(names) == 1 for names in sides.values())
    assert sum(summary.counts.values()) == 6


def test_fix_rewrites_relative_paths(mllm_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixed" / "demo.json"
    out.parent.mkdir()
    fix(mllm_demo, out, rejects=tmp_path / "fixed" / "rejects.jsonl")
    records = _records(out)
    assert len(records) == 6
    for record in records:
        for image in record["images"]:
            assert _resolved(out, image).is_file()
            assert not os.path.isabs(image) or Path(image).is_file()
    pytest.importorskip("PIL")
    assert [f.rule for f in check(out).findings if f.rule.startswith("media-")] == []


def test_openai_parts_to_sharegpt_become_an_images_column(mllm_copy: Path) -> None:
    folder = mllm_copy.parent
    forward = folder / "openai.jsonl"
    convert(mllm_copy, forward, target="openai")
    back = folder / "sharegpt.json"
    summary = convert(forward, back, to="sharegpt")
    assert (summary.records_out, summary.rejected) == (6, 0)
    original = _records(mllm_copy)
    for before, after in zip(original, _records(back), strict=True):
        assert after["images"] == before["images"]
        assert [t["value"] for t in after["conversations"]] == [
            m["content"] for m in before["messages"]
        ]


def test_openai_parts_to_alpaca_keep_the_image(tmp_path: Path) -> None:
    row = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://192.0.2.1/c.png"}},
                    {"type": "text", "text": "What does the chart show?"},
                ],
            },
            {"role": "assistant", "content": "Growth."},
        ]
    }
    path = tmp_path / "chart.jsonl"
    path.write_text(json.dumps(row) + "\n")
    out = tmp_path / "chart.json"
    summary = convert(path, out, to="alpaca")
    assert (summary.records_out, summary.rejected) == (1, 0)
    (record,) = _records(out)
    assert record["instruction"] == "<image>What does the chart show?"
    assert record["images"] == ["https://192.0.2.1/c.png"]


def test_embed_media_writes_data_uris(mllm_demo: Path, tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    out = tmp_path / "embedded.jsonl"
    summary = convert(mllm_demo, out, target="openai", embed_media=True)
    assert (summary.records_out, summary.rejected) == (6, 0)
    first = _records(out)[0]["messages"][0]["content"][0]["image_url"]["url"]
    assert first.startswith("data:image/jpeg;base64,")
    raw = (mllm_demo.parent / "mllm_demo_data" / "1.jpg").read_bytes()
    assert base64.b64decode(first.split(",", 1)[1]) == raw
    report = check(out, target="openai", ignore=["missing-system"])
    assert [f.rule for f in report.findings if f.rule.startswith("media-")] == []
    media = count_tokens(out).media
    assert media is not None and media.distinct("image") == 3


def test_embed_media_rejects_a_missing_file(tmp_path: Path) -> None:
    row = {
        "messages": [
            {"role": "user", "content": "<image>Who?"},
            {"role": "assistant", "content": "Nobody."},
        ],
        "images": ["gone.jpg"],
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps([row]))
    summary = convert(path, tmp_path / "m.jsonl", target="openai", embed_media=True)
    assert (summary.records_out, summary.rejected) == (0, 1)
    assert "image `gone.jpg` cannot be read" in (tmp_path / "m.rejects.jsonl").read_text()

"""The vision demo end to end: check finds nothing, stats and estimate count its 3
distinct images and their tokens per model family apart from the text tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftprep.cli.main import main
from sftprep.count import count_tokens
from sftprep.tokens.images import get_image_family

pytest.importorskip("PIL")

# The demo's images (width, height) and how often its 6 records use each: 8 references.
SIZES = {"1.jpg": (300, 168), "2.jpg": (300, 199), "3.jpg": (300, 166)}


def _uses(demo: Path) -> dict[str, int]:
    uses: dict[str, int] = {}
    for record in json.loads(demo.read_text()):
        for image in record["images"]:
            name = Path(image).name
            uses[name] = uses.get(name, 0) + 1
    return uses


def _expected(demo: Path, family: str) -> int:
    f = get_image_family(family)
    return sum(n * f.tokens(*SIZES[name]) for name, n in _uses(demo).items())


def test_check_finds_no_problem(mllm_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(mllm_demo), "--json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    # no media finding, nothing but the usual note that the chats have no system prompt
    assert {f["rule"] for f in doc["findings"]} == {"missing-system"}
    assert doc["summary"]["errors"] == doc["summary"]["warnings"] == 0
    assert doc["files"][0]["records"] == doc["files"][0]["valid_records"] == 6


def test_stats_counts_images_apart_from_text(
    mllm_demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", str(mllm_demo), "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    media = doc["media"]
    assert _uses(mllm_demo) == {"1.jpg": 4, "2.jpg": 2, "3.jpg": 2}
    assert media["references"] == {"image": 8, "video": 0, "audio": 0}
    assert media["distinct"] == {"image": 3, "video": 0, "audio": 0}
    assert media["records_with_media"] == 6
    assert media["status"] == {"image ok": 8}
    assert media["image_size"]["width"]["max"] == 300
    assert media["image_size"]["height"]["min"] == 166
    tokens = media["image_tokens"]
    assert tokens["gpt-4o"]["total"] == _expected(mllm_demo, "gpt-4o") == 8 * 255
    assert (
        tokens["qwen2-vl"]["total"] == _expected(mllm_demo, "qwen2-vl") == 4 * 66 + 2 * 77 + 2 * 66
    )
    assert tokens["llava-1.5"]["total"] == 8 * 576
    assert tokens["gpt-4o"]["per_record"]["max"] == 2 * 255  # the record with two images
    assert media["images_per_record"]["total"] == 8
    # the text tokens do not include them
    text_only = count_tokens(mllm_demo)
    assert doc["tokens"] == text_only.tokens()


def test_stats_terminal_shows_media(mllm_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(mllm_demo), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "8 image references (3 distinct)" in out
    assert "image tokens per model family (not in the text tokens above)" in out
    assert "qwen2-vl" in out and "gpt-4o" in out


def test_estimate_adds_image_tokens(mllm_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = count_tokens(mllm_demo).tokens()["total"]
    for family in ("gpt-4o", "qwen2-vl"):
        main(["estimate", str(mllm_demo), "--json", "--quiet", "--image-tokens", family])
        doc = json.loads(capsys.readouterr().out)
        images = _expected(mllm_demo, family)
        assert doc["tokens"]["image_tokens"] == images
        assert doc["tokens"]["text_tokens"] == text
        assert doc["tokens"]["total"] == text + images
        assert any(
            a.startswith(f"{images:,} image tokens for 8 image references")
            for a in doc["assumptions"]
        )


def test_estimate_hosted_model_prices_images(
    mllm_demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["estimate", str(mllm_demo), "--json", "--quiet", "--model", "gpt-4o-2024-08-06"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["tokens"]["image_token_family"] == "gpt-4o"
    assert doc["tokens"]["image_tokens"] == 8 * 255


def test_other_families_by_spec(mllm_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = "qwen2-vl:min_pixels=200704"  # 256 tokens at least per image
    main(["estimate", str(mllm_demo), "--json", "--quiet", "--image-tokens", spec])
    doc = json.loads(capsys.readouterr().out)
    assert doc["tokens"]["image_tokens"] == _expected(mllm_demo, spec)
    assert doc["tokens"]["image_tokens"] >= 8 * 256


def test_text_only_data_has_no_media_section(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"prompt": "Hi <image>", "completion": "Hello"}) + "\n")
    stats = count_tokens(path)
    assert stats.media is None and "media" not in stats.to_dict()


def test_media_counts_merge_alike_on_any_runner(mllm_demo: Path, tmp_path: Path) -> None:
    """Text-only records before, between and after the images, cut into shards of one
    record or a few, counted in this process or in two workers: the same media numbers,
    row for row with the text counts."""
    from sftprep.engine import Runner

    image = str(mllm_demo.parent / "mllm_demo_data" / "2.jpg")
    rows = []
    for i in range(30):
        row: dict[str, object] = {
            "messages": [
                {"role": "user", "content": ("<image>" if i % 7 == 3 else "") + f"Q{i}?"},
                {"role": "assistant", "content": f"A{i}."},
            ]
        }
        if i % 7 == 3:
            row["images"] = [image]
        rows.append(row)
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    docs = []
    for runner in (
        Runner(workers=1, shard_bytes=1 << 40),
        Runner(workers=1, shard_bytes=1),
        Runner(workers=2, shard_bytes=300),
    ):
        stats = count_tokens(path, runner=runner)
        assert stats.media is not None
        assert len(stats.media.images) == stats.records == 30
        assert [i for i, n in enumerate(stats.media.images.values) if n] == [3, 10, 17, 24]
        assert list(stats.media.record_tokens("qwen2-vl"))[:4] == [0, 0, 0, 77]
        docs.append(stats.to_dict()["media"])
    assert docs[0] == docs[1] == docs[2]
    assert docs[0]["image_tokens"]["gpt-4o"]["total"] == 4 * 255

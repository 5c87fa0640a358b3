"""Media rules on flawed variants of LLaMA-Factory's vision demo: a missing file, a
corrupt and a truncated JPEG, placeholders that do not match, an oversize image, data
URIs, Parquet image bytes, remote URLs; exact findings with their locations."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.io.media import MediaOptions

PIL = pytest.importorskip("PIL")


def _png(width: int = 4, height: int = 3, mode: str = "RGB") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def _chat(question: str, answer: str = "Yes.", **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ],
        **extra,
    }


def _json_array(path: Path, rows: list[dict[str, Any]]) -> Path:
    """One record per line after ``[``: record i starts on line i + 2."""
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n")
    return path


def _media(report: Any) -> list[tuple[str, int | None, int | None, str | None, str]]:
    return [
        (f.rule, f.location.record, f.location.line, f.field, f.message)
        for f in report.findings
        if f.rule.startswith("media-")
    ]


@pytest.fixture
def flawed(mllm_copy: Path) -> Path:
    """LLaMA-Factory records, each with one media problem (record 0 is clean)."""
    folder = mllm_copy.parent
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0<html>404 Not Found</html>")
    good = (folder / "mllm_demo_data" / "2.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[:3000])
    (folder / "big.png").write_bytes(_png() + b"\0" * (11 * 1024 * 1024))
    rows = [
        _chat("<image>Who is he?", images=["mllm_demo_data/2.jpg"]),
        _chat("<image>Who is missing?", images=["mllm_demo_data/9.jpg"]),
        _chat("<image>What is broken?", images=["broken.jpg"]),
        _chat("<image><image>Compare them.", images=["mllm_demo_data/1.jpg"]),
        _chat("<image>What is cut?", images=["truncated.jpg"]),
        _chat("<image>What is big?", images=["big.png"]),
    ]
    return _json_array(folder / "flawed.json", rows)


def test_flawed_variants_exact_findings(flawed: Path) -> None:
    report = check(flawed)
    missing = flawed.parent / "mllm_demo_data" / "9.jpg"
    assert _media(report) == [
        ("media-missing", 1, 3, "images[0]",
         f"image `mllm_demo_data/9.jpg` not found (looked for {missing})"),
        ("media-undecodable", 2, 4, "images[0]",
         "image `broken.jpg` does not decode: Truncated File Read"),
        ("media-placeholder-mismatch", 3, 5, "images",
         "2 `<image>` placeholders in the messages but 1 image in `images`"),
    ]  # fmt: skip
    assert {f.severity.value for f in report.findings if f.rule.startswith("media-")} == {"error"}


def test_deep_decodes_the_pixels(flawed: Path) -> None:
    report = check(flawed, options={"media": MediaOptions(deep=True)})
    found = [(rule, record) for rule, record, *_ in _media(report)]
    assert ("media-undecodable", 4) in found
    message = next(m for rule, record, _, _, m in _media(report) if record == 4)
    assert message.startswith("image `truncated.jpg` does not decode: image file is truncated")


def test_openai_target_limits(flawed: Path) -> None:
    """OpenAI takes images as URLs or data: URIs (not local files), of at most 10 MB."""
    report = check(flawed, target="openai", select=["media-limit"])
    size = (flawed.parent / "big.png").stat().st_size
    takes = "OpenAI fine-tuning takes HTTP(S) URLs or base64 data: URIs"
    paths = ["mllm_demo_data/2.jpg", "mllm_demo_data/9.jpg", "broken.jpg",
             "mllm_demo_data/1.jpg", "truncated.jpg", "big.png"]  # fmt: skip
    expected = [
        ("media-limit", i, i + 2, "images[0]", f"image `{p}` is a local file; {takes}")
        for i, p in enumerate(paths)
    ]
    expected.append(
        ("media-limit", 5, 7, "images[0]", f"image `big.png`: {size:,} bytes (at most 10,485,760)")
    )
    assert _media(report) == expected


def test_together_takes_data_uris_only(tmp_path: Path) -> None:
    png = base64.b64encode(_png()).decode()
    rows = [
        {"messages": [
            {"role": "user", "content": [{"type": "text", "text": f"Q{i}?"},
                                         {"type": "image_url", "image_url": {"url": url}}]},
            {"role": "assistant", "content": "A."}]}
        for i, url in enumerate([f"data:image/png;base64,{png}", "https://192.0.2.1/a.png"])
    ]  # fmt: skip
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = check(path, target="together", select=["media-limit"])
    assert _media(report) == [
        ("media-limit", 1, 2, "messages[0].content[1].image_url.url",
         "image `https://192.0.2.1/a.png` is a remote URL; Together fine-tuning takes base64 "
         "data: URIs"),
    ]  # fmt: skip


def test_openai_parts_data_uris_and_remote_urls(tmp_path: Path) -> None:
    png = base64.b64encode(_png()).decode()
    cmyk = base64.b64encode(_jpeg_cmyk()).decode()

    def part(url: str) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": url}}

    def row(question: str, url: str, role: str = "user") -> dict[str, Any]:
        content = [{"type": "text", "text": question}, part(url)]
        turns = [{"role": "user", "content": question}, {"role": "assistant", "content": "A."}]
        turns[0 if role == "user" else 1] = {"role": role, "content": content}
        return {"messages": turns}

    rows = [
        row("Chart 1?", f"data:image/png;base64,{png}"),
        row("Chart 2?", "data:image/png;base64,@@not base64@@"),
        row("Chart 3?", "https://192.0.2.2/3.png"),
        row("Chart 4?", "https://192.0.2.2/4.png"),
        row("Chart 5?", f"data:image/png;base64,{png}", role="assistant"),
        row("Chart 6?", f"data:image/jpeg;base64,{cmyk}"),
    ]
    path = tmp_path / "charts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    url = "messages[0].content[1].image_url.url"
    report = check(path, target="openai")
    assert _media(report) == [
        ("media-undecodable", 1, 2, url,
         "image data URI does not decode: the data: URI is not valid base64"),
        ("media-limit", 4, 5, "messages[1].content[1].image_url.url",
         "image data URI is in an assistant message"),
        ("media-limit", 5, 6, url, "image data URI: mode CMYK (accepted: RGB, RGBA)"),
        ("media-remote", 2, 3, url,
         "2 media references are remote URLs, not fetched (offline): not checked, not counted "
         "in image tokens"),
    ]  # fmt: skip
    remote = next(f for f in report.findings if f.rule == "media-remote")
    assert remote.severity.value == "info"


def _jpeg_cmyk() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("CMYK", (4, 4)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_parquet_image_bytes(mllm_demo: Path, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    good = (mllm_demo.parent / "mllm_demo_data" / "1.jpg").read_bytes()
    rows = [
        {**_chat("<image>Who?"), "images": [{"bytes": good, "path": "1.jpg"}]},
        {**_chat("<image>Which?"), "images": [{"bytes": b"\x89PNG broken", "path": "x.png"}]},
    ]
    path = tmp_path / "vision.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    report = check(path)
    assert [(r, rec, fld, msg) for r, rec, _, fld, msg in _media(report)] == [
        ("media-undecodable", 1, "images[0]",
         "image bytes (x.png) does not decode: not an image format Pillow knows"),
    ]  # fmt: skip
    assert report.files[0].format == "messages"
    code = main(["stats", str(path), "--json", "--quiet"])
    assert code == 0


def test_media_root_finds_relative_paths(mllm_demo: Path, tmp_path: Path) -> None:
    path = _json_array(tmp_path / "elsewhere.json", [_chat("<image>Who?", images=["1.jpg"])])
    assert [r for r, *_ in _media(check(path))] == ["media-missing"]
    root = str(mllm_demo.parent / "mllm_demo_data")
    assert _media(check(path, options={"media": MediaOptions(root=root)})) == []


def test_video_and_audio_are_checked_by_container(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\0" * 32)
    (tmp_path / "voice.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\0" * 32)
    (tmp_path / "fake.mp4").write_bytes(b"<html>nope</html>")
    rows = [
        _chat("<video>What happens?", videos=["clip.mp4"]),
        _chat("<audio>Who speaks?", audios=["voice.wav"]),
        _chat("<video>And here?", videos=["fake.mp4"]),
        _chat("<audio>Missing?", audios=["gone.mp3"]),
    ]
    path = _json_array(tmp_path / "av.json", rows)
    assert [(r, rec, fld, msg) for r, rec, _, fld, msg in _media(check(path))] == [
        ("media-undecodable", 2, "videos[0]",
         "video `fake.mp4` does not decode: not a known video container"),
        ("media-missing", 3, "audios[0]",
         f"audio `gone.mp3` not found (looked for {tmp_path / 'gone.mp3'})"),
    ]  # fmt: skip


def test_same_image_same_question_is_a_duplicate_prompt(mllm_copy: Path) -> None:
    rows = [
        _chat("<image>Who is he?", "Muller.", images=["mllm_demo_data/2.jpg"]),
        _chat("<image>Who is he?", "Thomas Muller.", images=["mllm_demo_data/2.jpg"]),
        _chat("<image>Who is he?", "An astronaut.", images=["mllm_demo_data/3.jpg"]),
    ]
    path = _json_array(mllm_copy.parent / "dupes.json", rows)
    found = [(f.rule, f.location.record) for f in check(path, ignore=["missing-system"]).findings]
    assert found == [("duplicate-prompt", 1)]


def test_check_cli_options(flawed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(flawed), "--json", "--deep", "--target", "openai", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    rules = sorted({f["rule"] for f in doc["findings"] if f["rule"].startswith("media-")})
    assert rules == [
        "media-limit",
        "media-missing",
        "media-placeholder-mismatch",
        "media-undecodable",
    ]


def test_same_question_about_different_charts_is_no_repeat(tmp_path: Path) -> None:
    def row(url: str) -> dict[str, Any]:
        part = {"type": "image_url", "image_url": {"url": url}}
        question = [{"type": "text", "text": "What is the trend?"}, part]
        return {
            "messages": [
                {"role": "user", "content": question},
                {"role": "assistant", "content": "Up."},
            ]
        }

    path = tmp_path / "charts.jsonl"
    rows = [
        row("https://192.0.2.1/1.png"),
        row("https://192.0.2.1/2.png"),
        row("https://192.0.2.1/1.png"),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = check(path, ignore=["missing-system", "media-remote"])
    assert [(f.rule, f.location.record) for f in report.findings] == [("duplicate", 2)]


def test_saved_hf_dataset_image_feature(mllm_demo: Path, tmp_path: Path) -> None:
    """A `datasets` folder whose `Sequence(Image())` column holds the bytes."""
    datasets = pytest.importorskip("datasets")
    good = (mllm_demo.parent / "mllm_demo_data" / "1.jpg").read_bytes()
    features = datasets.Features(
        {
            "messages": [{"role": datasets.Value("string"), "content": datasets.Value("string")}],
            "images": datasets.Sequence(datasets.Image()),
        }
    )
    turns = [{"role": "user", "content": "<image>Who?"}, {"role": "assistant", "content": "Kane."}]
    data = {
        "messages": [turns, turns],
        "images": [[{"bytes": good, "path": "1.jpg"}], [{"bytes": b"\x89PNG no", "path": "x.png"}]],
    }
    folder = tmp_path / "saved"
    datasets.Dataset.from_dict(data, features=features).save_to_disk(str(folder))
    report = check(folder)
    assert [(r, rec, fld, msg) for r, rec, _, fld, msg in _media(report)] == [
        ("media-undecodable", 1, "images[0]",
         "image bytes (x.png) does not decode: not an image format Pillow knows"),
    ]  # fmt: skip
    stats = json.loads(_stats_json(folder))
    assert stats["media"]["status"] == {"image ok": 1, "image undecodable": 1}
    assert stats["media"]["image_tokens"]["qwen2-vl"]["total"] == 66


def _stats_json(path: Path) -> str:
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["stats", str(path), "--json", "--quiet"]) == 0
    return out.getvalue()


def test_odd_paths_are_findings_not_tracebacks(tmp_path: Path) -> None:
    (tmp_path / "folder.jpg").mkdir()
    rows = [
        _chat("<image>A?", images=["bad\u0000name.jpg"]),
        _chat("<image>B?", images=["folder.jpg"]),
        _chat("<image>C?", images=[12, None]),
    ]
    path = _json_array(tmp_path / "odd.json", rows)
    found = [(r, rec, fld) for r, rec, _, fld, _ in _media(check(path))]
    assert found == [
        ("media-missing", 0, "images[0]"),
        ("media-missing", 1, "images[0]"),
        ("media-placeholder-mismatch", 2, "images"),
    ]
    messages = [m for *_, m in _media(check(path))]
    assert (
        messages[1]
        == f"image `folder.jpg` unreadable: not a file (looked for {tmp_path / 'folder.jpg'})"
    )

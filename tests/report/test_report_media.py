"""The report of a vision dataset: images per record, sizes, image tokens per family,
thumbnails of the largest images inline, image tokens in the estimate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sftprep.report.collect import build_report_data
from sftprep.report.html import render_html

pytest.importorskip("PIL")


def test_report_shows_the_images(mllm_demo: Path, tmp_path: Path) -> None:
    data = build_report_data(mllm_demo)
    assert data.counts == {"missing-system": {"info": 6}}  # no media problem
    assert data.media is not None
    assert data.media["distinct"]["image"] == 3
    assert data.media["image_tokens"]["gpt-4o"]["total"] == 8 * 255
    assert [t["height"] for t in data.thumbnails] == [199, 168, 166]  # largest first
    page = render_html(data)
    assert 'id="media"' in page and 'href="#media"' in page
    assert "Image tokens per model family" in page and "qwen2-vl" in page
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert all(link.startswith(("#", "data:image/jpeg;base64,")) for link in links)
    assert sum(link.startswith("data:image/jpeg") for link in links) == 3
    # the hosted estimate (gpt-4o-mini by default) adds its image tokens to the prompts
    assert data.estimate is not None
    notes = [a for a in data.estimate["assumptions"] if "added to the prompt tokens" in a]
    assert notes and notes[0].startswith(f"{8 * (2833 + 5667):,} image tokens for 8 image")


def test_text_report_has_no_media_section(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text('{"prompt": "Hi", "completion": "Hello"}\n')
    data = build_report_data(path)
    assert data.media is None
    assert 'id="media"' not in render_html(data)

"""Planning the inputs: folders of shard files, dataset cards beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_a_folder_with_a_dataset_card_is_read_as_shards(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "dataset_info.json").write_text('{"features": {}, "splits": {}}')
    (folder / "README.md").write_text("# card")
    row = {"prompt": "Hi", "completion": "Yo"}
    write_jsonl(folder / "train-0.jsonl", [row])
    write_jsonl(folder / "train-1.jsonl", [row])
    report = check(folder)
    assert [f.path for f in report.files] == [
        str(folder / "train-0.jsonl"),
        str(folder / "train-1.jsonl"),
    ]
    assert [f.rule for f in report.findings] == ["duplicate"]

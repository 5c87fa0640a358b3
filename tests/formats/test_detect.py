"""Format detection: the format each file is read as, and what the detector says about it."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import REAL_FORMATS as EXPECTED
from datakit import write_jsonl
from sftprep.check import check
from sftprep.pipeline import Sample, iter_samples, open_source


def _found(path: Path, **kwargs: object) -> list[tuple[str, int | None, int | None, str | None]]:
    report = check(path, **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.location.line, f.location.record, f.field) for f in report.findings]


MSG = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}


SHARE = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": ""}]}


@pytest.mark.unseen
def test_mixed_formats_are_named_once_and_still_checked(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(5)
    ]
    rows.insert(2, SHARE)  # a ShareGPT row, whose assistant text is empty
    found = _found(write_jsonl(tmp_path / "m.jsonl", rows), ignore=["missing-system"])
    assert found == [
        ("mixed-format", 3, 2, "conversations"),
        ("empty-text", 3, 2, "conversations[1].value"),
    ]


@pytest.mark.unseen
def test_mixed_format_names_the_distinguishing_key(tmp_path: Path) -> None:
    rows = [{"instruction": f"i{i}", "input": "", "output": f"o{i}"} for i in range(4)]
    rows.append({"instruction": "late", "context": "", "response": "r", "category": "qa"})
    report = check(write_jsonl(tmp_path / "a.jsonl", rows), ignore=["untrained-fields"])
    [finding] = report.findings
    # Alpaca reads `response` as its output, so Dolly's `context` tells the two apart
    assert (finding.rule, finding.location.line, finding.field) == ("mixed-format", 5, "context")
    assert finding.message == "record is in the dolly format, but the file was detected as alpaca"
    assert report.files[0].valid_records == 4


@pytest.mark.unseen
def test_a_given_format_is_applied_to_every_record(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", [MSG, SHARE])
    found = _found(path, format="messages", select=["mixed-format", "missing-key"])
    assert found == [("missing-key", 2, 1, "messages")]


REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is absent")
@pytest.mark.real_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detected_format_and_count(name: str) -> None:
    fmt, count = EXPECTED[name]
    source = open_source(REAL / name)
    assert source.format.name == fmt, source.detection
    samples = [s for s in iter_samples(source) if isinstance(s, Sample)]
    assert len(samples) == count
    assert all(s.conversation is not None for s in samples)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is absent")
@pytest.mark.real_data
@pytest.mark.parametrize(
    ("name", "detection"),
    [
        (
            "fastchat__dummy_conversation.json",
            "detected format sharegpt (100%): 200/200 sampled records have its keys",
        ),
        (
            "litgpt__dolly_fixture.json",
            # Alpaca reads Dolly's `response` through an alias, but not its `context`
            "detected format dolly (100%): 12/12 sampled records have its keys; "
            "next best alpaca (96%)",
        ),
        (
            # four metadata keys per record cost a little confidence
            "llamafactory-pr10357__zena007_train_sft.jsonl",
            "detected format alpaca (96%): 200/200 sampled records have its keys; "
            "next best prompt-completion (42%)",
        ),
    ],
)
def test_detection_explains_the_choice(name: str, detection: str) -> None:
    assert open_source(REAL / name).detection == detection


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is absent")
@pytest.mark.real_data
def test_format_can_be_given(tmp_path: Path) -> None:
    source = open_source(REAL / "fastchat__dummy_conversation.json", format="messages")
    assert (source.format.name, source.detection) == ("messages", "format messages (given)")
    samples = [s for s in iter_samples(source) if isinstance(s, Sample)]
    assert len(samples) == 500
    # keys a format does not read are noted once per file by `check`, not per record
    assert {f.rule for s in samples for f in s.findings} == {"missing-key"}


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is absent")
@pytest.mark.real_data
def test_every_real_file_is_covered() -> None:
    on_disk = {p.name for p in REAL.iterdir() if p.name != "SOURCES.md"}
    assert on_disk == set(EXPECTED)

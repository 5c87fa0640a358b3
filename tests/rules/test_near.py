"""near-duplicate, leakage and contamination: labelled pairs, exact findings, every runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nearkit import cluster_labels, labelled_set, scores

from sftprep import similarity as sim
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.engine import Runner
from sftprep.errors import UsageError

pytest.importorskip("rensa")

NEAR = ["near-duplicate", "duplicate", "leakage", "contamination"]


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def chat(user: str, assistant: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": user},
                         {"role": "assistant", "content": assistant}]}  # fmt: skip


ANNA = chat(
    "Anna has 3 apples and buys 5 more at the market on Sunday. How many apples does she have?",
    "Anna starts with 3 apples and buys 5 more, so she has 3 + 5 = 8 apples now.",
)
PARIS = chat(
    "What is the capital of France and why is it famous?",
    "Paris is the capital of France. It is famous for the Eiffel Tower, museums and food.",
)
ANNA_7 = chat(
    "Anna has 7 apples and buys 1 more at the market on Sunday. How many apples does she have?",
    "Anna starts with 7 apples and buys 1 more, so she has 7 + 1 = 8 apples now. Note: checked.",
)
BEN = chat(
    "Write a haiku about the sea at night and the moon over the harbour.",
    "Dark water whispers / the moon walks on silver waves / the harbour sleeps on",
)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    records, pairs = labelled_set()
    path = write_jsonl(tmp_path_factory.mktemp("near") / "labelled.jsonl", records)
    return path, pairs


def test_labelled_pairs_precision_and_recall_at_the_default_threshold(
    labelled: tuple[Path, list[Any]],
) -> None:
    path, pairs = labelled
    assert len(pairs) == 2400
    precision, recall, by_how = scores(cluster_labels(path), pairs)
    # The figures of docs/near-duplicates.md (2,400 pairs: 1,200 near-copies, 1,200
    # unrelated records of the same template).
    assert (round(precision, 4), round(recall, 4)) == (0.9957, 0.9567)
    assert precision >= 0.95 and recall >= 0.95
    assert by_how["renumber"] == (134, 134) and by_how["reorder"] == (202, 202)
    assert by_how["append-note"] == (234, 234) and by_how["rename"] == (183, 198)


def test_every_runner_gives_the_same_clusters(labelled: tuple[Path, list[Any]]) -> None:
    path, _ = labelled
    expected = cluster_labels(path)
    for runner in (Runner(workers=1, shard_bytes=20_000), Runner(workers=2, shard_bytes=50_000)):
        assert cluster_labels(path, runner) == expected, runner


def test_findings_name_the_cluster_its_first_record_and_the_part(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ANNA, PARIS, ANNA, ANNA_7, BEN])
    report = check(path, select=NEAR)
    got = [(f.rule, f.location.record, f.location.line, f.message) for f in report.findings]
    assert got == [
        ("duplicate", 2, 3, "exact duplicate of record 0 (line 1)"),
        ("near-duplicate", 3, 4,
         "near-duplicate of record 0 (line 1) (whole record ≈0.92); cluster 1: 3 records"),
    ]  # fmt: skip
    assert report.findings[1].severity.value == "warning"
    (cluster,) = report.near_duplicates
    assert (cluster["cluster"], cluster["size"]) == (1, 3)
    assert [m["record"] for m in cluster["members"]] == [0, 3]  # exact copies left out
    assert report.to_dict()["near_duplicate_clusters"] == report.near_duplicates


def test_a_shared_prompt_is_reported_as_the_prompt(tmp_path: Path) -> None:
    prompt = "Write a short story about a lighthouse keeper who finds a map in a bottle."
    a = chat(prompt, "Elias found the bottle at dawn. The map showed an island nobody knew.")
    b = chat(prompt, "The keeper, Mara, kept the map for years before sailing to the reef.")
    report = check(write_jsonl(tmp_path / "p.jsonl", [a, b]), select=["near-duplicate"])
    (finding,) = report.findings
    assert finding.message == (
        "near-duplicate of record 0 (line 1) (prompt ≈1.00); cluster 1: 2 records"
    )


def test_threshold_option(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ANNA, ANNA_7])
    (default,) = check(path, select=["near-duplicate"]).findings
    assert "(whole record ≈0.92)" in default.message
    # numbers are not read: the prompts are the same, the records no longer similar enough
    strict = check(path, select=["near-duplicate"], options={"near_threshold": 0.95})
    assert "(prompt ≈1.00)" in strict.findings[0].message


def test_short_records_are_not_near_duplicates(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [chat("Hi", "Hello"), chat("Hi!", "Hello!")])
    assert not check(path, select=["near-duplicate"]).findings


def test_leakage_exact_and_near_across_files(tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", [ANNA, PARIS, BEN, chat("Hi", "Hello")])
    near_paris = chat(
        "What is the capital of France and why is it so famous?",
        "Paris is the capital of France. It is famous for the Eiffel Tower, museums and food.",
    )
    val = write_jsonl(tmp_path / "val.jsonl", [near_paris, chat("Hi", "Hello"), ANNA_7])
    report = check(train, select=["leakage"], against=[val])
    got = [(f.location.path, f.location.record, f.message) for f in report.findings]
    v = str(val)
    assert got == [
        (str(train), 0, f"near-copy (whole record ≈0.92) of record 2 (line 3) of {v}"),
        (str(train), 1, f"near-copy (whole record ≈1.00) of record 0 (line 1) of {v}"),
        (str(train), 3, f"exact copy of record 1 (line 2) of {v}"),
    ]
    assert {f.severity.value for f in report.findings} == {"error"}
    assert [f.path for f in report.files] == [str(train)]  # the reference is not checked
    # without --against the rule says nothing
    assert not check(train, select=["leakage"]).findings


GSM8K_LIKE = {
    "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as "
    "many clips in May. How many clips did Natalia sell altogether in April and May?",
    "answer": "Natalia sold 48/2 = 24 clips in May. Natalia sold 48+24 = 72 clips. #### 72",
}


def test_contamination_from_a_benchmark_file(tmp_path: Path) -> None:
    bench = write_jsonl(tmp_path / "bench.jsonl", [
        GSM8K_LIKE,
        {"question": "Name the largest planet of the solar system please", "answer": "Jupiter"},
    ])  # fmt: skip
    leaked = chat(
        "Solve: Natalia sold clips to 48 of her friends in April, and then she sold half as "
        "many clips in May. How many clips?",
        "72",
    )
    short = chat("Quiz time! Name the largest planet of the solar system please.", "Jupiter.")
    train = write_jsonl(tmp_path / "train.jsonl", [PARIS, leaked, short])
    report = check(train, select=["contamination"], against=[bench])
    got = [(f.location.record, f.message) for f in report.findings]
    b = str(bench)
    assert got == [
        (1, f"shares 11 13-grams with record 0 (line 1) of {b}"),
        (2, f"shares its whole text with record 1 (line 2) of {b}"),
    ]
    assert not check(train, select=["contamination"]).findings


def test_against_must_not_be_a_checked_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ANNA])
    with pytest.raises(UsageError, match="also a checked file"):
        check(path, against=[path])


def test_cli_against_is_repeatable_and_fails_on_leakage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", [ANNA, PARIS])
    val = write_jsonl(tmp_path / "val.jsonl", [PARIS])
    test = write_jsonl(tmp_path / "test.jsonl", [ANNA_7])
    code = main(["check", str(train), "--against", str(val), "--against", str(test),
                 "--select", "leakage", "--json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(f["record"], f["message"].split(" of ")[0]) for f in doc["findings"]] == [
        (0, "near-copy (whole record ≈0.92)"),
        (1, "exact copy"),
    ]


def test_missing_library_is_one_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sftprep.rules.near as near

    monkeypatch.setattr(near, "_missing", lambda: "rensa is not installed (pip install x)")
    path = write_jsonl(tmp_path / "d.jsonl", [ANNA, ANNA_7])
    report = check(path, select=["near-duplicate"], runner=Runner(workers=1))
    (finding,) = report.findings
    assert (finding.severity.value, finding.message) == (
        "info",
        "near-duplicate detection skipped: rensa is not installed (pip install x)",
    )


def test_words_and_shingles() -> None:
    assert sim.words("Anna bought 12 apples, at 3.50!") == [b"anna", b"bought", b"apples"]
    assert sim.words("東京に") == [w.encode() for w in "東京に"]
    assert sim.words("abc 東京 xyz") == [b"abc", "東京".encode(), b"xyz"]  # spaced: words whole
    assert sim.shingles([b"a", b"b"]) == [] and sim.shingles([b"a", b"b", b"c"]) == [b"a b c"]
    assert sim.plain_words("Sold 48 clips") == ["sold", "48", "clips"]
    # a 3-gram hash depends on its words and their order only
    hashes, offsets = sim.shingle_hashes(
        [b"xxx aaa bbb ccc", b"aaa  bbb ccc", b"aaa bbb", b"ccc bbb aaa"]
    )
    assert offsets.tolist() == [0, 2, 3, 3, 4]
    assert hashes[1] == hashes[2] and len(set(hashes[[0, 1, 3]].tolist())) == 3
    # a word's hash reads its first and last 8 bytes and its length
    hashed, counts = sim.word_hashes([b"internationalization internationalisation abc abc a"])
    assert counts.tolist() == [4] and hashed[0] != hashed[1] and hashed[2] == hashed[3]


def test_html_report_shows_the_largest_cluster_with_marked_differences(tmp_path: Path) -> None:
    from sftprep.report.collect import build_report_data
    from sftprep.report.html import render_html

    path = write_jsonl(tmp_path / "d.jsonl", [ANNA, PARIS, ANNA_7])
    data = build_report_data(path, runner=Runner(workers=1))
    assert [(c["cluster"], c["size"]) for c in data.near_duplicates] == [(1, 2)]
    page = render_html(data)
    assert "Near-duplicate cluster 1: 2 records" in page
    assert "Anna has <mark>7</mark> apples" in page and "<mark>Note: checked.</mark>" in page


def test_terminal_shows_the_cluster_side_by_side(tmp_path: Path) -> None:
    from rich.console import Console

    from sftprep.report.terminal import print_check_report

    report = check(write_jsonl(tmp_path / "d.jsonl", [ANNA, ANNA_7]), select=["near-duplicate"])
    console = Console(record=True, width=120)
    print_check_report(report, console=console)
    text = console.export_text()
    assert "near-duplicate cluster 1: 2 records" in text
    assert "Note: checked." in text

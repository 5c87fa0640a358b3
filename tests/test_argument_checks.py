"""Value checks live in the API, so Python callers get the CLI's one-line messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from sftprep.check import check
from sftprep.count import count_tokens
from sftprep.errors import UsageError
from sftprep.report.collect import build_report_data
from sftprep.transform.fix import fix

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "examples" / "qa_dataset.jsonl"
MESSAGE = "--max-tokens must be a positive number of tokens, got"


@pytest.mark.parametrize("value", [0, -5])
def test_max_tokens_must_be_positive_in_every_api(value: int, tmp_path: Path) -> None:
    calls = [
        lambda: check(DATA, options={"tokenizer": "cl100k_base", "max_tokens": value}),
        lambda: count_tokens(DATA, max_tokens=value),
        lambda: build_report_data(DATA, max_tokens=value),
        lambda: fix(DATA, tmp_path / "o.jsonl", rejects=tmp_path / "r.jsonl",
                    max_tokens=value, tokenizer="cl100k_base"),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(UsageError, match=f"^{MESSAGE} {value}$"):
            call()
    assert list(tmp_path.iterdir()) == []


def test_report_examples_must_not_be_negative() -> None:
    with pytest.raises(UsageError, match=r"^--examples must be 0 or more$"):
        build_report_data(DATA, examples=-1)


def test_cli_modules_leave_the_check_to_the_api() -> None:
    cli = REPO / "src" / "sftprep" / "cli"
    assert not [p.name for p in cli.glob("*.py") if "positive number of tokens" in p.read_text()]

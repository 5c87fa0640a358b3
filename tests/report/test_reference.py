"""docs/reference.md is written from the registries and is current."""

from __future__ import annotations

from pathlib import Path

from sftprep.report.reference import units_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def test_reference_page_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == units_markdown(), "run scripts/gen_rules_doc.py"


def test_every_registered_format_and_target_has_a_row() -> None:
    text = units_markdown()
    for name in ("alpaca", "sharegpt", "messages", "text", "openai", "llama-factory", "hf"):
        assert f"| `{name}` |" in text
    assert "| `messages` | sft | turns, system turn | OpenAI chat" in text
    assert "| `.jsonl` | read, write |" in text and "| `<hf-hub>` | read |" in text

"""Content rules: template placeholders, chat markup and leftovers in the text."""

from __future__ import annotations

import pytest

from sftprep.formats.base import get_format
from sftprep.model import Location
from sftprep.rules.base import RecordContext
from sftprep.rules.content import TemplatePlaceholder

pytestmark = [pytest.mark.unseen]


@pytest.mark.parametrize(
    "text",
    [
        "Use 'Hello, {name}!'.format(name='Bob') to greet.",
        'In Rust, println!("{name}") prints it',
        'logger.info("{name}")',
        'In C#, $"Hello {name}" interpolates',
        "LaTeX: \\frac{a}{b} and \\text{output}",
        "Write `{name}` inside backticks",
    ],
)
def test_code_and_markup_braces_are_not_placeholders(text: str) -> None:
    fmt = get_format("alpaca")
    record = {"instruction": text, "input": "", "output": "ok"}
    conv = fmt.to_conversation(record, Location("a.jsonl", 1, 0))
    ctx = RecordContext(record, Location("a.jsonl", 1, 0), "alpaca", conv)
    assert list(TemplatePlaceholder().check(ctx)) == []


def test_a_real_placeholder_is_still_found() -> None:
    fmt = get_format("alpaca")
    record = {"instruction": "Context: {context}\nQ:{question}", "input": "", "output": "ok"}
    conv = fmt.to_conversation(record, Location("a.jsonl", 1, 0))
    ctx = RecordContext(record, Location("a.jsonl", 1, 0), "alpaca", conv)
    [finding] = TemplatePlaceholder().check(ctx)
    assert (finding.field, finding.message) == (
        "instruction",
        "`instruction` contains unrendered placeholder {context}, {question}",
    )

"""literal-escape and lost-unicode-escape: escapes written out, and escapes that lost their
backslash; and the code, paths, LaTeX, JSON and numbers that only look like them."""

from __future__ import annotations

from typing import Any

import pytest
from rulekit import REAL, chat, real_files, real_findings, single

from sftprep.catalog import get_rule, list_rules
from sftprep.findings import Finding, Severity
from sftprep.rules.base import RecordContext

BS = "\\"  # one backslash, so the cases below read as the text holds them


def run(rule_id: str, *contexts: RecordContext) -> list[Finding]:
    rule = get_rule(rule_id)()
    return [f for ctx in contexts for f in rule.check(ctx)] + list(rule.finish())


def alpaca(**record: Any) -> RecordContext:
    rec = {"instruction": "Say hi", "input": "", "output": "Hi!", **record}
    return single(rec, "instruction", "output", format="alpaca")


def test_both_rules_are_registered_warnings_of_the_content_group() -> None:
    rules = {r.id: r for r in list_rules()}
    for rule_id in ("literal-escape", "lost-unicode-escape"):
        assert rules[rule_id].severity is Severity.WARNING
        assert rules[rule_id].group == "content" and rules[rule_id].scope == "record"


# -- literal-escape ----------------------------------------------------------------------

NL, TAB, QUOTE = f"{BS}n (newline)", f"{BS}t (tab)", f'{BS}" (quote)'
LITERAL = [
    # a double-encoded export: the escapes are two characters each
    (f"Summarise:{BS}n{BS}nThe text of the article.", f"{NL} x2"),
    (f"Line one{BS}nLine two", f"{NL} x1"),
    (f"Name{BS}tAge{BS}nAda{BS}t36", f"{TAB} x2, {NL} x1"),
    (f'He said {BS}"hi{BS}" and left.', f"{QUOTE} x2"),
    (f"caf{BS}u00e9 and na{BS}u00efve", f"{BS}u00e9 (é) x1, {BS}u00ef (ï) x1"),
    (f"It{BS}u2019s here.{BS}nNext", f"{BS}u2019 (’) x1, {NL} x1"),
    (f"Steps:{BS}n1. Mix{BS}n2. Bake", f"{NL} x2"),
    # once one is certain, a letter after \n counts too (not a LaTeX command)
    (f"Hello.{BS}n{BS}nworld and more", f"{NL} x2"),
    # code that was encoded twice along with its text: no real newline, a fence
    (f"Here is code:{BS}n```python{BS}nprint('hi'){BS}n```", f"{NL} x3"),
    # legitimate backslashes
    (f"Hello{BS}nworld", None),  # \n before a lower-case letter alone is ambiguous
    (f"print('a{BS}nb')", None),
    (f'printf("%d{BS}n", x);', None),
    (f"The regex ^{BS}d+{BS}n$ matches a number line.", None),
    (f"Save it to C:{BS}new{BS}Test or C:{BS}Users{BS}Name.", None),
    (f"{BS}{BS}server{BS}Share{BS}Notes", None),
    (f"$ {BS}nu = 3 $ and {BS}theta and {BS}newline", None),
    (f"{BS}frac{{1}}{{2}} {BS}n", None),
    (f'{{"text": "Hello{BS}nWorld"}}', None),
    (f'json_str = "{{{BS}"name{BS}":{BS}"Jackie{BS}"}}"', None),
    (f'"[{{{BS}"name{BS}":{BS}"john{BS}"}}]"', None),
    (f"Use `{BS}n` to end a line.", None),
    (f"Use {BS}n for newlines.", None),
    (f"Switch {BS}n with {BS}r{BS}n for all strings.", None),
    (f"send the terminating chunk `0{BS}r{BS}n{BS}r{BS}n` now", None),
    (f"The escape {BS}t inserts a tab", None),
    (f"An escaped backslash {BS}{BS}n stays", None),
    ("Real\nnewlines and a real\ttab", None),
]


@pytest.mark.parametrize(("text", "kinds"), LITERAL)
def test_literal_escape(text: str, kinds: str | None) -> None:
    found = run("literal-escape", alpaca(output=text))
    expected = [f"`output` contains literal escape sequences: {kinds}"] if kinds else []
    assert [f.message for f in found] == expected


def test_literal_escape_points_at_the_first_and_reports_each_field_once() -> None:
    ctx = alpaca(instruction=f"Summarise:{BS}n{BS}nThe text.", output=f"Done.{BS}nBye.")
    first, second = run("literal-escape", ctx)
    assert (first.field, first.excerpt) == ("instruction", f"Summarise:{BS}n{BS}nThe text.")
    assert (second.field, second.message) == (
        "output",
        f"`output` contains literal escape sequences: {NL} x1",
    )


def test_literal_escape_skips_tool_call_arguments() -> None:
    call = {"type": "function", "function": {"name": "f", "arguments": '{"a": "x\\ny"}'}}
    ctx = chat({"messages": [{"role": "user", "content": "Go"},
                             {"role": "assistant", "tool_calls": [call]}]})  # fmt: skip
    assert run("literal-escape", ctx) == []


# -- lost-unicode-escape ----------------------------------------------------------------

LOST = [
    ("Check the recipientu2019s address.", "u2019 → ’ x1"),
    ("I don u2019t know.", "u2019 → ’ x1"),
    ("Check the recipient 2019s address.", "2019 → ’ x1"),
    ("You don 2019t say, it 2019s true.", "2019 → ’ x2"),
    ("A cafu00e9 au lait.", "u00e9 → é x1"),
    ("He said u201cquotedu201d loudly.", "u201c → “ x1, u201d → ” x1"),
    ("Read the Tu0026C first.", "u0026 → & x1"),
    # a code of digits only glued on one side counts next to a certain one
    ("Wait for itu2026 at the cafu00e9.", "u2026 → … x1, u00e9 → é x1"),
    ("Wait for itu2026 then", None),
    ("Ou2019Brien was here", "u2019 → ’ x1"),
    ("Lu00e9tu00e9 est chaud.", "u00e9 → é x2"),
    ("A wordu2014word dash", "u2014 → — x1"),
    # numbers stay numbers
    ("In 2019 sales grew.", None),
    ("Music of the 2010s and the 2019s-style charts", None),
    ("Revenue in 2019s reports", None),
    ("The Sony u2000 model", None),
    ("hash 3fu20191a and 9u00e9ab12", None),
    ("Open menu2019.pdf", None),
    ("FY2019s", None),
    ("See u2014 there", None),
    ("Q: what is u00e9? A: a code", None),
    (r"Escaped \u2019 keeps its backslash", None),
]


@pytest.mark.parametrize(("text", "kinds"), LOST)
def test_lost_unicode_escape(text: str, kinds: str | None) -> None:
    found = run("lost-unicode-escape", alpaca(output=text))
    expected = (
        [f"`output` contains unicode escapes that lost their backslash: {kinds}"] if kinds else []
    )
    assert [f.message for f in found] == expected


def test_lost_unicode_escape_excerpt_points_at_the_first() -> None:
    (finding,) = run("lost-unicode-escape", alpaca(output="Fine. " * 20 + "It u2019s late."))
    assert finding.field == "output"
    assert finding.excerpt == "…e. Fine. Fine. Fine. Fine. It u2019s late."


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
@pytest.mark.parametrize("name", real_files())
def test_escape_rules_stay_quiet_on_real_data(name: str) -> None:
    assert real_findings(name, "literal-escape") == []
    assert real_findings(name, "lost-unicode-escape") == []

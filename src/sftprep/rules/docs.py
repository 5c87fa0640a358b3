"""Rule documentation generated from the rule docstrings.

``sftprep rules`` and ``docs/rules.md`` (``scripts/gen_rules_doc.py``) both come
from here, so the docs cannot drift from the code.

>>> "empty-text" in rules_markdown()
True
"""

from __future__ import annotations

import re
from typing import Any

from sftprep.catalog import RULES, list_rules
from sftprep.rules.base import Rule

SECTIONS = ("**What it does**", "**Why is this bad?**", "**Example**", "**Fix**")
GROUP_ORDER = ("structure", "content", "conversation", "tools", "dataset", "tokens")
SCOPES = {
    "reader": "emitted while reading the file",
    "schema": "emitted by the format adapter",
    "record": "checked on every record",
    "token": "checked when a tokenizer is given",
}

_RULE_REF = re.compile(r"(?<!`)`([a-z0-9]+(?:-[a-z0-9]+)+)`(?!`)")


def rule_info(rule: type[Rule]) -> dict[str, Any]:
    """One rule as a JSON-ready dict (what ``sftprep rules --json`` prints)."""
    return {
        "id": rule.id,
        "severity": rule.severity.value,
        "scope": rule.scope,
        "group": rule.group,
        "summary": rule.summary_line(),
        "hint": rule.hint,
        "doc": rule.doc(),
    }


def body(rule: type[Rule]) -> str:
    """The docstring without its summary line."""
    lines = rule.doc().splitlines()
    return "\n".join(lines[1:]).strip()


def rule_text(rule: type[Rule]) -> str:
    """The full documentation of one rule, for the terminal."""
    return (
        f"{rule.id} ({rule.severity.value}, scope {rule.scope}, group {rule.group})\n\n"
        f"{rule.summary_line()}\n\n{body(rule)}\n\nHint: {rule.hint}\n"
    )


def _ordered_groups(rules: list[type[Rule]]) -> list[str]:
    groups = {rule.group for rule in rules}
    known = [g for g in GROUP_ORDER if g in groups]
    return known + sorted(groups - set(known))


def _link_rules(text: str) -> str:
    """Turn `rule-id` mentions into links to that rule's section."""
    return _RULE_REF.sub(
        lambda m: f"[`{m.group(1)}`](#{m.group(1)})" if m.group(1) in RULES else m.group(0),
        text,
    )


def _markdown_body(rule: type[Rule]) -> str:
    """The docstring body with its section labels as level-4 headings."""
    lines = []
    for line in body(rule).splitlines():
        if line.strip() in SECTIONS:
            lines += ["", f"#### {line.strip().strip('*')}", ""]
        else:
            lines.append(line)
    return _link_rules(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


def rules_markdown() -> str:
    """The ``docs/rules.md`` page: an index table, then every rule by group."""
    rules = list_rules()
    out = [
        "# Rules",
        "",
        "<!-- Generated from the rule docstrings by scripts/gen_rules_doc.py"
        " (or `sftprep rules --markdown`); do not edit by hand. -->",
        "",
        "Every finding of `sftprep check` carries one of these rule ids. Select or skip",
        "rules with `--select` / `--ignore`; `sftprep rules ID` prints one rule's page.",
        "Scopes: " + "; ".join(f"`{scope}`: {text}" for scope, text in SCOPES.items()) + ".",
        "",
        "| Rule | Severity | Scope | Group | Summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    out += [
        f"| [`{r.id}`](#{r.id}) | {r.severity.value} | {r.scope} | {r.group} | "
        f"{r.summary_line().replace('|', '&#124;')} |"
        for r in rules
    ]
    for group in _ordered_groups(rules):
        out += ["", f"## {group.capitalize()}"]
        for rule in (r for r in rules if r.group == group):
            out += [
                "",
                f"### {rule.id}",
                "",
                f"*{rule.summary_line()}*",
                "",
                f"Severity: **{rule.severity.value}** · scope: `{rule.scope}` · "
                f"group: `{rule.group}`",
                "",
                _markdown_body(rule),
                "",
                f"**Hint:** {rule.hint}",
            ]
    return "\n".join(out) + "\n"

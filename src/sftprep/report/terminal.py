"""Terminal rendering of check reports with rich: findings grouped by problem, or all.

A group is one problem seen many times: the same severity, rule, field shape
(``messages[3].content`` -> ``messages[*].content``) and message shape (digit runs
outside quotes normalised, so "duplicate of record 0 (line 1)" and "... record 7
(line 8)" are one group while ``unknown role 'bot'`` and ``unknown role 'model'`` are
two). Each group prints as one line (count, rule, message of its first finding, first
locations), then the first finding's excerpt and the rule's hint.

>>> from sftprep.model import Location
>>> a = Finding("r", Severity.INFO, "same as record 0 (line 1)", Location("d.jsonl", 2, 1))
>>> b = Finding("r", Severity.INFO, "same as record 7 (line 8)", Location("d.jsonl", 9, 8))
>>> [(g.count, g.first.message) for g in group_findings([a, b])]
[(2, 'same as record 0 (line 1)')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sftprep.findings import Finding, Report, Severity, printable
from sftprep.model import Location

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

LOCATIONS_SHOWN = 3  # locations listed on a group's line
# Distinct groups tracked; past this, findings of a new shape join one catch-all group
# per (severity, rule), so memory stays bounded whatever the data.
MAX_GROUPS = 10_000
MAX_EXCERPT = 160  # characters of an excerpt printed (rules already keep them short)

_INDEX = re.compile(r"\[\d+\]")
# Names kept as written: `backticked`, 'quoted' or "quoted" text (a Python repr), U+FFFD;
# outside them, digit runs. (The lookahead halves the time: a finding may be one of millions.)
_NAME_OR_DIGITS = re.compile(
    r"(?=[`'\"U\d])(?:(`[^`]*`|(?<!\w)'[^'\\]*(?:\\.[^'\\]*)*'(?!\w)"
    r"|\"[^\"\\]*(?:\\.[^\"\\]*)*\"|U\+[0-9A-Fa-f]{4,6})|\d+)"
)
SHAPE_CACHE = 4_096  # messages whose shape is remembered (many findings repeat one)
_DIGIT = re.compile(r"\d")
# Line breaks, tabs and other control characters (an ESC would drive the terminal).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_NAMES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def field_shape(field: str | None) -> str:
    """``field`` with list indices normalised: ``messages[3].content`` -> ``messages[*].content``.

    >>> field_shape("messages[3].content")
    'messages[*].content'
    """
    if not field:
        return ""
    return _INDEX.sub("[*]", field) if "[" in field else field


def message_shape(message: str) -> str:
    """``message`` with digit runs normalised, except inside quoted or backticked names
    (where only list indices are), so findings that differ by a number group together.

    >>> message_shape("exact duplicate of record 7 (line 8)")
    'exact duplicate of record # (line #)'
    >>> message_shape("`messages[3].content` is empty")
    '`messages[*].content` is empty'
    >>> message_shape("unknown role 'bot2'")
    "unknown role 'bot2'"
    """
    if not _DIGIT.search(message):  # most messages: nothing to normalise
        return message
    return _NAME_OR_DIGITS.sub(_shape_part, message)


def _shape_part(match: re.Match[str]) -> str:
    name = match.group(1)
    if name is None:
        return "#"
    return _INDEX.sub("[*]", name) if "[" in name else name


@dataclass(slots=True)
class FindingGroup:
    """Findings of one shape: their count, the first few locations, the first finding."""

    first: Finding
    order: int  # position of the first finding in the report (file order)
    count: int = 0
    locations: list[Location] = field(default_factory=list)
    mixed: bool = False  # a catch-all group past MAX_GROUPS: several message shapes

    @property
    def severity(self) -> Severity:
        return self.first.severity

    @property
    def rule(self) -> str:
        return self.first.rule


def group_findings(
    findings: Iterable[Finding],
    *,
    locations: int = LOCATIONS_SHOWN,
    max_groups: int | None = None,
) -> list[FindingGroup]:
    """Group ``findings`` by (severity, rule, field shape, message shape) in one pass.

    Holds per group only a counter, the first ``locations`` locations and the first
    finding, never the findings themselves (a `FindingStore` may hold millions, spilled
    to disk). Past ``max_groups`` (default `MAX_GROUPS`) distinct shapes, new shapes
    join one catch-all group per (severity, rule). Sorted errors first, then warnings,
    then infos; within a severity the biggest groups first, ties in file order.
    """
    tracked = MAX_GROUPS if max_groups is None else max_groups
    groups: dict[tuple[str, str, str | None, str | None], FindingGroup] = {}
    shapes: dict[str, str] = {}
    for order, finding in enumerate(findings):
        shape = shapes.get(finding.message)
        if shape is None:
            if len(shapes) >= SHAPE_CACHE:
                shapes.clear()
            shape = shapes[finding.message] = message_shape(finding.message)
        key: tuple[str, str, str | None, str | None] = (
            finding.severity.value,
            finding.rule,
            field_shape(finding.field),
            shape,
        )
        group = groups.get(key)
        if group is None:
            if len(groups) >= tracked:
                key = (finding.severity.value, finding.rule, None, None)
                group = groups.get(key)
            if group is None:
                group = groups[key] = FindingGroup(finding, order, mixed=key[2] is None)
        group.count += 1
        shown = group.locations
        if len(shown) < locations and (not shown or shown[-1] != finding.location):
            shown.append(finding.location)  # two findings in one record: one location
    return sorted(groups.values(), key=lambda g: (-g.severity.rank, -g.count, g.order))


def print_check_report(
    report: Report,
    *,
    max_findings: int = 20,
    show_all: bool = False,
    console: Console | None = None,
) -> None:
    """Files and formats, counts by rule and severity, then the findings grouped by
    problem (at most ``max_findings`` groups) or, with ``show_all``, every finding."""
    console = console or Console()
    for f in report.files:
        console.print(
            f"[bold]{_text(f.path)}[/]: format [cyan]{_text(f.format)}[/], {f.records} records, "
            f"{f.valid_records} without errors",
            highlight=False,
            soft_wrap=True,
        )
        if f.detection:
            console.print(f"  [dim]{_text(f.detection)}[/]", highlight=False, soft_wrap=True)
    summary = report.summary
    if not report.findings:
        console.print("[green]No problems found.[/]")
        return
    console.print(_rule_table(report))
    if show_all:
        _print_all(report, console)
    else:
        _print_groups(report, max(0, max_findings), console)
    if report.near_duplicates:
        print_clusters(report.near_duplicates, console)
    console.print(
        f"[bold]{summary['errors']}[/] errors, [bold]{summary['warnings']}[/] warnings, "
        f"[bold]{summary['infos']}[/] infos in {summary['records']} records",
        highlight=False,
    )


def _print_groups(report: Report, limit: int, console: Console) -> None:
    groups = group_findings(report.findings)
    total = len(report.findings)
    shown = groups[:limit]
    if len(shown) < len(groups):
        console.print(
            f"[bold]First {len(shown)} of {len(groups):,} groups of findings "
            f"({total:,} findings; errors first, then the biggest)[/]",
            highlight=False,
        )
    else:
        console.print(
            f"[bold]{total:,} {_plural(total, 'finding')} in {len(groups):,} "
            f"{_plural(len(groups), 'group')} (errors first, then the biggest)[/]",
            highlight=False,
        )
    for group in shown:
        console.print(_group_line(group), highlight=False, soft_wrap=True)
        if group.first.excerpt:
            console.print(
                f"    [dim]{_text(group.first.excerpt, MAX_EXCERPT)}[/]",
                highlight=False,
                soft_wrap=True,
            )
        if group.first.hint:
            console.print(
                f"    [dim]hint: {_text(group.first.hint)}[/]", highlight=False, soft_wrap=True
            )
    hidden = groups[limit:]
    if hidden:
        findings = sum(g.count for g in hidden)
        console.print(
            f"… {len(hidden):,} more {_plural(len(hidden), 'group')} not shown "
            f"({findings:,} {_plural(findings, 'finding')}): raise --max-findings, "
            "or --show-all to list every finding",
            highlight=False,
            soft_wrap=True,
        )


def _print_all(report: Report, console: Console) -> None:
    total = len(report.findings)
    console.print(f"[bold]All {total:,} {_plural(total, 'finding')} (file order)[/]")
    for finding in report.findings:
        console.print(_finding_line(finding), highlight=False, soft_wrap=True)
        if finding.excerpt:
            console.print(
                f"    [dim]{_text(finding.excerpt, MAX_EXCERPT)}[/]",
                highlight=False,
                soft_wrap=True,
            )


def _group_line(group: FindingGroup) -> str:
    """``severity  rule ×count  field: message  at path:1, :2, :3 (3 of N locations shown)``."""
    first = group.first
    sev = first.severity.value
    style = SEVERITY_STYLE[sev]
    count = f" [bold]×{group.count:,}[/]" if group.count > 1 else ""
    field = f"[cyan]{_text(field_shape(first.field))}[/]: " if first.field else ""
    message = _text(first.message)
    if group.mixed:
        message += " [dim](and other messages)[/]"
    where = _text(_locations(group.locations))
    if group.count > len(group.locations):
        where += f" ({len(group.locations):,} of {group.count:,} locations shown)"
    head = f"[{style}]{sev:<7}[/]  [{style}]{_text(first.rule)}[/]{count}"
    return f"{head}  {field}{message}  at {where}"


def _locations(locations: list[Location]) -> str:
    """``a.jsonl:1, :4, b.jsonl:2``; ``record N`` where there is no line."""
    parts: list[str] = []
    previous: str | None = None
    for loc in locations:
        if loc.line is not None:
            at = f":{loc.line}"
        elif loc.record is not None:
            at = f" record {loc.record}"
        else:
            at = ""
        if loc.path != previous or not at:
            parts.append(f"{loc.path}{at}")
        else:
            parts.append(at.lstrip())
        previous = loc.path
    return ", ".join(parts)


def _finding_line(f: Finding) -> str:
    """ruff-style: ``path:line  rule  field: message``."""
    loc = f.location
    where = f"{loc.path}:{loc.line}" if loc.line is not None else loc.path
    if loc.line is None and loc.record is not None:
        where += f" record {loc.record}"
    style = SEVERITY_STYLE[f.severity.value]
    field = f"[cyan]{_text(f.field)}[/]: " if f.field else ""
    return f"{_text(where)}  [{style}]{_text(f.rule)}[/]  {field}{_text(f.message)}"


def print_clusters(clusters: list[dict[str, object]], console: Console) -> None:
    """The largest near-duplicate clusters, first members side by side; the words of each
    member that differ from the cluster's first record are highlighted."""
    for cluster in clusters:
        members = cluster["members"]
        assert isinstance(members, list)
        table = Table(
            title=f"near-duplicate cluster {cluster['cluster']}: {cluster['size']} records",
            expand=False,
            show_lines=False,
        )
        base = str(members[0]["text"])
        for member in members:
            table.add_column(_text(str(member["location"])), max_width=50, overflow="fold")
        table.add_row(*(highlight_differences(base, str(m["text"])) for m in members))
        console.print(table)


def highlight_differences(base: str, text: str) -> str:
    """``text`` as rich markup with the words not in ``base`` (in order) in bold reverse.

    >>> highlight_differences("Anna has 3 apples", "Ben has 3 pears")
    '[bold reverse]Ben[/] has 3 [bold reverse]pears[/]'
    """
    from sftprep.similarity import word_diff

    return " ".join(
        f"[bold reverse]{_text(run)}[/]" if changed else _text(run)
        for run, changed in word_diff(base, text)
    )


def _text(text: str, limit: int | None = None) -> str:
    """Text from the data made safe to print: one line (control characters escaped), lone
    surrogates shown as ``\\ud800``, at most ``limit`` characters, rich markup escaped."""
    text = _CONTROL.sub(_control, printable(text))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text)


def _control(match: re.Match[str]) -> str:
    char = match.group(0)
    return _CONTROL_NAMES.get(char) or f"\\u{ord(char):04x}"


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _rule_table(report: Report) -> Table:
    # A rule may report at several severities (empty-text: warning for a system turn).
    found = report.findings.rule_severities
    severity = {
        rule: ", ".join(s.value for s in sorted(levels, key=lambda s: -s.rank))
        for rule, levels in found.items()
    }
    table = Table(title="Findings by rule", expand=False)
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("count", justify="right")
    for rule, count in report.summary["by_rule"].items():
        sev = severity[rule]
        style = SEVERITY_STYLE[sev.split(",")[0]]
        table.add_row(escape(rule), f"[{style}]{sev}[/]", str(count))
    return table

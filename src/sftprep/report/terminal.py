"""Terminal rendering of check reports with rich."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sftprep.findings import Finding, Report
from sftprep.io.text import printable

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_check_report(
    report: Report, *, max_findings: int = 20, console: Console | None = None
) -> None:
    """Files and formats, counts by rule and severity, then the first findings."""
    console = console or Console()
    for f in report.files:
        console.print(
            f"[bold]{f.path}[/]: format [cyan]{f.format}[/], {f.records} records, "
            f"{f.valid_records} without errors"
        )
        if f.detection:
            console.print(f"  [dim]{f.detection}[/]")
    summary = report.summary
    if not report.findings:
        console.print("[green]No problems found.[/]")
        return
    console.print(_rule_table(report))
    limit = max(0, max_findings)
    # all of them fit: file order; otherwise the worst first, so no error hides
    fits = len(report.findings) <= limit
    shown = list(report.findings) if fits else _worst_first(report.findings, limit)
    if shown:
        order = " (errors first)" if len(shown) < len(report.findings) else ""
        console.print(f"[bold]First {len(shown)} of {len(report.findings)} findings{order}[/]")
    for finding in shown:
        console.print(printable(_finding_line(finding)), highlight=False, soft_wrap=True)
        if finding.excerpt:
            console.print(f"    [dim]{escape(printable(finding.excerpt))}[/]", highlight=False)
    console.print(
        f"[bold]{summary['errors']}[/] errors, [bold]{summary['warnings']}[/] warnings, "
        f"[bold]{summary['infos']}[/] infos in {summary['records']} records"
    )


def _finding_line(f: Finding) -> str:
    """ruff-style: ``path:line  rule  field: message``."""
    where = f"{f.location.path}:{f.location.line}" if f.location.line else f.location.path
    if f.location.line is None and f.location.record is not None:
        where += f" record {f.location.record}"
    style = SEVERITY_STYLE[f.severity.value]
    field = f"[cyan]{escape(f.field)}[/]: " if f.field else ""
    return f"{escape(where)}  [{style}]{f.rule}[/]  {field}{escape(f.message)}"


def _worst_first(findings: Iterable[Finding], n: int) -> list[Finding]:
    """The first ``n`` findings: errors, then warnings, then infos, each in file order
    (so 5,000 infos hide no error); never more than ``n`` held."""
    ranked = ((-f.severity.rank, i, f) for i, f in enumerate(findings))
    return [f for _, _, f in heapq.nsmallest(n, ranked, key=lambda t: (t[0], t[1]))]


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
        table.add_row(rule, f"[{style}]{sev}[/]", str(count))
    return table

"""What fix, convert, split and new did, for a terminal (rich): the command's summary
object, printed; ``--json`` prints the summary's own ``to_dict`` instead."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sftprep import units
from sftprep.io.text import one_line
from sftprep.transform.convert import ConvertSummary
from sftprep.transform.fix import FixSummary
from sftprep.transform.new import NewSummary
from sftprep.transform.repairs import REPAIRS
from sftprep.transform.split import SplitSummary


def print_fix(summary: FixSummary) -> None:
    """Steps, records per step and what each means; in = out + rejected."""
    console = Console()
    table = Table(title=f"fix {summary.path} ({summary.format})", expand=False)
    table.add_column("step")
    table.add_column("records", justify="right")
    table.add_column("what it means")
    table.add_row("read", str(summary.records_in), "records in the input (parsed or not)")
    for name in summary.repairs:
        table.add_row(
            f"repaired: {name}", str(summary.repaired.get(name, 0)), REPAIRS.get(name).explanation
        )
    for reason, count in summary.dropped.most_common():
        table.add_row(f"dropped: {reason}", str(count), _DROPS.get(reason, ""))
    table.add_row("[green]written[/]", str(summary.records_out), summary.out)
    table.add_row("[red]rejected[/]", str(summary.rejected), summary.rejects_path)
    console.print(table)
    if summary.dropped_by_rule:
        rules = ", ".join(f"{r} ({n})" for r, n in summary.dropped_by_rule.most_common())
        console.print(f"rejected by rule: {rules}")
    if summary.dataset_findings:
        console.print(
            f"[yellow]{len(summary.dataset_findings)} dataset-level finding(s)[/] cannot be "
            "fixed per record; run `sftprep check` on the output to see them"
        )
    console.print(
        f"[bold]{summary.records_in}[/] in = [bold green]{summary.records_out}[/] out + "
        f"[bold red]{summary.rejected}[/] rejected"
    )


def print_convert(summary: ConvertSummary) -> None:
    """In = out + rejected, rejects by rule, keys removed or kept untrained."""
    console = Console()
    target = f" for [bold]{summary.target}[/]" if summary.target else ""
    console.print(
        f"[cyan]{summary.path}[/] ({summary.source_format}) -> [cyan]{summary.out}[/] "
        f"({summary.to}){target}: [bold]{summary.records_in}[/] in = "
        f"[bold green]{summary.records_out}[/] out + [bold red]{summary.rejected}[/] rejected"
    )
    if summary.rejected_by_rule:
        table = Table(title=f"Rejected (written to {summary.rejects_path})", expand=False)
        table.add_column("rule")
        table.add_column("records", justify="right")
        for rule, count in sorted(summary.rejected_by_rule.items(), key=lambda kv: -kv[1]):
            table.add_row(rule, str(count))
        console.print(table)
    if summary.removed_keys:
        keys = ", ".join(f"{_shown(k)} ({n})" for k, n in summary.removed_keys.most_common())
        why = f"{summary.target} does not accept" if summary.target else "not SFT targets"
        console.print(f"removed keys ({why}): {keys}")
    if summary.untrained_text:
        keys = ", ".join(f"`{_shown(k)}` ({n})" for k, n in summary.untrained_text.most_common())
        console.print(
            f"[yellow]kept as extra keys, holding text that is not trained:[/] {keys}; "
            "map them into the conversation (--map) or drop them"
        )
    for path in summary.companion_files:
        console.print(f"wrote [cyan]{path}[/]")


def print_split(summary: SplitSummary) -> None:
    """Records, share and file per split; strata when stratified."""
    table = Table(
        title=f"split {summary.path} (seed {summary.seed}): {summary.records} records in "
        f"{summary.groups} groups of {summary.grouping} (largest {summary.largest_group}"
        + (
            f"; {summary.near_duplicates} near-copies kept with their cluster)"
            if summary.near_duplicates
            else ")"
        ),
        expand=False,
    )
    table.add_column("split")
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    table.add_column("file")
    for name, count in summary.counts.items():
        share = units.percent(count / summary.records) if summary.records else "-"
        table.add_row(name, str(count), share, summary.files.get(name, ""))
    Console().print(table)
    if summary.removed:
        Console().print(
            f"removed {', '.join(summary.removed)}: written by an earlier split of this folder, "
            "not part of this one",
            highlight=False,
        )
    if summary.strata:
        strata = Table(title="records per stratum", expand=False)
        strata.add_column("value")
        for name in summary.counts:
            strata.add_column(name, justify="right")
        for value, row in summary.strata.items():
            strata.add_row(value, *(str(row[name]) for name in summary.counts))
        Console().print(strata)


def print_new(summary: NewSummary) -> None:
    """The file written and how to check it."""
    Console().print(
        f"wrote [bold]{summary.records}[/] {summary.task} records ({summary.format}) to "
        f"[cyan]{summary.out}[/]; check them with `sftprep check {summary.out}`"
    )


_DROPS = {
    "unparseable": "not valid JSON/UTF-8: kept as raw text in the rejects",
    "duplicate": "exact duplicate (after repair) of an earlier record",
    "near-duplicate": "near-copy of the record kept from its cluster",
    "invalid": "still has an error finding after repair (rule ids in the rejects)",
    "max-tokens": "longer than --max-tokens",
    "lossy-conversion": "--to format cannot carry the record",
}


def _shown(key: str) -> str:
    """A key from the data, for the terminal: one line, no rich markup."""
    return escape(one_line(key))

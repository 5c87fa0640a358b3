"""Show an estimate: rich tables for the terminal, HTML for notebooks.

Both print every section that applies, the source of each number, and the
assumptions last.

>>> import io
>>> from rich.console import Console
>>> from sftprep.estimate import estimate
>>> console = Console(file=io.StringIO(), record=True, width=120)
>>> render(estimate([500] * 40, model="gpt-4o-mini-2024-07-18"), console)
>>> "$0.18" in console.export_text()
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sftprep import units

if TYPE_CHECKING:
    from rich.console import Console

    from sftprep.estimate.core import Estimate


def render(estimate: Estimate | Mapping[str, Any], console: Console | None = None) -> None:
    """Print ``estimate`` (an `Estimate` or its ``to_dict()``) on ``console`` (default stdout)."""
    from rich.console import Console

    doc = estimate if isinstance(estimate, Mapping) else estimate.to_dict()
    (console or Console()).print(renderable(doc))


def print_estimate(doc: Mapping[str, Any]) -> None:
    """Print an ``Estimate.to_dict()`` document on stdout."""
    render(doc)


def renderable(doc: Mapping[str, Any]) -> Any:
    """A rich ``Group`` of the estimate's sections."""
    from rich.console import Group

    parts: list[Any] = []
    for section in _SECTIONS:
        parts.extend(section(doc))
    return Group(*parts)


def _problem(doc: Mapping[str, Any]) -> list[Any]:
    from rich.text import Text

    problem = doc.get("problem")
    return [Text(problem, style="bold red")] if problem else []


def _nothing_priced(doc: Mapping[str, Any]) -> list[Any]:
    """Without a model, say what to pass instead of a table of dashes."""
    from rich.text import Text

    if doc.get("problem") or doc.get("api") or doc.get("gpu"):
        return []
    return [
        Text(
            "no cost or time: pass a hosted model (--model gpt-4o-mini-2024-07-18) for the API "
            "cost, or a local model and GPU (--model llama-3.1-8b --gpu h100) for the training "
            "time; `sftprep estimate --help` lists the options",
            style="yellow",
        )
    ]


def _tokens(doc: Mapping[str, Any]) -> list[Any]:
    from rich.text import Text

    tok = doc["tokens"]
    line = f"[bold]tokens[/] {tok['total']:,} total · {tok['trainable']:,} trainable"
    if tok["trainable"]:  # with nothing trainable, "trained (all epochs)" would contradict it
        line += f" · {tok['trained_tokens']:,} trained (all epochs)"
    return [Text.from_markup(line)]


def _api(doc: Mapping[str, Any]) -> list[Any]:
    from rich.text import Text

    api = doc.get("api")
    if not api:
        return []
    line = (
        f"[bold]{api['provider']} {api['model']}[/]: {api['epochs']} epochs, "
        f"{api['billed_tokens']:,} billed tokens -> [bold green]${api['cost_usd']:,.2f}[/]"
    )
    return [Text.from_markup(line), Text(f"  source: {api['source']}", style="dim")]


def _gpu(doc: Mapping[str, Any]) -> list[Any]:
    from rich.text import Text

    gpu = doc.get("gpu")
    if not gpu:
        return []
    where = f"{gpu['gpus']} x {gpu['gpu']}" if gpu["gpu"] else f"{gpu['gpus']} GPU(s)"
    line = (
        f"[bold]{gpu['model'] or 'model'} {gpu['method']}[/] on {where}: "
        f"{gpu['tokens_per_s']:,.0f} tokens/s -> [bold green]{units.hours(gpu['hours'])}[/]"
    )
    if gpu["hours"] < 1:  # below an hour, also in the unit that reads best
        line += f" ({units.duration(gpu['hours'])})"
    source = Text(f"  throughput: {gpu['throughput_source']}", style="dim")
    return [Text.from_markup(line), source]


def _packing(doc: Mapping[str, Any]) -> list[Any]:
    pk = doc.get("packing")
    if not pk:
        return []
    title = f"padding vs packing at max_seq_len {pk['max_seq_len']:,}, batch {pk['batch_size']}"
    table = _table(title, ("", "tokens/epoch", "efficiency", "steps/epoch"))
    for key in ("padded", "packed"):
        row = pk[key]
        eff, steps = units.percent(row["efficiency"]), f"{row['steps_per_epoch']:,}"
        table.add_row(key, f"{row['tokens']:,}", eff, steps)
    return [table]


def _sweep(doc: Mapping[str, Any]) -> list[Any]:
    rows = doc.get("sweep")
    if not rows:
        return []
    # Columns only where some row has a value: no column of dashes.
    waste = any(row["padding_waste"] is not None for row in rows)
    hours = any(row["hours"] is not None for row in rows)
    cols: tuple[str, ...] = ("max_seq_len", "records kept", "trainable lost")
    cols += ("padding waste",) * waste + ("hours",) * hours
    table = _table("truncation sweep (* recommended)", cols)
    for row in rows:
        cells = [
            row["label"] + (" *" if row.get("recommended") else ""),
            f"{row['records_kept']:,} ({units.percent(row['records_kept_share'])})",
            f"{row['trainable_lost']:,} ({units.percent(row['trainable_lost_share'])})",
        ]
        if waste:
            cells.append("-" if row["padding_waste"] is None else f"{row['padding_waste']:,}")
        if hours:
            cells.append("-" if row["hours"] is None else units.sig3(row["hours"]))
        table.add_row(*cells, style="bold" if row.get("recommended") else None)
    return [table]


def _memory(doc: Mapping[str, Any]) -> list[Any]:
    from rich.text import Text

    mem = doc.get("memory")
    if not mem:
        return []
    if mem.get("mode") == "aidaptiv-offload":
        return _offload(mem)
    fit = ""
    if mem["fits"] is True:
        fit = f" · [green]fits[/] {units.gigabytes(mem['gpu_memory_gb'])}"
    elif mem["fits"] is False:
        fit = (
            f" · [red]does not fit[/] {units.gigabytes(mem['gpu_memory_gb'])} "
            f"(short by {units.gigabytes(mem['short_by_gb'])})"
        )
    shard = f", states sharded over {mem['gpus']} GPUs" if mem.get("sharded") else ""
    line = (
        f"[bold]memory per GPU[/] ({mem['method']}, seq {mem['seq_len']:,} x batch "
        f"{mem['batch_size']}{shard}): weights {mem['weights_gb']:g} + gradients "
        f"{mem['gradients_gb']:g} + optimizer {mem['optimizer_gb']:g} + activations "
        f"{mem['activations_gb']:g} + logits {mem['logits_gb']:g} = "
        f"[bold]{units.gigabytes(mem['total_gb'])}[/]{fit}"
    )
    return [Text.from_markup(line)]


def _offload(mem: Mapping[str, Any]) -> list[Any]:
    """The aiDAPTIV+ fit: one line per tier (GPU, DRAM, aiDAPTIVCache), then without it."""
    from rich.text import Text

    verdict = {True: "[green]fits[/]", False: "[red]does not fit[/]"}.get(mem["fits"], "")
    head = (
        f"[bold]memory with aiDAPTIV+ offload[/] ({mem['method']}, micro batch "
        f"{mem['batch_size']} x {mem['seq_len']:,} tokens, {mem['gpus']} GPU(s)): {verdict}"
    )
    lines = [Text.from_markup(head)]
    names = {"gpu": "per GPU", "dram": "host DRAM", "cache": "aiDAPTIVCache"}
    for tier, label in names.items():
        t = mem[tier]
        parts = " + ".join(
            f"{k.removesuffix('_gb').replace('_', ' ')} {v:g}"
            for k, v in mem["offload"][tier].items()
            if v
        )
        cap = "" if t["capacity_gb"] is None else f" of {units.gigabytes(t['capacity_gb'])}"
        short = (
            f" [red](short by {units.gigabytes(t['short_by_gb'])})[/]" if t["fits"] is False else ""
        )
        lines.append(
            Text.from_markup(f"  {label}: {parts} = {units.gigabytes(t['need_gb'])}{cap}{short}")
        )
    plain = mem.get("without_offload") or {}
    if plain.get("fits") is False:
        lines.append(
            Text(
                f"  without offload: {units.gigabytes(plain['total_gb'])} per GPU, short of "
                f"{units.gigabytes(plain['gpu_memory_gb'])} "
                f"by {units.gigabytes(plain['short_by_gb'])}",
                style="dim",
            )
        )
    return lines


def _training(doc: Mapping[str, Any]) -> list[Any]:
    """An aiDAPTIV+ project's run: records, steps and tokens, each setting's source."""
    from rich.text import Text

    t = doc.get("training")
    if not t:
        return []
    val = t.get("validation_records")
    line = (
        f"[bold]aiDAPTIV+ project[/]: {t['records']:,} training records"
        + (f" ({val:,} validation)" if val else "")
        + f" · {_n(t['epochs'], 'epoch')} x {_n(t['steps_per_epoch'], 'step')} = "
        f"[bold]{_n(t['optimizer_steps'], 'optimizer step')}[/] of "
        f"{t['per_update_total_batch_size']} records ({t['per_device_train_batch_size']} per "
        f"GPU x {_n(t['num_gpus'], 'GPU')} x "
        f"{t['gradient_accumulation'] or '?'} accumulated) · {t['tokens_per_step']:,.0f} "
        f"tokens per step · max_seq_len {t['max_seq_len']:,}"
    )
    out = [Text.from_markup(line)]
    if t["records_over_max_seq_len"]:
        out.append(
            Text(
                f"  {t['records_over_max_seq_len']:,} records longer than max_seq_len: "
                f"truncation loses {t['trainable_tokens_lost']:,} trainable tokens",
                style="yellow",
            )
        )
    out.extend(Text(f"  config: {f}", style="yellow") for f in t.get("config_findings") or [])
    return out


def _n(count: int, noun: str) -> str:
    """``1 epoch``, ``3 epochs``, ``1,200 steps``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _assumptions(doc: Mapping[str, Any]) -> list[Any]:
    from rich.text import Text

    notes = doc.get("assumptions") or []
    if not notes:
        return []
    return [Text("assumptions", style="bold"), *(Text(f"  - {a}", style="dim") for a in notes)]


_SECTIONS: tuple[Callable[[Mapping[str, Any]], list[Any]], ...] = (
    _problem,
    _tokens,
    _training,
    _nothing_priced,
    _api,
    _gpu,
    _packing,
    _sweep,
    _memory,
    _assumptions,
)


def _table(title: str, columns: tuple[str, ...]) -> Any:
    from rich.table import Table

    table = Table(title=title, box=None, header_style="bold", title_justify="left")
    for col in columns:
        table.add_column(col, justify="right" if col else "left")
    return table

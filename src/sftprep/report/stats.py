"""The stats document for a terminal (`sftprep stats`): rich tables of totals, fields,
turns and distributions, a compact histogram, the media and the longest records."""

from __future__ import annotations

from typing import Any

HIST_BINS = 12
BAR_WIDTH = 32


def print_stats(
    doc: dict[str, Any], histogram: list[tuple[int, int, int]], *, per_record: str | None = None
) -> None:
    """The stats document for a terminal, with rich tables and a compact histogram."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for problem in doc.get("problems") or []:
        console.print(problem, style="bold red", highlight=False)
    tok = doc["tokenizer"]
    compare = doc.get("compare")
    console.print(
        f"[bold]{doc['file']}[/] · format {doc['format'] or '?'} · "
        f"tokenizer [bold]{tok['name']}[/] ({tok['kind']}, template {tok['template']})"
    )
    console.print(f"counted by {_counted_by(tok, compare)}", highlight=False)
    skipped = doc["skipped"]
    line = f"{doc['records']:,} records counted"
    if skipped:
        detail = ", ".join(f"{k} {v:,}" for k, v in sorted(skipped.items()))
        line += f", {sum(skipped.values()):,} skipped ({detail})"
    console.print(line)

    totals = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    totals.add_column("tokens")
    totals.add_column(tok["name"], justify="right")
    if compare:
        totals.add_column(compare["tokenizer"]["name"], justify="right")
        totals.add_column("ratio", justify="right")
    for key in ("total", "prompt", "trainable"):
        row = [key, f"{doc['tokens'][key]:,}"]
        if compare:
            a, b = doc["tokens"][key], compare["tokens"][key]
            row += [f"{b:,}", f"{b / a:.3f}" if a else "-"]
        totals.add_row(*row)
    console.print(totals)

    dist = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
    keys = ("min", "mean", "median", "p90", "p95", "p99", "max")
    dist.add_column("per record")
    for key in keys:
        dist.add_column(key, justify="right")
    series = [(f"total ({tok['name']})" if compare else "total", doc["distribution"]["total"])]
    series.append(("trainable", doc["distribution"]["trainable"]))
    if compare:
        series.append((f"total ({compare['tokenizer']['name']})", compare["distribution"]["total"]))
        series.append(("difference", compare["difference"]))
    series.append(("turns", doc["turns"]))
    for name, values in series:
        dist.add_row(name, *(_num(values.get(k)) for k in keys))
    console.print()
    console.print(dist)

    if histogram:
        console.print()
        console.print("[bold]total tokens per record[/]")
        peak = max(n for _, _, n in histogram) or 1
        width = len(f"{histogram[-1][1]:,}")
        for low, high, n in histogram:
            bar = "█" * max(1 if n else 0, round(BAR_WIDTH * n / peak))
            console.print(f"  {low:>{width},} – {high:>{width},} {bar} {n:,}", highlight=False)

    fields = doc.get("fields") or {}
    if fields:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for col, justify in (("field", "left"), ("records", "right"), ("tokens", "right")):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for col in ("mean", "max"):
            table.add_column(col, justify="right")
        for name, f in fields.items():
            table.add_row(
                name, f"{f['records']:,}", f"{f['total']:,}", _num(f["mean"]), _num(f["max"])
            )
        console.print()
        console.print(table)

    over = doc.get("over_limit")
    console.print()
    if over:
        console.print(
            f"over {over['max_tokens']:,} tokens: [bold]{over['records']:,}[/] records; "
            f"truncation loses {over['trainable_tokens_lost']:,} trainable tokens, "
            f"{over['records_without_trainable']:,} records keep none"
        )
    else:
        console.print("no --max-tokens limit (the tokenizer declares none)")
    if compare and compare.get("over_limit"):
        o = compare["over_limit"]
        console.print(
            f"{compare['tokenizer']['name']}: over {o['max_tokens']:,} tokens: {o['records']:,} "
            f"records, {o['trainable_tokens_lost']:,} trainable tokens lost"
        )

    outliers = doc.get("outliers") or []
    if outliers:
        console.print()
        console.print(
            f"[bold]outliers[/] ({doc['outlier_count']:,} records above Q3 + 3 IQR, largest first)"
        )
        for row in outliers:
            console.print(
                f"  {row['location']}  record {row['record']}: {row['total']:,} tokens "
                f"({row['trainable']:,} trainable)",
                highlight=False,
            )
    if compare and compare["largest_differences"]:
        console.print()
        console.print("[bold]largest per-record differences[/]")
        for row in compare["largest_differences"][:5]:
            console.print(
                f"  {row['location']}  record {row['record']}: {row['first']:,} -> "
                f"{row['total']:,} ({row['difference']:+,})",
                highlight=False,
            )
    for error in doc.get("errors") or []:
        console.print(
            f"[yellow]skipped[/] line {error['line']} (record {error['record']}): "
            f"{error['kind']}: {error['message']}",
            highlight=False,
        )
    if doc.get("media"):
        print_media(console, doc["media"])
    if per_record:
        console.print(f"per-record counts written to {per_record}")


def print_media(console: Any, media: dict[str, Any]) -> None:
    """The ``media`` section: references, distinct files, sizes and image tokens per
    model family, apart from the text tokens above."""
    from rich.table import Table

    refs, distinct = media["references"], media["distinct"]
    console.print()
    shown = ", ".join(
        f"{refs[k]:,} {k} reference{'s' if refs[k] != 1 else ''} ({distinct[k]:,} distinct)"
        for k in ("image", "video", "audio")
        if refs[k]
    )
    console.print(
        f"[bold]media[/] in {media['records_with_media']:,} records: {shown}", highlight=False
    )
    bad = {k: v for k, v in media["status"].items() if not k.endswith(" ok")}
    if bad:
        detail = ", ".join(f"{k} {v:,}" for k, v in bad.items())
        console.print(f"  not counted (see `sftprep check`): {detail}", highlight=False)
    size = media["image_size"]
    if size["width"]["count"]:
        console.print(
            f"  image size: {size['width']['min']}-{size['width']['max']} x "
            f"{size['height']['min']}-{size['height']['max']} px, "
            f"{size['bytes']['min']:,}-{size['bytes']['max']:,} bytes",
            highlight=False,
        )
    table = Table(box=None, pad_edge=False, header_style="bold")
    keys = ("mean", "median", "p90", "max")
    table.add_column("family")
    table.add_column("total", justify="right")
    for key in keys:
        table.add_column(f"{key}/record", justify="right")
    for name, row in media["image_tokens"].items():
        per = row["per_record"]
        table.add_row(name, f"{row['total']:,}", *(_num(per.get(k)) for k in keys))
    console.print("  image tokens per model family (not in the text tokens above):")
    console.print(table)
    if media.get("not_estimated"):
        console.print(f"  {media['not_estimated']['note']}", highlight=False)


def _counted_by(tok: dict[str, Any], compare: dict[str, Any] | None) -> str:
    """``quicktok-v1 0.4.0 (fast backend)``; with a comparison, each tokenizer's."""
    if not compare:
        return _backend(tok)
    other = compare["tokenizer"]
    return f"{_backend(tok)} for {tok['name']}; {_backend(other)} for {other['name']}"


def _backend(tok: dict[str, Any]) -> str:
    library = tok.get("library") or tok.get("kind", "?")
    return f"{library} ({tok.get('backend', 'reference')} backend)"


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"

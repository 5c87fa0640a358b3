"""HTML fragments for Jupyter (``_repr_html_``) and for the report's sections.

Small functions that take plain values (lists of counts, the ``to_dict()`` of a
`TokenStats` or an `Estimate`) and return an HTML string with inline SVG charts,
so any object can display itself in a notebook in one line::

    def _repr_html_(self) -> str:
        from sftprep.report.display import token_stats_html
        return token_stats_html(self.to_dict(), lengths=self._totals)

Nothing here imports matplotlib; fragments carry their own minimal inline styles
so they look right in a notebook without the report's stylesheet.

>>> "<svg" in histogram_svg([10, 20, 20, 35], title="Tokens per record", limit=32)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from sftprep import units
from sftprep.report import charts as ch
from sftprep.report.svg import to_svg

if TYPE_CHECKING:
    from sftprep.findings import (
        Report,  # data.py renders through this module: the type only, no cycle
    )
    from sftprep.report.data import TokenExample

TABLE_STYLE = "border-collapse:collapse;margin:4px 0 10px;font-size:13px"
CELL = "padding:2px 10px;border-bottom:1px solid #e3e3e3;text-align:left"
NUM = "padding:2px 10px;border-bottom:1px solid #e3e3e3;text-align:right"
MAX_LIST_ROWS = 50


# --- charts --------------------------------------------------------------------------


def histogram_svg(
    values: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    title: str = "Tokens per record",
    x_label: str = "tokens per record",
    limit: int | None = None,
    bins: int = ch.MAX_BINS,
) -> str:
    """Inline SVG histogram of one series, or several overlaid (a mapping label -> values)."""
    series = values if isinstance(values, Mapping) else {"records": values}
    chart = ch.histogram(series, title=title, x_label=x_label, limit=limit, max_bins=bins)
    return to_svg(chart)


def cdf_svg(
    values: Sequence[float],
    *,
    title: str = "Cumulative distribution of tokens per record",
    x_label: str = "tokens per record",
    limit: int | None = None,
) -> str:
    """Inline SVG cumulative distribution with p50/p90/p95/p99 marked."""
    return to_svg(ch.cdf(values, title=title, x_label=x_label, limit=limit))


def scatter_svg(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    title: str = "Prompt vs completion tokens",
    x_label: str = "prompt tokens",
    y_label: str = "completion tokens",
    limit: int | None = None,
) -> str:
    """Inline SVG scatter (sampled to 2,000 points)."""
    chart = ch.scatter(xs, ys, title=title, x_label=x_label, y_label=y_label, limit=limit)
    return to_svg(chart)


def boxes_svg(series: Mapping[str, Sequence[float]], *, title: str = "Tokens per field") -> str:
    """Inline SVG horizontal box plot, one row per series."""
    return to_svg(ch.boxes(series, title=title))


def counts_svg(values: Sequence[int], *, title: str, x_label: str) -> str:
    """Inline SVG bar per integer value (turns per conversation, epochs...)."""
    return to_svg(ch.counts(values, title=title, x_label=x_label))


# --- values and tables ---------------------------------------------------------------


def fmt_value(value: Any) -> str:
    """A scalar for display: thousands separators, 4 significant digits, escaped text.

    >>> fmt_value(1234567), fmt_value(0.123456), fmt_value(None)
    ('1,234,567', '0.1235', '–')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return escape(str(value))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _label(key: Any) -> str:
    return escape(str(key).replace("_", " "))


def _td(value: Any) -> str:
    """One cell: numbers right-aligned, short number lists joined, anything else nested."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if _is_scalar(value):
        text = fmt_value(value)
    elif _is_scalar_list(value):
        text = ", ".join(fmt_value(x) for x in value)
    else:
        text = value_html(value, level=5)
    return f'<td style="{NUM if number else CELL}">{text}</td>'


def table_html(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cls: str = "") -> str:
    """A plain table; numbers right-aligned and formatted, text escaped."""
    head = "".join(f'<th style="{CELL}">{_label(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows)
    klass = f' class="{escape(cls)}"' if cls else ""
    return (
        f'<table{klass} style="{TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def value_html(value: Any, *, level: int = 4) -> str:
    """Any JSON-like value as HTML: scalar mappings as key/value tables, lists of
    mappings as tables, nested mappings as titled sub-sections."""
    if _is_scalar(value):
        return fmt_value(value)
    if isinstance(value, Mapping):
        flat = [(k, v) for k, v in value.items() if _is_scalar(v) or _is_scalar_list(v)]
        nested = [(k, v) for k, v in value.items() if not (_is_scalar(v) or _is_scalar_list(v))]
        parts = []
        if flat:
            rows = "".join(
                f'<tr><th style="{CELL};font-weight:500">{_label(k)}</th>{_td(v)}</tr>'
                for k, v in flat
            )
            parts.append(f'<table style="{TABLE_STYLE}"><tbody>{rows}</tbody></table>')
        tag = f"h{min(level, 6)}"
        for key, sub in nested:
            title = f'<{tag} style="margin:8px 0 2px">{_label(key)}</{tag}>'
            parts.append(title + value_html(sub, level=level + 1))
        return "".join(parts)
    if isinstance(value, Sequence) and value and all(isinstance(v, Mapping) for v in value):
        columns = list(dict.fromkeys(k for row in value for k in row))
        shown = value[:MAX_LIST_ROWS]
        table = table_html(columns, [[row.get(c) for c in columns] for row in shown])
        more = len(value) - len(shown)
        return table + (f"<p><i>{more:,} more rows not shown</i></p>" if more > 0 else "")
    if isinstance(value, Sequence):
        items = "".join(f"<li>{value_html(v, level=level + 1)}</li>" for v in value[:MAX_LIST_ROWS])
        return f'<ul style="margin:2px 0 8px">{items}</ul>'
    return escape(str(value))


def _is_scalar_list(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) <= 12
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    )


# --- objects -------------------------------------------------------------------------

DIST_KEYS = ("min", "mean", "median", "p50", "p90", "p95", "p99", "max")


def distribution_table(distributions: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per series (total, trainable...), columns min/mean/median/p90/p95/p99/max."""
    distributions = {k: d for k, d in distributions.items() if isinstance(d, Mapping)}
    keys = [k for k in DIST_KEYS if any(k in d for d in distributions.values())]
    rows = [[name, *(d.get(k) for k in keys)] for name, d in distributions.items()]
    return table_html(["tokens per record", *keys], rows)


def token_stats_html(
    stats: Mapping[str, Any],
    *,
    lengths: Sequence[int] | Mapping[str, Sequence[int]] | None = None,
    limit: int | None = None,
) -> str:
    """A `TokenStats.to_dict()` as HTML: totals, distribution table, over-limit, fields,
    and a histogram when per-record ``lengths`` are given."""
    parts = []
    tokenizer = stats.get("tokenizer")
    about = []
    if stats.get("file"):
        about.append(f"<b>{fmt_value(stats['file'])}</b>")
    if stats.get("format"):
        about.append(f"format <b>{fmt_value(stats['format'])}</b>")
    if isinstance(tokenizer, Mapping):
        name = tokenizer.get("name") or next(iter(tokenizer.values()), "")
        extra = ", ".join(fmt_value(v) for k, v in tokenizer.items() if k != "name" and v)
        about.append(f"tokenizer <b>{fmt_value(name)}</b>" + (f" ({extra})" if extra else ""))
    if about:
        parts.append(f"<p>{' · '.join(about)}</p>")
    tokens = stats.get("tokens") or {}
    head = [("records", stats.get("records"))] + [(f"{k} tokens", v) for k, v in tokens.items()]
    parts.append(table_html(["", "count"], head))
    dist = dict(stats.get("distribution") or {})
    if isinstance(stats.get("turns"), Mapping):
        dist["messages"] = stats["turns"]
    if dist:
        parts.append(distribution_table(dist))
    if lengths is not None:
        parts.append(histogram_svg(lengths, limit=limit))
    for key in ("over_limit", "fields", "outliers", "skipped", "errors"):
        value = stats.get(key)
        if value:
            title = f'<h4 style="margin:8px 0 2px">{_label(key)}</h4>'
            parts.append(title + value_html(value, level=5))
    return f'<div class="sftprep-stats">{"".join(parts)}</div>'


def _usd(value: float) -> str:
    """Dollars with cents, or three significant digits below one dollar ($0.0145)."""
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.3g}"


def _offload_rows(memory: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """One row per tier of an aiDAPTIV+ offload fit: per GPU, host DRAM, aiDAPTIVCache."""
    rows = []
    names = {"gpu": "GPU memory", "dram": "host DRAM", "cache": "aiDAPTIVCache (SSD)"}
    for tier, label in names.items():
        t = memory[tier]
        fits = "fits" if t.get("fits") else f"short by {units.gigabytes(t.get('short_by_gb') or 0)}"
        of = f"of {units.gigabytes(t['capacity_gb'])}" if t.get("capacity_gb") is not None else ""
        rows.append((label, units.gigabytes(t["need_gb"]), f"{of}: {fits} (aiDAPTIV+ offload)"))
    return rows


def estimate_summary(doc: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The headline numbers of an `Estimate.to_dict()`: (what, value, how it was got)."""
    rows = []
    api = doc.get("api")
    if api:
        rows.append(
            (
                "hosted fine-tuning cost",
                _usd(api["cost_usd"]),
                f"{api['provider']} {api['model']}: {api['epochs']} epochs, "
                f"{api['billed_tokens']:,} billed tokens",
            )
        )
    gpu = doc.get("gpu")
    if gpu:
        where = f"{gpu['gpus']} × {gpu['gpu']}" if gpu.get("gpu") else f"{gpu['gpus']} GPU(s)"
        rows.append(
            (
                "training time",
                units.duration(gpu["hours"]),
                f"{gpu.get('model') or 'model'} {gpu['method']} on {where} at "
                f"{gpu['tokens_per_s']:,.0f} tokens/s",
            )
        )
    training = doc.get("training")  # an aiDAPTIV+ project's own settings
    if training:
        rows.append(
            (
                "optimizer steps",
                f"{training['optimizer_steps']:,}",
                f"{training['epochs']} epochs × ceil({training['records']:,} records / "
                f"{training['per_update_total_batch_size']:,} per update); "
                f"{training['tokens_per_step']:,.0f} tokens per step",
            )
        )
    memory = doc.get("memory")
    if memory and memory.get("mode") == "aidaptiv-offload":
        rows.extend(_offload_rows(memory))
    elif memory:
        fits = (
            "fits"
            if memory.get("fits")
            else f"short by {units.gigabytes(memory.get('short_by_gb', 0))}"
        )
        capacity = memory.get("gpu_memory_gb")
        rows.append(
            (
                "GPU memory",
                units.gigabytes(memory["total_gb"]),
                f"of {units.gigabytes(capacity) if capacity else '? GB'} per GPU: {fits} "
                f"(seq len {memory['seq_len']:,}, batch {memory['batch_size']})",
            )
        )
    packing = doc.get("packing")
    if packing:
        padded, packed = packing["padded"], packing["packed"]
        rows.append(
            (
                "packing",
                f"{units.percent(padded['efficiency'], 0)} → "
                f"{units.percent(packed['efficiency'], 0)}",
                f"tokens that are real data, padded vs packed at {packing['max_seq_len']:,}; "
                f"{padded['steps_per_epoch']:,} → {packed['steps_per_epoch']:,} steps per epoch",
            )
        )
    tokens = doc.get("tokens") or {}
    if tokens:
        rows.append(
            (
                "tokens",
                f"{tokens.get('total', 0):,}",
                f"{tokens.get('trainable', 0):,} trainable; "
                f"{tokens.get('trained_tokens', 0):,} trained over all epochs",
            )
        )
    return rows


def estimate_html(estimate: Mapping[str, Any]) -> str:
    """An `Estimate.to_dict()` as HTML: the headline numbers, the assumptions, and
    every section in full (collapsed)."""
    parts = []
    summary = estimate_summary(estimate)
    if summary:
        rows = "".join(
            f'<tr><th style="{CELL};font-weight:500">{escape(what)}</th>'
            f'<td style="{NUM};font-weight:600;font-size:15px">{escape(value)}</td>'
            f'<td style="{CELL};color:#57606a">{escape(how)}</td></tr>'
            for what, value, how in summary
        )
        parts.append(f'<table style="{TABLE_STYLE}"><tbody>{rows}</tbody></table>')
    assumptions = estimate.get("assumptions")
    if assumptions:
        parts.append(
            '<details open><summary style="font-weight:600;margin-top:8px">Assumptions</summary>'
            f"{value_html(assumptions, level=5)}</details>"
        )
    details = []
    for key, value in estimate.items():
        if key == "assumptions" or value in (None, {}, []):
            continue
        details.append(
            f'<h4 style="margin:10px 0 2px">{_label(key)}</h4>{value_html(value, level=5)}'
        )
    if details:
        parts.append(
            '<details><summary style="font-weight:600;margin-top:8px">All numbers</summary>'
            f"{''.join(details)}</details>"
        )
    return f'<div class="sftprep-estimate">{"".join(parts)}</div>'


# --- token view ----------------------------------------------------------------------

TRAIN_STYLE = "background:#fbd38d"
PROMPT_STYLE = "background:#eef1f4;color:#57606a"
CONTROL_STYLE = "color:#cf222e;font-size:10px"
# Invisible characters that change how the text around them is shown (bidi overrides
# and isolates, marks) or hide in it (zero-width space, BOM, word joiner): the token
# view names them instead, so a right-to-left override cannot reorder the tokens.
INVISIBLE = frozenset(
    "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)


def show_invisible(text: str, *, inline: bool = False) -> str:
    """``text`` escaped for HTML, each `INVISIBLE` character written as ``⟨U+202E⟩``.

    >>> show_invisible("a\u202eb<")
    'a<span class="ctl">⟨U+202E⟩</span>b&lt;'
    """
    attr = f'style="{CONTROL_STYLE}"' if inline else 'class="ctl"'
    return "".join(
        f"<span {attr}>⟨U+{ord(c):04X}⟩</span>" if c in INVISIBLE else escape(c) for c in text
    )


def token_spans(example: TokenExample, *, inline: bool = False) -> str:
    """One ``<span>`` per token: class ``t`` (trainable) or ``p`` (context), or inline
    styles with ``inline=True`` (outside the report's stylesheet); newlines show as ↵,
    bidi controls and zero-width characters by name, and each token is bidi-isolated
    so right-to-left text keeps the tokens in reading order."""
    parts = []
    for text, trainable in example.pieces:
        shown = show_invisible(text, inline=inline).replace("\n", "↵\n")
        if inline:
            style = TRAIN_STYLE if trainable else PROMPT_STYLE
            attr = f'style="{style};box-shadow:inset -1px 0 0 rgba(0,0,0,.18);unicode-bidi:isolate"'
        else:
            attr = f'class="{"t" if trainable else "p"}"'
        parts.append(f"<span {attr}>{shown}</span>")
    return "".join(parts)


def token_view_html(example: TokenExample) -> str:
    """A record's tokens for a notebook: trained-on tokens highlighted, the rest grey."""
    more = f" (first {len(example.pieces):,} shown)" if example.truncated else ""
    return (
        f"<div><b>{escape(example.label)}</b>: {example.total:,} tokens, "
        f'<span style="{TRAIN_STYLE}">{example.trainable:,} trainable</span>, '
        f'<span style="{PROMPT_STYLE}">{example.total - example.trainable:,} context</span>'
        f"{more}</div>"
        '<div style="font-family:ui-monospace,Menlo,monospace;font-size:12.5px;'
        "white-space:pre-wrap;word-break:break-word;line-height:1.9;border:1px solid #d8dee4;"
        f'border-radius:6px;padding:8px 10px">{token_spans(example, inline=True)}</div>'
    )


def report_html(report: Report) -> str:
    """A check's `Report` for Jupyter: the summary line and the first 200 findings."""
    s = report.summary
    head = (
        f"<p><b>{s['records']}</b> records, <b>{s['errors']}</b> errors, "
        f"<b>{s['warnings']}</b> warnings, <b>{s['infos']}</b> infos</p>"
    )
    rows = "".join(
        f"<tr><td>{escape(f.rule)}</td><td>{f.severity.value}</td>"
        f"<td>{escape(str(f.location))}</td><td>{escape(f.field or '')}</td>"
        f"<td>{escape(f.message)}</td></tr>"
        for f in report.findings[:200]
    )
    table = (
        "<table><tr><th>rule</th><th>severity</th><th>where</th><th>field</th>"
        f"<th>message</th></tr>{rows}</table>"
    )
    return head + table

"""The self-contained HTML report: one file, CSS, JS and charts inline, no network.

`render_html` turns a `ReportData` into a complete page; `render_body` gives the
same content as one ``<div>`` (with its scoped stylesheet) for a notebook cell.
Charts are inline SVG from `sftprep.report.svg`; the only script is the small
findings filter in ``templates/report.js``.

>>> from sftprep.report.data import ReportData
>>> page = render_html(ReportData("data.jsonl", records=0))
>>> page.startswith("<!DOCTYPE html>") and "https://" not in page
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sftprep.findings import Finding, Severity
from sftprep.report import display
from sftprep.report.svg import to_svg

if TYPE_CHECKING:  # data.py calls this module: the type only, no import cycle
    from sftprep.report.data import ReportData


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("sftprep.report", "templates"),
        autoescape=True,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


@cache
def _asset(name: str) -> str:
    return (resources.files("sftprep.report") / "templates" / name).read_text("utf-8")


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)


def _where(finding: Finding) -> str:
    """``file:line`` with the file's full path (the cell's tooltip)."""
    loc = finding.location
    return f"{loc.path}:{loc.line}" if loc.line is not None else loc.path


def _where_short(finding: Finding) -> str:
    """``name:line``: the table shows the file name, not the whole path, so the
    message and excerpt columns keep their width."""
    loc = finding.location
    name = Path(loc.path).name or loc.path
    return f"{name}:{loc.line}" if loc.line is not None else name


def _stats_tables(stats: dict[str, Any]) -> str:
    """Per-field token totals and the outlier records, from `TokenStats.to_dict()`."""
    parts = []
    fields = stats.get("fields") or {}
    if fields:
        rows = [{"field": name, **values} for name, values in fields.items()]
        parts.append("<h3>Tokens per source field</h3>" + display.value_html(rows))
    outliers = stats.get("outliers") or []
    if outliers:
        count = stats.get("outlier_count", len(outliers))
        rows = [{k: v for k, v in row.items() if k != "line"} for row in outliers]
        parts.append(
            f"<h3>Outliers: {display.fmt_value(count)} records far longer than the rest</h3>"
            '<p class="note">total tokens above Q3 + 3 × IQR; the longest are listed</p>'
            + display.value_html(rows)
        )
    return "".join(parts)


def _dist_table(label: str, series: dict[str, dict[str, Any]]) -> str:
    keys = ("min", "mean", "median", "p90", "max")
    rows = [[name, *(d.get(k) for k in keys)] for name, d in series.items()]
    return display.table_html([label, *keys], rows)


def _media_html(media: dict[str, Any] | None, thumbnails: list[dict[str, Any]]) -> str:
    """The media section: references, distinct files, sizes, image tokens per family
    (apart from the text tokens) and thumbnails of the largest images (inline data)."""
    if not media:
        return ""
    from html import escape

    refs, distinct = media["references"], media["distinct"]
    counts = {
        "records with media": media["records_with_media"],
        **{f"{k} references": refs[k] for k in ("image", "video", "audio") if refs[k]},
        **{f"distinct {k}s": distinct[k] for k in ("image", "video", "audio") if refs[k]},
    }
    parts = ["<h3>Media</h3>", display.value_html(counts)]
    problems = {k: v for k, v in media["status"].items() if not k.endswith(" ok")}
    if problems:
        parts.append("<h3>Media not counted</h3>" + display.value_html(problems))
    parts.append(_dist_table("per record", {"images": media["images_per_record"]}))
    size = media["image_size"]
    if size["width"]["count"]:
        parts.append(_dist_table("distinct images", size))
    keys = ("mean", "median", "p90", "max")
    rows = [
        {"family": name, "total": row["total"], **{k: row["per_record"].get(k) for k in keys}}
        for name, row in media["image_tokens"].items()
    ]
    parts.append(
        "<h3>Image tokens per model family</h3>"
        '<p class="note">not included in the text token counts above; per record: '
        "mean, median, p90, max</p>" + display.value_html(rows)
    )
    formulas = "".join(
        f"<li>{escape(row['formula'])}</li>" for row in media["image_tokens"].values()
    )
    parts.append(f'<ul class="note">{formulas}</ul>')
    if media.get("not_estimated"):
        parts.append(f'<p class="note">{escape(media["not_estimated"]["note"])}</p>')
    if thumbnails:
        figures = "".join(
            f'<figure class="thumb"><img src="{escape(t["data_uri"])}" alt="{escape(t["path"])}">'
            f"<figcaption>{escape(t['path'])}<br>{t['width']} × {t['height']} px, "
            f"{display.fmt_value(t['bytes'])} bytes</figcaption></figure>"
            for t in thumbnails
        )
        parts.append(f'<h3>Largest images</h3><div class="thumbs">{figures}</div>')
    return "".join(parts)


def render_body(data: ReportData) -> str:
    """The report as one ``<div class="sftprep-report">`` (for Jupyter or embedding)."""
    charts = data.charts()
    by_name = {c.name: c for c in charts}
    length_names = ("tokens_histogram", "tokens_cdf", "prompt_vs_completion")
    length_charts = [_markup(to_svg(by_name[n])) for n in length_names if n in by_name]
    structure = [_markup(to_svg(c)) for c in charts if c.name not in length_names]
    summary = data.lengths.summary()
    distribution = display.distribution_table(
        {name: summary[name] for name in ("total", "prompt", "trainable")}
    )
    over_limit = data.lengths.total.count_above(data.max_tokens) if data.max_tokens else 0
    stats_extra = _stats_tables(data.token_stats or {})
    template = _environment().get_template("body.html")
    return str(
        template.render(
            data=data,
            name=Path(data.path).name or data.path,
            css=_markup(_asset("report.css")),
            js=_markup(_asset("report.js")),
            summary=summary,
            severity=data.by_severity,
            severities=[s.value for s in Severity],
            over_limit=over_limit,
            distribution=_markup(distribution),
            length_charts=length_charts,
            structure=structure,
            stats_extra=_markup(stats_extra),
            media=_markup(_media_html(data.media, data.thumbnails)),
            estimate=_markup(display.estimate_html(data.estimate)) if data.estimate else "",
            rows=data.shown_findings,
            fmt=display.fmt_value,
            where=_where,
            where_short=_where_short,
            token_view=lambda ex: _markup(display.token_spans(ex)),
            differences=_differences,
        )
    )


def _differences(base: str, text: str) -> Any:
    """``text`` as HTML with the words not in ``base`` marked (``<mark>``), escaped."""
    import html

    from sftprep.similarity import word_diff

    return _markup(
        " ".join(
            f"<mark>{html.escape(run)}</mark>" if changed else html.escape(run)
            for run, changed in word_diff(base, text)
        )
    )


def render_html(data: ReportData) -> str:
    """The report as a complete, standalone HTML document."""
    body = render_body(data)
    template = _environment().get_template("report.html")
    return str(
        template.render(data=data, name=Path(data.path).name or data.path, body=_markup(body))
    )


def write_html(data: ReportData, path: str | Path) -> Path:
    """Write the report atomically (temp file + rename) and return its path.

    The dataset itself (``data.path``) is never replaced, even through a link.
    """
    from sftprep.findings import printable
    from sftprep.io.write import atomic_open

    out = Path(path)
    text = printable(render_html(data))  # dataset text may hold lone surrogates
    with atomic_open(out, "w", flag="-o", inputs=[data.path]) as fh:
        fh.write(text)
    return out

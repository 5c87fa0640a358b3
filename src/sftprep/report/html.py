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
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.report import display
from sftprep.report.data import ReportData
from sftprep.report.svg import to_svg


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
    over_limit = sum(1 for n in data.lengths.total if n > data.max_tokens) if data.max_tokens else 0
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
    """Write the report atomically (temp file + rename) and return its path."""
    import os
    import tempfile

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    from sftprep.io.text import printable

    text = printable(render_html(data))  # dataset text may hold lone surrogates
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out

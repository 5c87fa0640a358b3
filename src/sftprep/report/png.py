"""Draw a `Chart` as a PNG with matplotlib (``sftprep report --png DIR``).

matplotlib is an optional dependency (``pip install 'sftprep[report]'``) imported
only here, only when PNGs are asked for; the HTML report does not need it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError
from sftprep.io.text import os_reason
from sftprep.io.write import Outputs, atomic_open
from sftprep.report.charts import Bars, Boxes, Chart, Line, Marker, Points, RefLine, fmt_number


def _pyplot() -> Any:
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise UsageError(
            "--png needs matplotlib: pip install 'sftprep[report]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def write_png(
    chart: Chart, path: str | Path, outputs: Outputs | None = None, *, dpi: int = 120
) -> Path:
    """Render ``chart`` to ``path`` (a .png file) and return the path."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    fig, ax = plt.subplots(figsize=(chart.width / 80, chart.height / 80), dpi=dpi)
    try:
        ax.set_title(chart.title, loc="left", fontsize=11, fontweight="bold")
        ax.set_xlabel(chart.x_label)
        if chart.y_label:
            ax.set_ylabel(chart.y_label)
        if chart.empty:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        for layer in chart.layers:
            _draw(ax, layer)
        if chart.y_max is not None:
            ax.set_ylim(0, chart.y_max)
        if chart.y_percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        if not any(isinstance(layer, Boxes) for layer in chart.layers):
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(v)))
        if chart.legend:
            ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.grid(axis="y", color="#e6e6e6")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if chart.note:
            fig.text(0.01, 0.01, chart.note, fontsize=7, color="#666666")
        fig.tight_layout(rect=(0, 0.04 if chart.note else 0, 1, 1))
        out = Path(path)
        with atomic_open(out, "wb", flag="--png", outputs=outputs) as fh:
            fig.savefig(fh, format="png")
    finally:
        plt.close(fig)
    return out


def write_pngs(charts: Iterable[Chart], directory: str | Path) -> list[Path]:
    """One ``<chart.name>.png`` per chart in ``directory`` (created if missing); all
    replace their old files together, once every one is drawn."""
    folder = Path(directory)
    check_png_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--png {folder}: cannot create the folder ({os_reason(exc)})") from None
    with Outputs() as outputs:
        paths = [write_png(chart, folder / f"{chart.name}.png", outputs) for chart in charts]
        outputs.commit()
    return paths


def check_png_folder(folder: Path) -> None:
    """``--png DIR`` names a folder (or none yet), not a file."""
    try:
        is_other = folder.exists() and not folder.is_dir()
    except OSError as exc:
        raise UsageError(f"--png {folder}: {os_reason(exc)}") from None
    if is_other:
        raise UsageError(f"--png {folder} is a file; give a folder for the PNG charts")


def _draw(ax: Any, layer: object) -> None:
    if isinstance(layer, Bars):
        widths = [hi - lo for lo, hi in itertools.pairwise(layer.edges)]
        ax.bar(
            layer.edges[:-1],
            layer.counts,
            width=widths,
            align="edge",
            color=layer.color,
            alpha=0.6,
            edgecolor=layer.color,
            linewidth=0.5,
            label=layer.label or None,
        )
    elif isinstance(layer, Line):
        ax.plot(
            layer.xs,
            layer.ys,
            color=layer.color,
            linewidth=1.8,
            linestyle="--" if layer.dashed else "-",
            drawstyle="steps-post" if layer.step else "default",
            label=layer.label or None,
        )
    elif isinstance(layer, Points):
        ax.scatter(
            layer.xs,
            layer.ys,
            s=6,
            color=layer.color,
            alpha=0.5,
            linewidths=0,
            label=layer.label or None,
        )
    elif isinstance(layer, RefLine):
        draw = ax.axvline if layer.axis == "x" else ax.axhline
        draw(layer.value, color=layer.color, linestyle="--", linewidth=1.5)
        if layer.axis == "x":  # inside the plot beside the line, as in the SVG
            top = layer.position == "top"
            ax.annotate(
                layer.label,
                (layer.value, 0.98 if top else 0.02),
                xycoords=("data", "axes fraction"),
                xytext=(4, 0),
                textcoords="offset points",
                ha="left",
                va="top" if top else "bottom",
                color=layer.color,
                fontsize=8,
            )
    elif isinstance(layer, Marker):
        ax.plot([layer.x], [layer.y], "o", color=layer.color, markersize=4)
        ax.annotate(
            layer.label, (layer.x, layer.y), xytext=(6, -3), textcoords="offset points", fontsize=8
        )
    elif isinstance(layer, Boxes):
        rows = list(layer.boxes)[::-1]
        stats = [
            {
                "label": b.label,
                "whislo": b.low,
                "q1": b.q1,
                "med": b.median,
                "q3": b.q3,
                "whishi": b.high,
                "fliers": [],
            }
            for b in rows
        ]
        if not stats:
            return
        style = {
            "showfliers": False,
            "patch_artist": True,
            "boxprops": {"facecolor": layer.color, "alpha": 0.6},
            "medianprops": {"color": "#222222", "linewidth": 2},
        }
        try:  # matplotlib >= 3.10 names it `orientation`; older releases take `vert`
            ax.bxp(stats, orientation="horizontal", **style)
        except TypeError:
            ax.bxp(stats, vert=False, **style)

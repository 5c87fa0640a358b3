"""Draw a `Chart` as compact inline SVG: no dependency, no script, a few kilobytes.

Presentation attributes are written on the elements themselves (no ``<style>``),
so a chart looks the same inside the HTML report, in a Jupyter cell and on its own.
Coordinates are rounded to one decimal and a scatter is one ``<path>`` of
zero-length round-capped segments, which keeps 2,000 dots near 30 KB.

>>> from sftprep.report.charts import histogram
>>> svg = to_svg(histogram({"total": [1, 2, 2, 3]}, title="Tokens"))
>>> svg.startswith("<svg") and "<rect" in svg
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from sftprep import units
from sftprep.report.charts import (
    Bars,
    Box,
    Boxes,
    Chart,
    Layer,
    Line,
    Marker,
    Points,
    RefLine,
    fmt_number,
    nice_step,
)

FONT = "system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
AXIS = "#555"
GRID = "#e6e6e6"
TEXT = "#222"
MUTED = "#666"
MARKER_GAP = 14  # vertical pixels between percentile labels (11 px text)


def _n(value: float) -> str:
    """Coordinate with at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Frame:
    """Maps data to pixels inside the plot area."""

    def __init__(
        self,
        chart: Chart,
        left: float,
        x_domain: tuple[float, float],
        y_domain: tuple[float, float],
    ) -> None:
        self.left = left
        self.right = chart.width - 16
        self.top = 34 + (14 if chart.legend else 0)
        self.bottom = chart.height - 40 - (16 if chart.note else 0)
        self.x0, self.x1 = x_domain
        self.y0, self.y1 = y_domain

    def x(self, value: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (value - self.x0) / span * (self.right - self.left)

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.bottom - (value - self.y0) / span * (self.bottom - self.top)


def to_svg(chart: Chart) -> str:
    """The chart as one ``<svg>`` element (a string) ready to inline in HTML."""
    boxes = next((layer for layer in chart.layers if isinstance(layer, Boxes)), None)
    left = 56.0
    if boxes is not None:
        longest = max((len(_short(b.label)) for b in boxes.boxes), default=4)
        left = min(180.0, 16 + 6.6 * longest)
    x_domain, x_step = _x_domain(chart)
    y_domain, y_step = _y_domain(chart)
    frame = _Frame(chart, left, x_domain, y_domain)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sftprep-chart"'
        f' data-chart="{escape(chart.name)}"'
        f' viewBox="0 0 {chart.width} {chart.height}" width="{chart.width}" height="{chart.height}"'
        f' role="img" aria-label="{escape(chart.title)}" font-family="{FONT}" font-size="11"'
        f' style="max-width:100%;height:auto;background:#fff">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="{_n(left)}" y="18" font-size="13" font-weight="600" fill="{TEXT}">'
        f"{escape(chart.title)}</text>",
    ]
    if chart.empty:
        out.append(
            f'<text x="{chart.width / 2:.0f}" y="{chart.height / 2:.0f}" text-anchor="middle"'
            f' fill="{MUTED}">no data</text></svg>'
        )
        return "".join(out)
    out.extend(_grid_and_axes(chart, frame, x_step, y_step, categorical=boxes is not None))
    for layer in chart.layers:
        out.extend(_draw(layer, frame))
    out.extend(_markers([m for m in chart.layers if isinstance(m, Marker)], frame))
    out.extend(_legend(chart, frame))
    if chart.note:
        out.append(
            f'<text x="{_n(left)}" y="{chart.height - 6}" font-size="10" fill="{MUTED}">'
            f"{escape(chart.note)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


# --- domains and axes ----------------------------------------------------------------


def _x_domain(chart: Chart) -> tuple[tuple[float, float], float]:
    values: list[float] = []
    exact = False
    for layer in chart.layers:
        if isinstance(layer, Bars):
            values += [layer.edges[0], layer.edges[-1]]
            exact = True
        elif isinstance(layer, (Line, Points)):
            values += [0.0, *layer.xs] if isinstance(layer, Points) else list(layer.xs)
        elif isinstance(layer, RefLine) and layer.axis == "x":
            values.append(layer.value)
        elif isinstance(layer, Marker):
            values.append(layer.x)
        elif isinstance(layer, Boxes):
            values += [0.0, *(b.high for b in layer.boxes)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high <= low:  # one distinct value: show it from 0 with some room on the right
        low, high = min(low, 0.0), max(high * 1.1, low + 1)
    step = nice_step(high - low, 6)
    if chart.x_integer:
        step = max(1.0, round(step))
    if exact:
        return (low, high), step
    return (low if low < 0 or low > high / 2 else min(low, 0.0), _ceil_to(high, step)), step


def _y_domain(chart: Chart) -> tuple[tuple[float, float], float]:
    if chart.y_max is not None:
        return (0.0, chart.y_max), chart.y_max / 4
    high = 0.0
    for layer in chart.layers:
        if isinstance(layer, Bars):
            high = max(high, *layer.counts)
        elif isinstance(layer, (Line, Points)) and layer.ys:
            high = max(high, *layer.ys)
        elif isinstance(layer, RefLine) and layer.axis == "y":
            high = max(high, layer.value)
    high = high or 1.0
    step = nice_step(high, 5)
    if chart.y_integer or any(isinstance(layer, Bars) for layer in chart.layers):
        step = max(1.0, round(step))
    return (0.0, _ceil_to(high, step)), step


def _ceil_to(value: float, step: float) -> float:
    import math

    return math.ceil(value / step - 1e-9) * step if step else value


def _ticks(low: float, high: float, step: float) -> list[float]:
    import math

    first = math.ceil(low / step - 1e-9) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-6 and len(ticks) < 50:
        ticks.append(value)
        value += step
    return ticks


def _grid_and_axes(
    chart: Chart, f: _Frame, x_step: float, y_step: float, *, categorical: bool
) -> list[str]:
    out = []
    if not categorical:
        for tick in _ticks(f.y0, f.y1, y_step):
            y = _n(f.y(tick))
            label = units.percent(tick, 0) if chart.y_percent else fmt_number(tick)
            out.append(
                f'<line x1="{_n(f.left)}" x2="{_n(f.right)}" y1="{y}" y2="{y}" stroke="{GRID}"/>'
                f'<text x="{_n(f.left - 6)}" y="{y}" dy="0.32em" text-anchor="end" fill="{MUTED}">'
                f"{label}</text>"
            )
    for tick in _ticks(f.x0, f.x1, x_step):
        x = _n(f.x(tick))
        out.append(
            f'<line x1="{x}" x2="{x}" y1="{_n(f.bottom)}" y2="{_n(f.bottom + 4)}" stroke="{AXIS}"/>'
            f'<text x="{x}" y="{_n(f.bottom + 15)}" text-anchor="middle" fill="{MUTED}">'
            f"{fmt_number(tick)}</text>"
        )
    out.append(
        f'<line x1="{_n(f.left)}" x2="{_n(f.right)}" y1="{_n(f.bottom)}" y2="{_n(f.bottom)}"'
        f' stroke="{AXIS}"/>'
    )
    mid_x = (f.left + f.right) / 2
    out.append(
        f'<text x="{_n(mid_x)}" y="{_n(f.bottom + 31)}" text-anchor="middle" fill="{TEXT}">'
        f"{escape(chart.x_label)}</text>"
    )
    if chart.y_label:
        mid_y = (f.top + f.bottom) / 2
        out.append(
            f'<text transform="translate(12 {_n(mid_y)}) rotate(-90)" text-anchor="middle"'
            f' fill="{TEXT}">{escape(chart.y_label)}</text>'
        )
    return out


# --- layers --------------------------------------------------------------------------


def _draw(layer: Layer, f: _Frame) -> list[str]:
    drawers: dict[type, Callable[[_Frame, object], list[str]]] = {
        Bars: _bars,  # type: ignore[dict-item]
        Line: _line,  # type: ignore[dict-item]
        Points: _points,  # type: ignore[dict-item]
        RefLine: _refline,  # type: ignore[dict-item]
        Boxes: _boxes,  # type: ignore[dict-item]
    }
    drawer = drawers.get(type(layer))
    return drawer(f, layer) if drawer else []


def _bars(f: _Frame, bars: Bars) -> list[str]:
    out = [f'<g fill="{bars.color}" fill-opacity="0.6" stroke="{bars.color}" stroke-width="0.5">']
    integer = all(float(e).is_integer() for e in bars.edges)
    for i, count in enumerate(bars.counts):
        if not count:
            continue
        lo, hi = bars.edges[i], bars.edges[i + 1]
        x, x2 = f.x(lo), f.x(hi)
        y = f.y(count)
        span = f"{lo + 0.5:.0f}" if hi - lo == 1 and not integer else _range(lo, hi, integer)
        noun = "record" if count == 1 else "records"
        tip = f"{bars.label + ': ' if bars.label else ''}{span}: {count:,} {noun}"
        out.append(
            f'<rect x="{_n(x + 0.5)}" y="{_n(y)}" width="{_n(max(x2 - x - 1, 0.8))}"'
            f' height="{_n(f.bottom - y)}"><title>{escape(tip)}</title></rect>'
        )
    out.append("</g>")
    return out


def _range(lo: float, hi: float, integer: bool) -> str:
    if integer:
        return f"{lo:,.0f}–{hi - 1:,.0f}" if hi - lo > 1 else f"{lo:,.0f}"
    return f"{fmt_number(lo)}–{fmt_number(hi)}"


def _line(f: _Frame, line: Line) -> list[str]:
    if not line.xs:
        return []
    parts = [f"M{_n(f.x(line.xs[0]))} {_n(f.y(line.ys[0]))}"]
    for x, y in zip(line.xs[1:], line.ys[1:], strict=True):
        if line.step:
            parts.append(f"H{_n(f.x(x))}V{_n(f.y(y))}")
        else:
            parts.append(f"L{_n(f.x(x))} {_n(f.y(y))}")
    dash = ' stroke-dasharray="5 4"' if line.dashed else ""
    title = f"<title>{escape(line.label)}</title>" if line.label else ""
    return [
        f'<path d="{"".join(parts)}" fill="none" stroke="{line.color}" stroke-width="1.8"{dash}>'
        f"{title}</path>"
    ]


def _points(f: _Frame, points: Points) -> list[str]:
    if not points.xs:
        return []
    d = "".join(f"M{_n(f.x(x))} {_n(f.y(y))}h0" for x, y in zip(points.xs, points.ys, strict=True))
    size = 6 if len(points.xs) < 200 else 4
    return [
        f'<path d="{d}" stroke="{points.color}" stroke-opacity="0.55" stroke-width="{size}"'
        f' stroke-linecap="round" fill="none"><title>{len(points.xs):,} '
        f"{escape(points.label)}</title></path>"
    ]


def _refline(f: _Frame, ref: RefLine) -> list[str]:
    if ref.axis == "x":
        x = f.x(ref.value)
        # the label sits inside the plot, beside the line (clear of title and legend)
        y = f.top + 11 if ref.position == "top" else f.bottom - 6
        left = x > f.right - 8 * len(ref.label) - 8
        tx, anchor = (x - 4, "end") if left else (x + 4, "start")
        return [
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(f.top)}" y2="{_n(f.bottom)}"'
            f' stroke="{ref.color}" stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text x="{_n(tx)}" y="{_n(y)}" text-anchor="{anchor}" fill="{ref.color}">'
            f"{escape(ref.label)}</text>"
        ]
    level = _n(f.y(ref.value))
    return [
        f'<line x1="{_n(f.left)}" x2="{_n(f.right)}" y1="{level}" y2="{level}"'
        f' stroke="{ref.color}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        f'<text x="{_n(f.right)}" y="{level}" dy="-4" text-anchor="end" fill="{ref.color}">'
        f"{escape(ref.label)}</text>"
    ]


def _boxes(f: _Frame, layer: Boxes) -> list[str]:
    rows = layer.boxes
    band = (f.bottom - f.top) / max(len(rows), 1)
    out = []
    for i, box in enumerate(rows):
        mid = f.top + band * (i + 0.5)
        half = min(10.0, band * 0.3)
        x_low, x_q1, x_med, x_q3, x_high = (
            f.x(v) for v in (box.low, box.q1, box.median, box.q3, box.high)
        )
        tip = _box_tip(box)
        out.append(
            f"<g><title>{escape(tip)}</title>"
            f'<line x1="{_n(x_low)}" x2="{_n(x_high)}" y1="{_n(mid)}" y2="{_n(mid)}"'
            f' stroke="{AXIS}"/>'
            f'<line x1="{_n(x_low)}" x2="{_n(x_low)}" y1="{_n(mid - half / 2)}"'
            f' y2="{_n(mid + half / 2)}" stroke="{AXIS}"/>'
            f'<line x1="{_n(x_high)}" x2="{_n(x_high)}" y1="{_n(mid - half / 2)}"'
            f' y2="{_n(mid + half / 2)}" stroke="{AXIS}"/>'
            f'<rect x="{_n(x_q1)}" y="{_n(mid - half)}" width="{_n(max(x_q3 - x_q1, 1))}"'
            f' height="{_n(half * 2)}" fill="{layer.color}" fill-opacity="0.6"'
            f' stroke="{layer.color}"/>'
            f'<line x1="{_n(x_med)}" x2="{_n(x_med)}" y1="{_n(mid - half)}" y2="{_n(mid + half)}"'
            f' stroke="{TEXT}" stroke-width="2"/>'
            f'<text x="{_n(f.left - 8)}" y="{_n(mid)}" dy="0.32em" text-anchor="end" fill="{TEXT}">'
            f"{escape(_short(box.label))}</text></g>"
        )
    return out


def _box_tip(box: Box) -> str:
    return (
        f"{box.label}: median {fmt_number(box.median)}, p25-p75 {fmt_number(box.q1)}-"
        f"{fmt_number(box.q3)}, p5-p95 {fmt_number(box.low)}-{fmt_number(box.high)}"
        f" ({box.count:,} values)"
    )


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _markers(markers: Sequence[Marker], f: _Frame) -> list[str]:
    """Percentile dots on a rising curve, labelled where the curve leaves room.

    Below and right of a rising curve is empty, and so is above and left of it. A
    label goes right of its dot, nudged down when it would touch the one above;
    near the right edge the labels go left of the leftmost of those dots instead,
    nudged up, so a steep tail's labels cross neither the curve nor another dot.
    """
    points = sorted(((m, f.x(m.x), f.y(m.y)) for m in markers), key=lambda p: p[1])
    split = next((i for i, p in enumerate(points) if p[1] >= f.right - 110), len(points))
    while 0 < split < len(points) and _collides(points[split - 1], points[split:]):
        split -= 1  # its label would run into the left-hand labels: move it there too
    right, left = points[:split], points[split:]
    labels: list[tuple[Marker, float, float, str]] = []
    below = -1e9
    for marker, x, y in sorted(right, key=lambda p: p[2]):
        below = max(y, below + MARKER_GAP)
        labels.append((marker, x + 8, below, "start"))
    if left:
        edge = min(x for _, x, _ in left) - 8
        ys: list[float] = []
        for _, _, y in sorted(left, key=lambda p: -p[2]):
            ys.append(min(y, ys[-1] - MARKER_GAP) if ys else y)
        shift = max(0.0, f.top - 4 - min(ys))  # keep the top label inside the plot
        ordered = sorted(left, key=lambda p: -p[2])
        labels += [(m, edge, y + shift, "end") for (m, _, _), y in zip(ordered, ys, strict=True)]
    out = [f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{m.color}"/>' for m, x, y in points]
    out += [
        f'<text x="{_n(x)}" y="{_n(y)}" dy="0.32em" text-anchor="{anchor}" fill="{m.color}">'
        f"{escape(m.label)}</text>"
        for m, x, y, anchor in labels
    ]
    return out


def _label_width(text: str) -> float:
    return 6.2 * len(text)  # 11 px system-ui, a little generous


def _collides(
    point: tuple[Marker, float, float], left: Sequence[tuple[Marker, float, float]]
) -> bool:
    """Whether ``point``'s right-hand label would overlap labels put left of ``left``."""
    marker, x, y = point
    edge = min(p[1] for p in left) - 8
    return x + 8 + _label_width(marker.label) > edge - max(
        _label_width(m.label) for m, _, _ in left
    ) and any(abs(y - ly) < MARKER_GAP * 1.5 for _, _, ly in left)


def _legend(chart: Chart, f: _Frame) -> list[str]:
    out = []
    x = f.left
    for label, color in chart.legend:
        out.append(
            f'<rect x="{_n(x)}" y="28" width="10" height="10" fill="{color}" fill-opacity="0.6"/>'
            f'<text x="{_n(x + 14)}" y="37" fill="{TEXT}">{escape(label)}</text>'
        )
        x += 24 + 6.6 * len(label)
    return out

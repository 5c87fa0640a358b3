"""Charts as plain data: a `Chart` is a list of layers on two axes, nothing drawn yet.

Builders here turn numbers into charts (`histogram`, `cdf`, `scatter`, `boxes`,
`counts`); renderers draw them: `sftprep.report.svg` writes compact inline SVG
(the HTML report and Jupyter), `sftprep.report.png` draws the same chart with
matplotlib (``sftprep report --png``). Keeping the chart as data means the two
outputs cannot drift apart and tests can look at bins and markers directly.

>>> chart = histogram({"total": [3, 5, 8, 13]}, title="Tokens", limit=10)
>>> [type(layer).__name__ for layer in chart.layers]
['Bars', 'RefLine']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sftprep import units
from sftprep.stats.quantiles import quantile

# Colour-blind friendly (Tableau 10 subset); the first two are total / trainable.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f")
LIMIT_COLOR = "#d62728"
MAX_BINS = 40
CDF_POINTS = 400
SCATTER_POINTS = 2000
MIN_COUNT_SLOTS = 5  # a counts chart shows at least this many integer values


@dataclass(frozen=True, slots=True)
class Bars:
    """Histogram bars: ``counts[i]`` records fall in ``[edges[i], edges[i + 1])``."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    label: str = ""
    color: str = PALETTE[0]


@dataclass(frozen=True, slots=True)
class Line:
    """A polyline (``step`` draws it as a staircase, for cumulative distributions)."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    label: str = ""
    color: str = PALETTE[0]
    step: bool = False
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Points:
    """A scatter of small dots."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    label: str = ""
    color: str = PALETTE[0]


@dataclass(frozen=True, slots=True)
class RefLine:
    """A dashed reference line across the plot at ``value`` on the ``axis`` axis."""

    value: float
    label: str = ""
    axis: str = "x"
    color: str = LIMIT_COLOR
    position: str = "top"


@dataclass(frozen=True, slots=True)
class Marker:
    """A labelled point (a percentile on a cumulative curve)."""

    x: float
    y: float
    label: str
    color: str = "#333333"


@dataclass(frozen=True, slots=True)
class Box:
    """One row of a horizontal box plot: five-number summary of a distribution."""

    label: str
    low: float
    q1: float
    median: float
    q3: float
    high: float
    count: int = 0


@dataclass(frozen=True, slots=True)
class Boxes:
    """A horizontal box plot, one `Box` per category (y axis is categorical)."""

    boxes: tuple[Box, ...]
    color: str = PALETTE[2]


Layer = Bars | Line | Points | RefLine | Marker | Boxes


@dataclass(frozen=True, slots=True)
class Chart:
    """What to draw: title, axis labels and layers; ``note`` is shown under the chart."""

    name: str
    title: str
    x_label: str
    y_label: str
    layers: tuple[Layer, ...]
    note: str = ""
    width: int = 640
    height: int = 300
    x_integer: bool = False
    y_integer: bool = False
    y_max: float | None = None
    y_percent: bool = False
    legend: tuple[tuple[str, str], ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not any(_has_data(layer) for layer in self.layers)


def _has_data(layer: Layer) -> bool:
    if isinstance(layer, Bars):
        return any(layer.counts)
    if isinstance(layer, (Line, Points)):
        return bool(layer.xs)
    if isinstance(layer, Boxes):
        return bool(layer.boxes)
    return False


# --- numbers -------------------------------------------------------------------------


def nice_step(span: float, target: int) -> float:
    """A 1-2-5 step that cuts ``span`` into about ``target`` pieces.

    >>> nice_step(1000, 5)
    200.0
    """
    if span <= 0 or target <= 0:
        return 1.0
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def bin_edges(
    low: float, high: float, *, max_bins: int = MAX_BINS, integer: bool = True
) -> list[float]:
    """Edges of at most ``max_bins`` equal bins with a round width covering [low, high]."""
    span = max(high - low, 1.0)
    width = nice_step(span, max_bins)
    if integer:
        width = max(1.0, math.ceil(width))
    start = math.floor(low / width) * width
    count = max(1, math.ceil((high - start) / width + 1e-9))
    if start + count * width <= high:
        count += 1
    return [start + i * width for i in range(count + 1)]


def bin_counts(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts per bin; values above the last edge land in the last bin (the overflow)."""
    counts = [0] * (len(edges) - 1)
    if not counts:
        return counts
    low, width = edges[0], edges[1] - edges[0]
    last = len(counts) - 1
    for value in values:
        index = int((value - low) // width)
        counts[min(max(index, 0), last)] += 1
    return counts


def fmt_number(value: float) -> str:
    """Compact number for axes and labels: 950, 1.2k, 15k, 3.4M.

    >>> fmt_number(1234), fmt_number(15000), fmt_number(0.25)
    ('1.2k', '15k', '0.25')
    """
    sign = "-" if value < 0 else ""
    value = abs(value)
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            scaled = value / size
            text = f"{scaled:.1f}" if scaled < 10 else f"{scaled:.0f}"
            return sign + text.removesuffix(".0") + unit
    if value == int(value):
        return f"{sign}{int(value)}"
    return f"{sign}{value:.3g}"


# --- builders ------------------------------------------------------------------------


def histogram(
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str = "tokens per record",
    name: str = "histogram",
    limit: int | None = None,
    max_bins: int = MAX_BINS,
) -> Chart:
    """Overlaid histograms of one or more series on shared bins, with the ``limit`` line.

    A long tail is folded into the last bin (said in the note) so one huge record
    does not squash every other bar; ``limit`` is drawn when it falls near the data.
    """
    everything = [v for values in series.values() for v in values]
    if not everything:
        return Chart(name, title, x_label, "records", (), note="no records")
    low, high = min(everything), max(everything)
    upper = _axis_cut(everything, high)
    show_limit = limit is not None and limit <= max(high, upper * 1.5)
    if show_limit and limit is not None:
        upper = max(upper, limit)
    per_series = max(len(values) for values in series.values())
    bins = min(max_bins, max(10, round(2 * math.sqrt(per_series))))
    start = low if low > upper * 0.25 else min(low, 0)  # zoom in on tightly clustered data
    edges = bin_edges(start, upper, max_bins=bins)
    note = ""
    if edges[-1] <= high:
        over = sum(1 for v in everything if v >= edges[-1])
        note = (
            f"{over:,} value(s) of {fmt_number(edges[-1])} or more (max {fmt_number(high)})"
            " are counted in the last bar"
        )
    layers: list[Layer] = []
    legend = []
    for i, (label, values) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        layers.append(Bars(tuple(edges), tuple(bin_counts(values, edges)), label, color))
        legend.append((label, color))
    if limit is not None:
        if show_limit:
            layers.append(RefLine(limit, f"max {fmt_number(limit)}"))
        else:
            note = (note + "; " if note else "") + f"max length {limit:,} is beyond the axis"
    return Chart(
        name,
        title,
        x_label,
        "records",
        tuple(layers),
        note=note,
        legend=tuple(legend) if len(series) > 1 else (),
    )


def _axis_cut(values: Sequence[float], high: float) -> float:
    """Where to end the x axis: the max, or p99 when a few outliers sit far beyond it."""
    if len(values) < 100:
        return high
    p99 = quantile(sorted(values), 0.99)
    return p99 if high > 3 * max(p99, 1) else high


def cdf(
    values: Sequence[float],
    *,
    title: str = "Cumulative distribution of tokens per record",
    x_label: str = "tokens per record",
    name: str = "cdf",
    limit: int | None = None,
    percentiles: Sequence[float] = (0.5, 0.9, 0.95, 0.99),
    points: int = CDF_POINTS,
) -> Chart:
    """Share of records at or below each length, with percentile markers and the limit."""
    ordered = sorted(values)
    if not ordered:
        return Chart(name, title, x_label, "share of records", (), note="no records")
    n = len(ordered)
    if n <= points:
        xs = [float(v) for v in ordered]
        ys = [(i + 1) / n for i in range(n)]
    else:
        ys = [(i + 1) / points for i in range(points)]
        xs = [float(quantile(ordered, y, method="nearest")) for y in ys]
    xs.insert(0, float(ordered[0]))
    ys.insert(0, 0.0)
    notes = []
    cut = _axis_cut(ordered, ordered[-1])
    if limit is not None and cut < limit <= ordered[-1]:
        cut = float(limit)
    if cut < ordered[-1]:
        cut = cut * 1.2
        keep = [i for i, x in enumerate(xs) if x <= cut]
        xs, ys = [xs[i] for i in keep] + [cut], [ys[i] for i in keep] + [ys[keep[-1]]]
        notes.append(f"axis cut at {fmt_number(cut)}; the longest record has {ordered[-1]:,}")
    layers: list[Layer] = [Line(tuple(xs), tuple(ys), "records", PALETTE[0], step=True)]
    for q in percentiles:
        x = quantile(ordered, q)
        layers.append(Marker(x, q, f"p{round(q * 100)} = {fmt_number(round(x))}"))
    if limit is not None:
        if limit <= min(cut, ordered[-1] * 1.5):
            layers.append(RefLine(limit, f"max {fmt_number(limit)}", position="bottom"))
        over = n - _count_at_most(ordered, limit)
        notes.insert(
            0,
            f"{over:,} of {n:,} records ({units.percent(over / n)}) "
            f"exceed the max length {limit:,}",
        )
    note = "; ".join(notes)
    return Chart(
        name,
        title,
        x_label,
        "share of records",
        tuple(layers),
        note=note,
        x_integer=True,
        y_max=1.0,
        y_percent=True,
    )


def _count_at_most(ordered: Sequence[float], limit: float) -> int:
    import bisect

    return bisect.bisect_right(ordered, limit)


def scatter(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    name: str = "scatter",
    limit: int | None = None,
    max_points: int = SCATTER_POINTS,
    seed: int = 0,
) -> Chart:
    """Dots for (x, y) pairs, a random sample of ``max_points`` when there are more.

    With ``limit`` a line x + y = limit separates records that fit from those that don't.
    """
    import random

    n = min(len(xs), len(ys))
    note = ""
    indices: Sequence[int] = range(n)
    if n > max_points:
        indices = sorted(random.Random(seed).sample(range(n), max_points))
        note = f"a random sample of {max_points:,} of {n:,} records"
    px = tuple(float(xs[i]) for i in indices)
    py = tuple(float(ys[i]) for i in indices)
    layers: list[Layer] = [Points(px, py, "records", PALETTE[0])]
    legend: tuple[tuple[str, str], ...] = ()
    if limit is not None and px and limit <= (max(px) + max(py)) * 1.5:
        top = float(limit)
        label = f"prompt + completion = {limit:,} (max length)"
        layers.append(Line((0.0, top), (top, 0.0), label, LIMIT_COLOR, dashed=True))
        legend = (("records", PALETTE[0]), (label, LIMIT_COLOR))
    return Chart(
        name,
        title,
        x_label,
        y_label,
        tuple(layers),
        note=note,
        x_integer=True,
        y_integer=True,
        legend=legend,
    )


def boxes(
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str = "tokens",
    name: str = "fields",
) -> Chart:
    """A horizontal box plot per series: whiskers p5-p95, box p25-p75, median tick."""
    rows = []
    for label, values in series.items():
        ordered = sorted(values)
        if not ordered:
            continue
        rows.append(
            Box(
                label,
                quantile(ordered, 0.05),
                quantile(ordered, 0.25),
                quantile(ordered, 0.5),
                quantile(ordered, 0.75),
                quantile(ordered, 0.95),
                len(ordered),
            )
        )
    height = max(180, 70 + 34 * len(rows))
    layers: tuple[Layer, ...] = (Boxes(tuple(rows)),) if rows else ()
    note = "whiskers: p5 to p95; box: p25 to p75; tick: median"
    return Chart(name, title, x_label, "", layers, note=note, height=height, x_integer=True)


def counts(
    values: Sequence[int],
    *,
    title: str,
    x_label: str,
    name: str = "counts",
    cap: int = 30,
) -> Chart:
    """One bar per integer value (turns per conversation); values above ``cap`` share a bar.

    The axis spans at least `MIN_COUNT_SLOTS` values (from 0 when they are small), so
    a dataset where every conversation has 2 turns shows one bar, not a solid block.
    """
    if not values:
        return Chart(name, title, x_label, "records", (), note="no records", x_integer=True)
    low = max(0, min(min(values), max(values) - MIN_COUNT_SLOTS + 1))
    high = min(max(values), max(cap, low))
    high = max(high, low + MIN_COUNT_SLOTS - 1)
    edges = tuple(v - 0.5 for v in range(low, high + 2))
    tally = [0] * (high - low + 1)
    for v in values:
        tally[min(max(v, low), high) - low] += 1
    note = f"values above {high} are in the last bar" if max(values) > high else ""
    layers = (Bars(edges, tuple(tally), "records", PALETTE[4]),)
    return Chart(name, title, x_label, "records", layers, note=note, x_integer=True)

"""What a report shows, as plain data: `ReportData` and the per-record `RecordLengths`.

The HTML page, the PNG files and the notebook display are all drawn from a
`ReportData`, never from the dataset itself. It holds per-record *counts* in
compact arrays (a few bytes per record, no text), a capped list of findings with
exact totals, the token statistics and estimate as dicts, and a handful of
tokenized examples; so its size is bounded by the record count, not the data.

>>> lengths = RecordLengths()
>>> lengths.add(total=12, prompt=5, turns=2, fields={"question": 4, "answer": 6})
>>> lengths.add(total=30, prompt=10, turns=2)
>>> lengths.summary()["total"]["max"], len(lengths)
(30, 2)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.findings import Finding, Report, Severity
from sftprep.report import charts as ch
from sftprep.stats import Distribution
from sftprep.stats.quantiles import quantile

MAX_FINDING_ROWS = 2000
PERCENTILES = (0.5, 0.9, 0.95, 0.99)


@dataclass
class RecordLengths:
    """Token counts per record: total, prompt, trainable, turns and per source field.

    Each is a `Distribution` (the one store of per-record counts: 4 bytes per number;
    200,000 records with four fields take about 6 MB at most).
    ``trainable`` defaults to ``total - prompt`` (the completion) when not given.
    ``__add__`` concatenates, so chunks counted apart combine in order.
    """

    total: Distribution = field(default_factory=Distribution)
    prompt: Distribution = field(default_factory=Distribution)
    trainable: Distribution = field(default_factory=Distribution)
    turns: Distribution = field(default_factory=Distribution)
    fields: dict[str, Distribution] = field(default_factory=dict)

    def add(
        self,
        *,
        total: int,
        prompt: int = 0,
        trainable: int | None = None,
        turns: int | None = None,
        fields: Mapping[str, int] | None = None,
    ) -> None:
        self.total.add(int(total))
        self.prompt.add(int(prompt))
        self.trainable.add(int(total - prompt if trainable is None else trainable))
        if turns is not None:
            self.turns.add(int(turns))
        for name, count in (fields or {}).items():
            self.fields.setdefault(name, Distribution()).add(int(count))

    def __len__(self) -> int:
        return len(self.total)

    def __add__(self, other: RecordLengths) -> RecordLengths:
        merged = RecordLengths(
            self.total + other.total,
            self.prompt + other.prompt,
            self.trainable + other.trainable,
            self.turns + other.turns,
            {k: v + Distribution() for k, v in self.fields.items()},  # copies
        )
        for name, values in other.fields.items():
            merged.fields.setdefault(name, Distribution()).extend(values.values)
        return merged

    @property
    def completion(self) -> list[int]:
        """Tokens after the prompt, per record (what a plain loss mask trains on)."""
        return [t - p for t, p in zip(self.total.values, self.prompt.values, strict=True)]

    def summary(self) -> dict[str, Any]:
        """Sums and distributions (min, max, mean, percentiles) of total/prompt/trainable."""
        return {
            "records": len(self),
            **{
                name: distribution(getattr(self, name).values)
                for name in ("total", "prompt", "trainable")
            },
        }


def distribution(values: Iterable[int]) -> dict[str, Any]:
    """Sum, min, max, mean and p50/p90/p95/p99 of ``values`` (zeros when empty)."""
    ordered = sorted(values)
    n = len(ordered)
    out: dict[str, Any] = {
        "sum": sum(ordered),
        "min": ordered[0] if n else 0,
        "max": ordered[-1] if n else 0,
        "mean": sum(ordered) / n if n else 0.0,
    }
    for q in PERCENTILES:
        out[f"p{round(q * 100)}"] = quantile(ordered, q) if n else 0.0
    return out


@dataclass(frozen=True, slots=True)
class TokenExample:
    """One rendered record for the token view: pieces of text, each trained on or not."""

    label: str
    pieces: tuple[tuple[str, bool], ...]
    total: int
    trainable: int
    truncated: int = 0


def _finding_order(finding: Finding) -> tuple[str, int, int, str]:
    loc = finding.location
    return (loc.path, loc.line or 0, loc.record or 0, finding.rule)


@dataclass
class ReportData:
    """Everything the HTML report, the PNGs and the notebook display show.

    Build one by hand (tests, other front ends) or with
    `sftprep.report.collect.build_report_data`; `add_check` copies what a check
    `Report` says, keeping at most ``max_rows`` findings per rule (counts stay exact).
    """

    path: str
    format: str = ""
    detection: str = ""
    tokenizer: str = ""
    max_tokens: int | None = None
    records: int = 0
    valid_records: int = 0
    lengths: RecordLengths = field(default_factory=RecordLengths)
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    max_rows: int = MAX_FINDING_ROWS
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    token_stats: dict[str, Any] | None = None
    estimate: dict[str, Any] | None = None
    examples: list[TokenExample] = field(default_factory=list)
    generated: str = ""
    version: str = ""
    problems: list[str] = field(default_factory=list)  # said first: numbers that mislead
    plan: str = ""  # what the estimate assumed (hosted model, local model and GPU)
    media: dict[str, Any] | None = None  # `TokenStats.media_dict()`: images apart from text
    thumbnails: list[dict[str, Any]] = field(default_factory=list)  # the largest images, inline
    # the largest near-duplicate clusters: number, size, the first members' texts
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counted_by(self) -> str:
        """The library that counted the tokens and its backend (``quicktok-v1 0.4.0, fast
        backend``), from the token statistics; empty when they do not say."""
        tok = (self.token_stats or {}).get("tokenizer")
        if not isinstance(tok, Mapping) or not tok.get("library"):
            return ""
        return f"{tok['library']}, {tok.get('backend', 'reference')} backend"

    def add_findings(self, findings: Iterable[Finding], *, cap: int | None = None) -> None:
        """Count every finding by rule and severity; keep at most ``cap`` per rule.

        Keeping per rule (not the first ``cap`` overall) means a rare error is still
        shown when thousands of infos come before it; `shown_findings` picks the rows.
        """
        cap = self.max_rows if cap is None else cap
        tally: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for rule, sevs in self.counts.items():
            tally[rule].update(sevs)
        kept = Counter(f.rule for f in self.findings)
        for finding in findings:
            self.findings_total += 1
            tally[finding.rule][finding.severity.value] += 1
            if kept[finding.rule] < cap:
                kept[finding.rule] += 1
                self.findings.append(finding)
        self.counts = {rule: dict(sevs) for rule, sevs in tally.items()}

    @property
    def shown_findings(self) -> list[Finding]:
        """At most ``max_rows`` findings for the table, shared fairly between rules
        (a rule with few findings shows them all, the rest split what remains), in
        file order."""
        by_rule: defaultdict[str, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            by_rule[finding.rule].append(finding)
        quota: dict[str, int] = {}
        left, rules = self.max_rows, sorted(by_rule, key=lambda r: len(by_rule[r]))
        for i, rule in enumerate(rules):
            quota[rule] = min(len(by_rule[rule]), left // (len(rules) - i))
            left -= quota[rule]
        chosen = [f for rule in rules for f in by_rule[rule][: quota[rule]]]
        return sorted(chosen, key=_finding_order)

    def add_check(self, report: Report, *, cap: int | None = None) -> None:
        """Take files, formats, record counts and findings from a check `Report`."""
        if report.files:
            self.format = ", ".join(dict.fromkeys(f.format for f in report.files))
            self.detection = "; ".join(f.detection for f in report.files if f.detection)
            self.records = sum(f.records for f in report.files)
            self.valid_records = sum(f.valid_records for f in report.files)
        self.add_findings(report.findings, cap=cap)
        self.near_duplicates = list(report.near_duplicates)

    @property
    def by_severity(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for sevs in self.counts.values():
            for sev, n in sevs.items():
                out[sev] = out.get(sev, 0) + n
        return out

    @property
    def by_rule(self) -> list[tuple[str, str, int]]:
        """(rule, worst severity, count) sorted by count, most frequent first."""
        rows = []
        for rule, sevs in self.counts.items():
            worst = max(sevs, key=lambda s: Severity(s).rank)
            rows.append((rule, worst, sum(sevs.values())))
        return sorted(rows, key=lambda r: (-r[2], r[0]))

    def to_html(self) -> str:
        """The complete, self-contained HTML page."""
        from sftprep.report.html import render_html

        return render_html(self)

    def save(self, path: str | Path) -> Path:
        """Write the HTML page to ``path`` (atomically) and return it."""
        from sftprep.report.html import write_html

        return write_html(self, path)

    def save_pngs(self, directory: str | Path) -> list[Path]:
        """Write each chart as ``<name>.png`` in ``directory`` (needs matplotlib)."""
        from sftprep.report.png import write_pngs

        return write_pngs(self.charts(), directory)

    def _repr_html_(self) -> str:
        from sftprep.report.html import render_body

        return render_body(self)

    def charts(self) -> list[ch.Chart]:
        """The report's charts, in page order (also the PNG file names)."""
        lengths = self.lengths
        limit = self.max_tokens
        out = [
            ch.histogram(
                {"total": lengths.total.values, "trainable": lengths.trainable.values},
                title="Tokens per record: total and trainable",
                name="tokens_histogram",
                limit=limit,
            ),
            ch.cdf(
                lengths.total.values,
                title="Cumulative distribution of total tokens per record",
                name="tokens_cdf",
                limit=limit,
            ),
            ch.scatter(
                lengths.prompt.values,
                lengths.completion,
                title="Prompt vs completion tokens per record",
                x_label="prompt tokens",
                y_label="completion tokens",
                name="prompt_vs_completion",
                limit=limit,
            ),
        ]
        if lengths.fields:
            out.append(
                ch.boxes(
                    {name: d.values for name, d in sorted(lengths.fields.items())},
                    title="Tokens per source field",
                    name="fields",
                )
            )
        if lengths.turns:
            out.append(
                ch.counts(
                    lengths.turns.values,
                    title="Turns per conversation",
                    x_label="messages per conversation",
                    name="turns",
                )
            )
        return out

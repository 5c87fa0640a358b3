"""Hosted fine-tuning prices and OpenAI's default-epochs rule, as plain data.

One row per model: USD per 1M *training* tokens, the per-example token cap the
provider bills and trains on, the tiktoken encoding that counts the tokens, and
where the numbers come from (URL + the date they were read or published).

>>> get_price("gpt-4o-mini-2024-07-18").usd_per_1m
3.0
>>> default_epochs(5), default_epochs(40), default_epochs(10_000)
(20, 3, 2)
>>> billed_tokens([10, 70_000], cap=65_536, epochs=2)
131092
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError

OPENAI_PRICING = "https://openai.com/api/pricing/"
OPENAI_FT_GUIDE = "https://platform.openai.com/docs/guides/fine-tuning"
OPENAI_MODELS = "https://platform.openai.com/docs/models"
COOKBOOK_DATA_PREP = "https://cookbook.openai.com/examples/chat_finetuning_data_prep"


@dataclass(frozen=True, slots=True)
class Price:
    """One fine-tunable hosted model."""

    provider: str
    model: str
    usd_per_1m: float  # USD per 1M training tokens (billed tokens x epochs)
    max_tokens: int  # tokens per training example; longer examples are truncated
    encoding: str  # tiktoken encoding that counts the tokens
    source: str
    date: str

    def describe(self) -> str:
        price = f"${self.usd_per_1m:g}/1M training tokens"
        return f"{self.provider} {self.model}: {price} ({self.source}, {self.date})"


# provider, model, USD/1M training tokens, tokens per example, encoding, source, date.
# Prices: the "Fine-tuning" table ("Training" column) of OPENAI_PRICING, read from a
# copy of that page taken 2025-08-10 (it lists o3-pro-2025-06-10; the GitHub repo
# dakota-jamie-sims/OpenAI-Learning-Center-Agent, docs/openai_documentation/03_Models/
# 02_Pricing.md, commit 225d78b); the page names the 3.5 row just "gpt-3.5-turbo".
# Caps: "Examples context length" in the fine-tuning best-practices guide (same copy,
# 13_Fine-tuning/06_Best practices.md): 65,536 for the gpt-4.1 and gpt-4o rows;
# 16,385 for gpt-3.5-turbo-0125 from the cookbook's data-prep notebook (COOKBOOK_DATA_PREP)
# and Azure OpenAI's fine-tuning model table. Re-check the page before quoting a cost.
_READ = "2025-08-10"
# fmt: off
_ROWS: tuple[tuple[str, str, float, int, str, str, str], ...] = (
    ("openai", "gpt-4.1-2025-04-14",      25.0, 65_536, "o200k_base",  OPENAI_PRICING, _READ),
    ("openai", "gpt-4.1-mini-2025-04-14",  5.0, 65_536, "o200k_base",  OPENAI_PRICING, _READ),
    ("openai", "gpt-4.1-nano-2025-04-14",  1.5, 65_536, "o200k_base",  OPENAI_PRICING, _READ),
    ("openai", "gpt-4o-2024-08-06",       25.0, 65_536, "o200k_base",  OPENAI_PRICING, _READ),
    ("openai", "gpt-4o-mini-2024-07-18",   3.0, 65_536, "o200k_base",  OPENAI_PRICING, _READ),
    ("openai", "gpt-3.5-turbo-0125",       8.0, 16_385, "cl100k_base", OPENAI_PRICING, _READ),
)
# fmt: on

PRICES: dict[str, Price] = {row[1]: Price(*row) for row in _ROWS}

# OpenAI's default n_epochs, as the cookbook's data-prep notebook computes it
# (COOKBOOK_DATA_PREP, read 2026-11-24): aim for 3 epochs, but keep n * epochs in
# [100, 25,000] and epochs in [1, 25].
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def default_epochs(n_examples: int) -> int:
    """OpenAI's default number of epochs for ``n_examples`` training examples.

    >>> [default_epochs(n) for n in (1, 33, 34, 8_333, 8_334)]
    [25, 3, 3, 3, 2]
    """
    if n_examples <= 0:
        return TARGET_EPOCHS
    epochs = TARGET_EPOCHS
    if n_examples * epochs < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    elif n_examples * epochs > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return epochs


def billed_tokens(lengths: Iterable[int], *, cap: int, epochs: int) -> int:
    """Tokens billed: every example counted up to ``cap`` tokens, times ``epochs``.

    >>> billed_tokens([100, 200], cap=150, epochs=3)
    750
    """
    return sum(min(cap, n) for n in lengths) * epochs


def get_price(model: str, prices: Mapping[str, Price] | None = None) -> Price:
    """The price row for ``model``; an unknown model's error lists the known ones."""
    table = prices if prices is not None else PRICES
    row = table.get(model)
    if row is None:
        known = ", ".join(sorted(table))
        raise UsageError(f"unknown fine-tunable model {model!r}; known: {known} (or --prices FILE)")
    return row


def list_prices(prices: Mapping[str, Price] | None = None) -> list[Price]:
    return list((prices if prices is not None else PRICES).values())


def load_prices(path: str | Path, base: Mapping[str, Price] | None = None) -> dict[str, Price]:
    """The built-in table extended (or overridden, by model name) by a YAML or TOML file.

    YAML: a list of rows, or a mapping with a ``prices`` list::

        - model: my-ft-model
          provider: openai          # default openai
          usd_per_1m: 4.0           # USD per 1M training tokens
          max_tokens: 65536         # optional: inherited from the row it overrides
          encoding: o200k_base      # optional
          source: https://...       # optional but shown everywhere
          date: 2026-01-01

    TOML (``.toml``, Python 3.11+ or with ``tomli``): ``[[prices]]`` tables, same keys.
    """
    table = dict(base if base is not None else PRICES)
    data = _read_rows(Path(path))
    rows = data.get("prices") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise UsageError(f"{path}: expected a list of price rows (or a 'prices:' list)")
    for i, row in enumerate(rows):
        table.update([_row(row, table, f"{path}: row {i + 1}", str(path))])
    return table


def _read_rows(path: Path) -> Any:
    """The parsed price file; every failure is a one-line `UsageError`."""
    from sftprep.io.text import read_small_text

    if not path.exists():
        raise UsageError(f"{path}: no such price file")
    try:
        text = read_small_text(path)  # a regular file only: a pipe never blocks
    except FileNotFoundError:
        raise UsageError(f"{path}: no such price file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read prices: {exc}") from None
    if path.suffix.lower() == ".toml":
        return _parse_toml(text, path)
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: cannot read prices: {_yaml_problem(exc)}") from None


def _yaml_problem(exc: Any) -> str:
    """One line for a YAML error: its problem and line, e.g. ``expected ',' or ']' (line 3)``."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1})" if mark is not None else str(problem)


def _parse_toml(text: str, path: Path) -> Any:
    try:
        import tomllib as toml  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as toml  # type: ignore[no-redef]
        except ImportError:
            raise UsageError(f"{path}: TOML needs Python 3.11+ or tomli; use YAML") from None
    try:
        return toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise UsageError(f"{path}: cannot read prices: {exc}".splitlines()[0]) from None


def _numbers(row: dict[str, Any], where: str) -> tuple[float | None, int | None]:
    """``usd_per_1m`` (a finite number >= 0) and ``max_tokens`` (an integer >= 1), if given."""
    usd = _finite(row.get("usd_per_1m"))
    cap = _finite(row.get("max_tokens"))
    bad_usd = usd is not None and not usd >= 0  # NaN is never >= 0
    bad_cap = cap is not None and not (cap >= 1 and cap.is_integer())
    if bad_usd or bad_cap:
        raise UsageError(
            f"{where}: usd_per_1m must be a finite number >= 0 and max_tokens an integer >= 1"
        )
    return usd, (None if cap is None else int(cap))


def _finite(value: Any) -> float | None:
    """``value`` as a finite float; NaN for anything else (a bool, text, inf, nan)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) and not isinstance(value, bool) else math.nan


def _row(row: Any, table: Mapping[str, Price], where: str, path: str) -> tuple[str, Price]:
    if not isinstance(row, dict) or not row.get("model"):
        raise UsageError(f"{where}: each row needs at least 'model' and 'usd_per_1m'")
    model = str(row["model"])
    old = table.get(model)
    usd, cap = _numbers(row, where)
    if old is None and usd is None:
        raise UsageError(f"{where}: new model {model!r} needs 'usd_per_1m'")
    base = old or Price(
        str(row.get("provider", "openai")), model, 0.0, 65_536, "o200k_base", "", ""
    )
    new = replace(
        base,
        provider=str(row.get("provider", base.provider)),
        usd_per_1m=usd if usd is not None else base.usd_per_1m,
        max_tokens=cap if cap is not None else base.max_tokens,
        encoding=str(row.get("encoding", base.encoding)),
        source=str(row.get("source") or path),
        date=str(row.get("date", "")),
    )
    return model, new

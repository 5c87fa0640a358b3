"""Hosted fine-tuning cost: billed tokens x the provider's price per 1M training tokens.

>>> doc = api_cost([1_000] * 40, provider="openai", model="gpt-4o-mini-2024-07-18", epochs=3)
>>> doc["billed_tokens"], doc["cost_usd"]
(120000, 0.36)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sftprep.errors import UsageError
from sftprep.estimate import prices
from sftprep.estimate.prices import Price

# The fewest training examples a provider starts a job with (OpenAI's fine-tuning guide).
MIN_EXAMPLES = {"openai": 10}


def api_cost(
    lengths: Sequence[int],
    *,
    provider: str,
    model: str | None,
    epochs: int,
    table: Mapping[str, Price] | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The ``api`` section: provider, model, epochs, billed tokens, cost and its source."""
    row = _row(provider, model, table if table is not None else prices.PRICES)
    billed = prices.billed_tokens(lengths, cap=row.max_tokens, epochs=epochs)
    least = MIN_EXAMPLES.get(row.provider, 0)
    if notes is not None and len(lengths) < least:
        notes.append(
            f"{row.provider} needs at least {least} training examples and this file has "
            f"{len(lengths)}: the job would not start"
        )
    if notes is not None:
        over = sum(1 for t in lengths if t > row.max_tokens)
        notes.append(
            f"billed tokens = sum of min({row.max_tokens:,}, tokens) per example x {epochs} "
            "epochs" + (f"; {over:,} examples over the cap are truncated" if over else "")
        )
    return {
        "provider": row.provider,
        "model": row.model,
        "epochs": epochs,
        "billed_tokens": billed,
        "cost_usd": round(billed / 1e6 * row.usd_per_1m, 4),
        "source": f"${row.usd_per_1m:g}/1M training tokens; {row.source}"
        + (f" ({row.date})" if row.date else ""),
    }


def _row(provider: str, model: str | None, table: Mapping[str, Price]) -> Price:
    rows = {k: v for k, v in table.items() if v.provider == provider}
    if not rows:
        known = ", ".join(sorted({v.provider for v in table.values()}))
        raise UsageError(f"unknown provider {provider!r}; known: {known}")
    if model is None:
        raise UsageError(f"give --model for {provider}; known: {', '.join(sorted(rows))}")
    return prices.get_price(model, rows)

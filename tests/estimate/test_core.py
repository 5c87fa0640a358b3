"""`estimate()`: exact hours, the GPU and price rows it picks, and why it falls back."""

from __future__ import annotations

from pathlib import Path

import pytest

from sftprep.errors import UsageError
from sftprep.estimate import estimate, load_prices

pytestmark = [pytest.mark.qa]


def test_hours_are_not_rounded_away_on_a_tiny_dataset() -> None:
    # 15 records x 10 tokens, 1 epoch, 7,214 tokens/s: 150 / 7,214 / 3600 = 5.78e-06 h,
    # which the old 4-decimal rounding printed as 0.0
    est = estimate([10] * 15, model="8B", throughput=7_214.0, epochs=1)
    assert est.gpu and est.gpu["hours"] == 150 / 7_214 / 3600 > 0
    assert est.sweep and est.sweep[0]["hours"] == 150 / 7_214 / 3600


def test_hours_use_the_tokens_per_s_shown() -> None:
    # FLOPs model: 165.2e12 x 0.35 / (6 x 8e9) = 1,204.5833 tokens/s, shown as 1,204.6
    est = estimate([1_000] * 50, model="8B", gpu="rtx-4090", epochs=3)
    assert est.gpu and est.gpu["tokens_per_s"] == 1_204.6
    assert est.gpu["hours"] == 150_000 / 1_204.6 / 3600


def test_max_seq_len_below_every_record() -> None:
    # every record cut to 64: one full row each, nothing wasted, every record truncated
    est = estimate([100, 200, 300], model="8B", throughput=100.0, max_seq_len=64, batch_size=2)
    assert est.packing and est.packing["truncated_records"] == 3
    assert est.packing["packed"] == {"rows": 3, "tokens": 192, "efficiency": 1.0,
                                     "steps_per_epoch": 2}  # fmt: skip
    # a local run: 3 epochs (Hugging Face's default); OpenAI's rule (25 for 3) is for hosted
    assert est.tokens["trained_tokens"] == 3 * 64 * 3
    assert any("3 of 3 records are longer" in a for a in est.assumptions)


def test_a_price_row_of_another_provider_needs_no_provider_flag(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("- model: az-model\n  provider: azure\n  usd_per_1m: 2\n", encoding="utf-8")
    est = estimate([1_000] * 40, model="az-model", prices=load_prices(path))
    # 40 x 1,000 x 3 epochs = 120,000 billed x $2 / 1M = $0.24; no date: no "()"
    assert est.api and est.api["provider"] == "azure" and est.api["cost_usd"] == 0.24
    assert est.api["source"] == f"$2/1M training tokens; {path}"


def test_unknown_model_lists_local_and_hosted_names() -> None:
    with pytest.raises(UsageError, match=r"llama-3\.1-8b.*hosted.*gpt-4o-mini-2024-07-18"):
        estimate([10], model="gpt-4o-mini", gpu="h100")


def test_fallback_to_the_flops_model_says_why() -> None:
    est = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", gpus=3, mfu=0.4)
    assert est.gpu and est.gpu["throughput_source"].startswith("FLOPs model")
    # 364.2e12 x 3 x 0.4 / (6 x 8.03e9) = 9,070.98 tokens/s, shown as 9,071.0
    assert est.gpu["tokens_per_s"] == 9_071.0
    assert any("no published row" in a and "3 x rtx-6000-ada" in a for a in est.assumptions)
    published = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", mfu=0.4)
    assert published.gpu and published.gpu["tokens_per_s"] == 2151.0
    assert any("--mfu 0.4 not used" in a for a in published.assumptions)

"""The published throughput table, price files, memory sharding, the sweep pick, rendering."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from sftprep.errors import UsageError
from sftprep.estimate import GPUS, MODELS, PUBLISHED, estimate, get_model, load_prices
from sftprep.estimate.memory import lora_params, memory
from sftprep.estimate.sweep import sweep
from sftprep.estimate.throughput import published
from sftprep.report.estimate import render

GIB = 2**30


@pytest.mark.parametrize(
    ("model", "gpu", "gpus", "tokens_per_s"),
    [
        ("llama-3.1-8b", "rtx-6000-ada", 1, 2151.0),
        ("llama-3.1-8b", "rtx-6000-ada", 2, 3854.0),
        ("llama-3.1-70b", "rtx-6000-ada", 1, 230.0),
        ("llama-3.1-70b", "rtx-6000-ada", 2, 446.0),
        ("llama-3.1-8b", "rtx-5090", 1, 2486.0),
        ("llama-3.1-70b", "rtx-5080", 1, 124.0),
        ("llama-3.1-70b", "rtx-4070-ti-super", 1, 93.0),
        ("llama-3.1-8b", "rtx-4000-ada", 2, 2132.0),
        ("llama-3.1-70b", "rtx-5000-ada", 2, 434.0),
        ("llama-3.1-70b", "rtx-6000-pro-max-q", 2, 718.0),
    ],
)
def test_aidaptiv_rows_as_published(model: str, gpu: str, gpus: int, tokens_per_s: float) -> None:
    row = published(model, gpu, gpus, "full")
    assert row is not None and row.tokens_per_s == tokens_per_s and row.seq_len == 12_000
    assert "aiDAPTIV-Phison/aiDAPTIV" in row.source and row.date == "2025-11-04"


def test_aidaptiv_table_has_no_invented_rows() -> None:
    # 7 GPUs x (8B, 70B) x (1, 2 GPUs), minus the 2-GPU cells the table leaves empty
    assert len(PUBLISHED) == 7 * 4 - 4
    assert published("llama-3.1-8b", "rtx-5090", 2, "full") is None
    assert published("llama-3.1-8b", "h100", 1, "full") is None
    assert published("llama-3.1-8b", "rtx-6000-ada", 1, "lora") is None
    for row in PUBLISHED:
        assert row.gpu in GPUS and row.model in MODELS and row.method == "full"


def test_instruct_alias_uses_the_published_row() -> None:
    est = estimate([1_000] * 10, model="llama-3.1-70b-instruct", gpu="rtx-5000-ada", gpus=2)
    assert est.gpu and est.gpu["tokens_per_s"] == 434.0 and est.gpu["model"] == "llama-3.1-70b"


def test_memory_shards_full_fine_tuning_only() -> None:
    llama = get_model("llama-3.1-8b")
    full = memory(llama, "full", seq_len=1024, gpus=2)
    assert full["sharded"] is True
    assert full["weights_gb"] == round(2 * 8.03e9 / 2 / GIB, 2)
    assert full["optimizer_gb"] == round(12 * 8.03e9 / 2 / GIB, 2)
    lora = memory(llama, "lora", seq_len=1024, gpus=2, gpu=GPUS["rtx-4090"])
    adapters = lora_params(llama)
    assert lora["sharded"] is False  # data parallel: every GPU holds the frozen model
    assert lora["weights_gb"] == round((2 * 8.03e9 + 2 * adapters) / GIB, 2)
    assert lora["optimizer_gb"] == round(12 * adapters / GIB, 2)
    # 14.96 + 0.08 + 0.47 weights/grads/adam, 4.25 activations, 0.49 logits > 24 GB
    total = (2 * 8.03e9 + 16 * adapters + 1024 * (34 * 4096 * 32 + 128_256 * 4)) / GIB
    assert lora["total_gb"] == round(total, 2)
    assert lora["fits"] is True and lora["short_by_gb"] == 0.0


def test_memory_misses_by_the_right_amount_on_two_gpus() -> None:
    m = memory(get_model("llama-3.1-70b"), "full", seq_len=4096, gpus=2, gpu=GPUS["h200"])
    per_gpu = (16 * 70.6e9 / 2 + 4096 * (34 * 8192 * 80 + 128_256 * 4)) / GIB
    assert m["total_gb"] == round(per_gpu, 2)
    assert m["fits"] is False and m["short_by_gb"] == round(per_gpu - 141.0, 2)


def test_sweep_marks_exactly_the_recommended_row() -> None:
    lengths = [100] * 98 + [600, 900]
    # 512 keeps 98% whole; 600 (p99) keeps 99% and loses min(2, 300) = 2 of 982 trainable
    # tokens (0.2% <= 0.5%): the shortest length meeting both rules
    rows = sweep(lengths, [10] * 98 + [0, 2])
    assert [r["max_seq_len"] for r in rows if r["recommended"]] == [600]
    # with 10 trainable tokens at the end of the 900-token record, 600 loses 1%: 1,024 wins
    rows = sweep(lengths, [10] * 100)
    assert [r["max_seq_len"] for r in rows if r["recommended"]] == [1024]


def test_prices_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        '[[prices]]\nmodel = "gpt-4o-mini-2024-07-18"\nusd_per_1m = 2.5\ndate = 2026-01-01\n'
        '[[prices]]\nmodel = "acme-1"\nprovider = "acme"\nusd_per_1m = 10\nmax_tokens = 100\n',
        encoding="utf-8",
    )
    table = load_prices(path)
    assert table["gpt-4o-mini-2024-07-18"].usd_per_1m == 2.5
    assert table["gpt-4o-mini-2024-07-18"].date == "2026-01-01"
    assert table["gpt-4o-mini-2024-07-18"].source == str(path)
    est = estimate([50, 150], provider="acme", model="acme-1", epochs=1, prices=table)
    assert est.api and est.api["billed_tokens"] == 150 and est.api["cost_usd"] == 0.0015
    bad = tmp_path / "bad.toml"
    bad.write_text("[[prices]\n", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot read prices"):
        load_prices(bad)
    with pytest.raises(UsageError, match="no such price file"):
        load_prices(tmp_path / "missing.yaml")


def test_render_prints_sources_and_assumptions() -> None:
    est = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", epochs=1)
    console = Console(file=io.StringIO(), record=True, width=200)
    render(est, console)
    text = console.export_text()
    assert "2,151 tokens/s" in text and "aiDAPTIV+" in text
    assert "truncation sweep (* recommended)" in text and "512 (p95, p99) *" not in text
    assert "500 (p95, p99) *" in text and "assumptions" in text


@pytest.mark.parametrize("bad", [{"epochs": 2.5}, {"trainable": [1]}, {"lengths": [-1, 2]}])
def test_more_misuse(bad: dict) -> None:  # type: ignore[type-arg]
    lengths = bad.pop("lengths", [10, 20])
    with pytest.raises(UsageError):
        estimate(lengths, **bad)

"""Hand-computed expectations for the estimate building blocks and `estimate()`."""

from __future__ import annotations

import pytest

from sftprep.errors import UsageError
from sftprep.estimate import Estimate, estimate, get_model, load_prices
from sftprep.estimate.hardware import GPUS, MODELS, parse_params
from sftprep.estimate.memory import lora_params, memory
from sftprep.estimate.packing import pack, padded_tokens, simulate
from sftprep.estimate.prices import PRICES, billed_tokens, default_epochs
from sftprep.estimate.sweep import candidates, recommend, sweep
from sftprep.estimate.throughput import PUBLISHED, flops_per_token, flops_tokens_per_s

GIB = 2**30


@pytest.mark.parametrize(
    ("n", "epochs"),
    [
        (1, 25),  # 100 // 1 = 100, capped at 25
        (4, 25),  # 100 // 4 = 25
        (5, 20),  # 15 < 100 -> 100 // 5
        (33, 3),  # 99 < 100 -> 100 // 33 = 3
        (34, 3),  # 102 >= 100 -> target 3
        (40, 3),
        (8_333, 3),  # 24,999 <= 25,000
        (8_334, 2),  # 25,002 > 25,000 -> 25,000 // 8,334
        (10_000, 2),  # 25,000 // 10,000
        (25_001, 1),  # 25,000 // 25,001 = 0 -> at least 1
    ],
)
def test_default_epochs_rule(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


def test_billed_tokens_caps_each_example() -> None:
    # 100 + 65,536 (70,000 capped) + 65,536 (exactly the cap) = 131,172 per epoch
    assert billed_tokens([100, 70_000, 65_536], cap=65_536, epochs=3) == 393_516
    assert billed_tokens([20_000], cap=16_385, epochs=2) == 32_770


def test_api_cost_with_examples_over_the_cap() -> None:
    lengths = [1_000] * 38 + [70_000, 100_000]  # 40 examples -> 3 epochs
    est = estimate(lengths, provider="openai", model="gpt-4o-mini-2024-07-18")
    billed = (38 * 1_000 + 2 * 65_536) * 3
    assert est.api == {
        "provider": "openai",
        "model": "gpt-4o-mini-2024-07-18",
        "epochs": 3,
        "billed_tokens": billed,
        "cost_usd": round(billed * 3 / 1e6, 4),
        "source": est.api["source"] if est.api else None,
    }
    assert "openai.com" in est.api["source"]
    assert any("2 examples over the cap" in a for a in est.assumptions)
    gpt35 = estimate(lengths, model="gpt-3.5-turbo-0125", epochs=1)  # in the table -> API
    assert gpt35.api and gpt35.api["billed_tokens"] == 38_000 + 2 * 16_385


def test_unknown_api_model_lists_known_ones() -> None:
    with pytest.raises(UsageError, match="gpt-4o-mini-2024-07-18"):
        estimate([10], provider="openai", model="gpt-9")


def test_price_table_rows_have_source_and_date() -> None:
    for row in PRICES.values():
        assert row.source.startswith("https://") and row.date
    for gpu in GPUS.values():
        assert gpu.source.startswith("https://") and gpu.date and gpu.tflops_bf16 > 0
    for model in MODELS.values():
        assert model.source.startswith("https://") and model.params > 0
    for row in PUBLISHED:
        assert row.source and row.date


def test_prices_file_overrides_and_extends(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "prices.yaml"
    path.write_text(
        "- model: gpt-4o-mini-2024-07-18\n  usd_per_1m: 2\n  date: 2026-01-01\n"
        "- model: my-model\n  usd_per_1m: 10\n  max_tokens: 100\n  source: the x.test price page\n",
        encoding="utf-8",
    )
    table = load_prices(path)
    assert table["gpt-4o-mini-2024-07-18"].usd_per_1m == 2.0
    assert table["gpt-4o-mini-2024-07-18"].max_tokens == 65_536  # inherited
    est = estimate([50, 150], model="my-model", epochs=2, prices=table)
    assert est.api and est.api["billed_tokens"] == (50 + 100) * 2
    assert est.api["cost_usd"] == 0.003
    bad = tmp_path / "bad.yaml"
    bad.write_text("- model: x\n", encoding="utf-8")
    with pytest.raises(UsageError, match="usd_per_1m"):
        load_prices(bad)


def test_padding_and_packing_on_crafted_lengths() -> None:
    lengths = [10, 2, 7, 7, 3, 1, 12]  # 12 is cut to 10
    # batches of 3 in order: [10,2,7] -> 3*10, [7,3,1] -> 3*7, [12->10] -> 10
    assert padded_tokens(lengths, batch_size=3, max_seq_len=10) == 61
    # BFD (cut, sorted): 10,10,7,7,3,2,1 -> [10] [10] [7,3] [7,2,1]
    assert pack(lengths, max_seq_len=10) == [[10], [10], [7, 3], [7, 2, 1]]
    sim = simulate(lengths, max_seq_len=10, batch_size=3)
    assert sim["real_tokens"] == 40
    assert sim["truncated_records"] == 1
    assert sim["padded"] == {"tokens": 61, "efficiency": round(40 / 61, 4), "steps_per_epoch": 3}
    assert sim["packed"] == {"rows": 4, "tokens": 40, "efficiency": 1.0, "steps_per_epoch": 2}


def test_flops_formula() -> None:
    assert flops_per_token(8e9, "full") == 48e9  # 6 x params
    assert flops_per_token(8e9, "lora") == 32e9  # 4 x params
    # 989.4 TFLOPs x 2 GPUs x 0.35 / (6 x 8.03e9)
    assert flops_tokens_per_s(8.03e9, "full", tflops=989.4, gpus=2, mfu=0.35) == pytest.approx(
        989.4e12 * 2 * 0.35 / (6 * 8.03e9)
    )
    lora = flops_tokens_per_s(8e9, "lora", tflops=100, gpus=1, mfu=0.5)
    qlora = flops_tokens_per_s(8e9, "qlora", tflops=100, gpus=1, mfu=0.5)
    assert lora == pytest.approx(100e12 * 0.5 / 32e9) and qlora == pytest.approx(lora / 1.39)


def test_gpu_time_from_flops_model_and_measured_throughput() -> None:
    est = estimate([1_000] * 100, model="8B", gpu="h100", epochs=2, mfu=0.5)
    tps = 989.4e12 * 0.5 / (6 * 8e9)
    assert est.gpu and est.gpu["tokens_per_s"] == round(tps, 1)
    assert est.gpu["hours"] == 200_000 / round(tps, 1) / 3600  # exactly, with the rate shown
    assert est.tokens["trained_tokens"] == 200_000
    assert "FLOPs model" in est.gpu["throughput_source"]
    measured = estimate([1_000] * 100, model="8B", throughput=1_000.0, epochs=1)
    assert measured.gpu and measured.gpu["hours"] == 100_000 / 1_000 / 3600
    assert measured.gpu["throughput_source"].startswith("measured")


def test_published_aidaptiv_row_only_for_an_exact_match() -> None:
    est = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", epochs=1)
    assert est.gpu and est.gpu["tokens_per_s"] == 2151.0
    assert "aiDAPTIV+" in est.gpu["throughput_source"]
    assert "12,000" in est.gpu["throughput_source"]
    assert est.gpu["hours"] == 20_000 / 2151 / 3600
    two = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", gpus=2, epochs=1)
    assert two.gpu and two.gpu["tokens_per_s"] == 3854.0  # the table's 8B (2x) column
    for kwargs in ({"gpus": 4}, {"method": "lora"}, {"gpu": "h100"}, {"model": "8B"}):
        other = estimate([500] * 40, **{"model": "llama-3.1-8b", "gpu": "rtx-6000-ada", **kwargs})
        assert other.gpu and "FLOPs model" in other.gpu["throughput_source"]


def test_memory_for_llama_8b_full_fine_tuning() -> None:
    m = memory(get_model("llama-3.1-8b"), "full", seq_len=2048, batch_size=1, gpu=GPUS["h100"])
    p = 8.03e9
    assert m["weights_gb"] == round(2 * p / GIB, 2)
    assert m["gradients_gb"] == round(2 * p / GIB, 2)
    assert m["optimizer_gb"] == round(12 * p / GIB, 2)
    activations = 2048 * 34 * 4096 * 32  # tokens x 34 x hidden x layers
    logits = 2048 * 128_256 * 4
    assert m["activations_gb"] == round(activations / GIB, 2)
    assert m["logits_gb"] == round(logits / GIB, 2)
    total = (16 * p + activations + logits) / GIB
    assert m["total_gb"] == round(total, 2)
    assert m["fits"] is False and m["short_by_gb"] == round(total - 80, 2)


def test_memory_lora_qlora_checkpointing_and_sharding() -> None:
    llama = get_model("llama-3.1-8b")
    adapters = lora_params(llama)
    # r=16 x (q 8192 + k,v 2x5120 + o 8192 + gate,up 2x18432 + down 18432) x 32 layers
    assert adapters == 16 * (8192 + 2 * 5120 + 8192 + 2 * 18_432 + 18_432) * 32
    q = memory(llama, "qlora", seq_len=1024, gradient_checkpointing=True, gpu=GPUS["rtx-4090"])
    assert q["weights_gb"] == round((8.03e9 * 4.127 / 8 + adapters * 2) / GIB, 2)
    assert q["activations_gb"] == round(1024 * 4096 * (2 * 32 + 34) / GIB, 2)
    assert q["fits"] is True and q["short_by_gb"] == 0.0
    sharded = memory(llama, "full", seq_len=1024, gpus=4)
    assert sharded["optimizer_gb"] == round(12 * 8.03e9 / 4 / GIB, 2)


def test_sweep_rows_and_recommendation() -> None:
    lengths = [100] * 98 + [600, 40_000]
    trainable = [50] * 98 + [300, 1_000]
    rows = sweep(lengths, trainable, batch_size=2, epochs=1, tokens_per_s=100.0)
    assert [r["max_seq_len"] for r in rows][:3] == [100, 512, 600]  # p95 = 100, p99 = 600
    r512 = next(r for r in rows if r["max_seq_len"] == 512)
    assert r512["records_kept"] == 98
    assert r512["trainable_lost"] == 88 + 1_000  # min(300, 88) + min(1000, 39,488)
    assert r512["tokens"] == 9_800 + 512 * 2
    # batches in order: 49 x [100,100] and [600,40000] cut to 512 -> no waste but 0
    assert r512["padding_waste"] == 0
    assert r512["hours"] == 10_824 / 100 / 3600
    assert {"512", "100 (p95)", "600 (p99)"} <= set(candidates(lengths).values())
    # even at 32,768 the 40,000-token record loses min(1,000, 7,232) = 16% of 6,200
    # trainable tokens: no length meets the rule, so the longest swept one is recommended
    assert recommend(rows) == 32_768
    assert recommend(sweep([100] * 100, [10] * 100)) == 100


def test_to_dict_shape_and_inapplicable_sections() -> None:
    est = estimate([100, 200, 300])
    doc = est.to_dict()
    assert list(doc) == [
        "problem", "tokens", "api", "gpu", "packing", "sweep", "memory", "assumptions"
    ]  # fmt: skip
    assert set(doc["tokens"]) == {"total", "trainable", "trained_tokens"}
    assert doc["api"] is None and doc["gpu"] is None and doc["memory"] is None
    assert doc["packing"] is None  # needs max_seq_len and batch_size
    full = estimate(
        [100, 200, 300],
        trainable=[10, 20, 30],
        model="qwen2.5-7b",
        gpu="a100-80gb",
        method="lora",
        max_seq_len=256,
        batch_size=2,
    ).to_dict()
    assert set(full["gpu"]) == {
        "gpu", "gpus", "model", "method", "tokens_per_s", "throughput_source", "hours",
    }  # fmt: skip
    assert full["packing"]["packed"]["rows"] == 3  # 256, 200, 100 do not pair up
    assert full["memory"]["seq_len"] == 256 and full["tokens"]["trainable"] == 60
    api = estimate([10] * 5, model="gpt-4.1-nano-2025-04-14").to_dict()["api"]
    assert set(api) == {"provider", "model", "epochs", "billed_tokens", "cost_usd", "source"}
    assert api["epochs"] == 20 and api["cost_usd"] == round(50 * 20 * 1.5 / 1e6, 4)


def test_report_call_with_max_tokens_keeps_working() -> None:
    # sftprep.report.collect calls estimate(lengths, max_tokens=...)
    doc = estimate([10, 5000], max_tokens=1024).to_dict()
    assert doc["tokens"]["trained_tokens"] == (10 + 1024) * default_epochs(2)


def test_html_and_rich_rendering() -> None:
    est = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", epochs=1)
    assert isinstance(est, Estimate)
    html = est._repr_html_()
    assert "aiDAPTIV+" in html and "ssumptions" in html
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(est)
    text = console.export_text()
    assert "2,151 tokens/s" in text and "assumptions" in text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "gpt-4o", "provider": "openai"},
        {"provider": "acme", "model": "x"},
        {"model": "no-such-model", "gpu": "h100"},
        {"model": "8B", "gpu": "gtx-280"},
        {"model": "8B"},  # no GPU and no throughput
        {"gpu": "h100"},  # no local model
        {"epochs": "many"},
        {"epochs": 0},
        {"gpus": 0, "model": "8B", "gpu": "h100"},
        {"mfu": 1.5, "model": "8B", "gpu": "h100"},
        {"method": "dora", "model": "8B", "gpu": "h100"},
    ],
)
def test_misuse_raises_usage_error(kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(UsageError):
        estimate([100, 200], **kwargs)


def test_parse_params() -> None:
    assert parse_params("8B") == 8e9 and parse_params("0.5b") == 5e8
    assert parse_params("llama") is None


def test_aidaptiv_row_explains_the_memory_gap() -> None:
    est = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", epochs=1)
    assert est.memory and est.memory["fits"] is False
    assert any("aiDAPTIVCache" in a for a in est.assumptions)

"""QA cases: exact hours, the recommendation at its boundary, price files, CLI edges.

Every expectation is computed by hand in the comments next to it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftprep.cli.main import main
from sftprep.errors import UsageError
from sftprep.estimate import estimate, get_model, load_prices
from sftprep.estimate.hardware import GPUS
from sftprep.estimate.memory import lora_params, memory
from sftprep.estimate.packing import pack, simulate
from sftprep.estimate.sweep import recommend, sweep
from sftprep.units import duration

GIB = 2**30


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


def test_recommendation_uses_exact_shares_not_rounded_ones() -> None:
    # 1,000 records: 999 of 100 tokens (994 with 100 trainable, 5 with none) and one
    # of 1,016 tokens with 600 trainable; 100,000 trainable in all.
    lengths = [100] * 999 + [1_016]
    trainable = [100] * 994 + [0] * 5 + [600]
    rows = sweep(lengths, trainable)
    r512 = next(r for r in rows if r["max_seq_len"] == 512)
    # cut at 512 loses min(600, 504) = 504 = 0.504% > 0.5%, shown rounded as 0.005
    assert r512["trainable_lost"] == 504 and r512["trainable_lost_share"] == 0.005
    assert r512["recommended"] is False
    assert [r["max_seq_len"] for r in rows if r["recommended"]] == [1_024]
    assert recommend(rows, records=1_000, trainable=100_000) == 1_024
    assert recommend(rows) == 512  # the rounded shares alone cannot tell
    est = estimate(lengths, trainable=trainable)
    assert est.recommended_max_seq_len == 1_024


def test_recommendation_keeps_exactly_99_percent() -> None:
    # 98,996 of 100,000 records kept is 98.996% < 99%, though it rounds to 0.99
    rows = [{"max_seq_len": 512, "records_kept": 98_996, "trainable_lost": 0}]
    rows[0] |= {"records_kept_share": 0.99, "trainable_lost_share": 0.0}
    rows.append(rows[0] | {"max_seq_len": 1_024, "records_kept": 99_000})
    assert recommend(rows, records=100_000, trainable=10) == 1_024


def test_best_fit_decreasing_on_crafted_lengths() -> None:
    # 9 -> A (room 1); 8 -> B (2); 2 -> B, the tightest fit (0); 2 -> new C (8);
    # 1 -> A (0); 1, 1 -> C (6): three rows of 10
    lengths = [9, 8, 2, 2, 1, 1, 1]
    assert pack(lengths, max_seq_len=10) == [[9, 1], [8, 2], [2, 1, 1]]
    sim = simulate(lengths, max_seq_len=10, batch_size=2)
    # padding in order: [9,8] -> 18, [2,2] -> 4, [1,1] -> 2, [1] -> 1 = 25 for 24 real
    assert sim["real_tokens"] == 24
    assert sim["padded"] == {"tokens": 25, "efficiency": 0.96, "steps_per_epoch": 4}
    assert sim["packed"] == {"rows": 3, "tokens": 30, "efficiency": 0.8, "steps_per_epoch": 2}


def test_max_seq_len_below_every_record() -> None:
    # every record cut to 64: one full row each, nothing wasted, every record truncated
    est = estimate([100, 200, 300], model="8B", throughput=100.0, max_seq_len=64, batch_size=2)
    assert est.packing and est.packing["truncated_records"] == 3
    assert est.packing["packed"] == {"rows": 3, "tokens": 192, "efficiency": 1.0,
                                     "steps_per_epoch": 2}  # fmt: skip
    # a local run: 3 epochs (Hugging Face's default); OpenAI's rule (25 for 3) is for hosted
    assert est.tokens["trained_tokens"] == 3 * 64 * 3
    assert any("3 of 3 records are longer" in a for a in est.assumptions)


def test_memory_qwen_7b_lora_on_a100_80gb() -> None:
    qwen = get_model("qwen2.5-7b")
    # kv dim 3584 / 28 x 4 = 512; per layer r x (q 7168 + k,v 2 x 4096 + o 7168
    # + gate,up 2 x 22,528 + down 22,528) = 16 x 90,112; x 28 layers = 40,370,176
    assert lora_params(qwen) == 40_370_176
    m = memory(qwen, "lora", seq_len=2048, batch_size=1, gpu=GPUS["a100-80gb"])
    a = 40_370_176
    assert m["weights_gb"] == round((2 * 7.62e9 + 2 * a) / GIB, 2)  # 14.27
    assert m["gradients_gb"] == round(2 * a / GIB, 2)  # 0.08
    assert m["optimizer_gb"] == round(12 * a / GIB, 2)  # 0.45
    assert m["activations_gb"] == round(2048 * 34 * 3584 * 28 / GIB, 2)  # 6.51
    assert m["logits_gb"] == round(2048 * 152_064 * 4 / GIB, 2)  # 1.16
    total = (2 * 7.62e9 + 16 * a + 2048 * 34 * 3584 * 28 + 2048 * 152_064 * 4) / GIB
    assert m["total_gb"] == round(total, 2) == 22.46
    assert m["fits"] is True and m["short_by_gb"] == 0.0


def test_a_price_row_of_another_provider_needs_no_provider_flag(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("- model: az-model\n  provider: azure\n  usd_per_1m: 2\n", encoding="utf-8")
    est = estimate([1_000] * 40, model="az-model", prices=load_prices(path))
    # 40 x 1,000 x 3 epochs = 120,000 billed x $2 / 1M = $0.24; no date: no "()"
    assert est.api and est.api["provider"] == "azure" and est.api["cost_usd"] == 0.24
    assert est.api["source"] == f"$2/1M training tokens; {path}"


@pytest.mark.parametrize(
    "row",
    [
        "usd_per_1m: .nan",
        "usd_per_1m: .inf",
        "usd_per_1m: -1",
        "usd_per_1m: true",
        "usd_per_1m: cheap",
        "usd_per_1m: 1\n  max_tokens: 1.5",
        "usd_per_1m: 1\n  max_tokens: 0",
    ],
)
def test_bad_price_numbers_are_rejected(tmp_path: Path, row: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"- model: m\n  {row}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="finite number"):
        load_prices(path)


def test_yaml_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("prices:\n  - model: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"cannot read prices: .*\(line 3\)"):
        load_prices(path)


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


def test_hours_display() -> None:
    assert duration(2.5) == "2.5 h" and duration(0.5) == "30.0 min"
    assert duration(1 / 3600) == "1.0 s"
    assert duration(48.4 / 3600) == "0.8 min"  # as in the README's drone example


REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
DRONE = REAL / "openai-cookbook__drone_training.jsonl"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["estimate", *args, "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.skipif(not DRONE.exists(), reason="needs ../shared/data/real")
def test_cli_json_is_one_document_with_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--model", "8B", "--gpu", "h100", "--max-seq-len", "512", "--batch-size", "4"]
    code, out, _ = _cli(capsys, str(DRONE), *args, "--json")
    assert code == 0
    doc = json.loads(out)  # the whole of stdout
    assert list(doc) == [
        "problem", "tokens", "api", "gpu", "packing", "sweep", "memory", "assumptions"
    ]  # fmt: skip
    assert (
        doc["gpu"]["hours"] == doc["tokens"]["trained_tokens"] / doc["gpu"]["tokens_per_s"] / 3600
    )
    # every drone record is over 512 tokens: 103 rows of 512, 103 x 512 x 3 epochs trained
    assert doc["packing"]["packed"]["rows"] == 103 == doc["packing"]["truncated_records"]
    assert doc["tokens"]["trained_tokens"] == 103 * 512 * 3


@pytest.mark.skipif(not DRONE.exists(), reason="needs ../shared/data/real")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "0B", "--gpu", "h100"], "parameter count"),
        (["--model", "8B", "--gpu", "h100", "--throughput", "0"], "throughput"),
        (["--model", "8B", "--gpu", "h100", "--epochs", "0"], "epochs"),
        (["--model", "8B", "--gpu", "h100", "--max-seq-len", "-4"], "max_seq_len"),
        (["--model", "gpt-4o-mini-2024-07-18", "--prices", "/nonexistent/p.toml"], "no such"),
    ],
)
def test_cli_bad_values_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _cli(capsys, str(DRONE), *args)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_cli_empty_dataset(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    code, out, err = _cli(capsys, str(path), "--model", "gpt-4o-mini-2024-07-18")
    assert code == 2 and out == "" and "Traceback" not in err

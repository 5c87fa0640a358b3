"""`sftprep estimate` end to end on a real file, in process via `main([...])`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datakit import terminal_text, write_jsonl
from sftprep.cli.main import main

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
DRONE = REAL / "openai-cookbook__drone_training.jsonl"
API = ["--provider", "openai", "--model", "gpt-4o-mini-2024-07-18"]
LOCAL = ["--model", "llama-3.1-8b", "--method", "full", "--gpu", "rtx-6000-ada", "--epochs", "1"]

needs_drone = pytest.mark.skipif(not DRONE.exists(), reason="needs ../shared/data/real")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["estimate", str(DRONE), "--quiet", *args])
    out, err = capsys.readouterr()
    return code, out, err


@needs_drone
@pytest.mark.real_data
def test_api_cost_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *API)
    assert code == 0
    assert "gpt-4o-mini-2024-07-18" in out and "3 epochs" in out  # 103 examples -> 3
    assert "$" in out and "openai.com/api/pricing" in out
    assert "assumptions" in out


@needs_drone
@pytest.mark.real_data
def test_api_cost_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *API, "--json")
    assert code == 0
    doc = json.loads(out)
    api = doc["api"]
    assert api["epochs"] == 3
    assert api["billed_tokens"] == doc["tokens"]["total"] * 3  # no example over 65,536
    assert api["cost_usd"] == round(api["billed_tokens"] * 3 / 1e6, 4)
    assert doc["gpu"] is None and doc["memory"] is None


@needs_drone
@pytest.mark.real_data
def test_local_time_uses_the_aidaptiv_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *LOCAL)
    assert code == 0
    assert "2,151 tokens/s" in out and "aiDAPTIV+" in out


@needs_drone
@pytest.mark.real_data
def test_local_time_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *LOCAL, "--json")
    assert code == 0
    doc = json.loads(out)
    gpu = doc["gpu"]
    assert gpu["tokens_per_s"] == 2151.0 and "aiDAPTIV+" in gpu["throughput_source"]
    assert gpu["gpu"] == "rtx-6000-ada" and gpu["model"] == "llama-3.1-8b"
    assert doc["tokens"]["trained_tokens"] == doc["tokens"]["total"]  # one epoch
    assert gpu["hours"] == 104_178 / 2151 / 3600  # exactly: not rounded to 0.0135
    # the time is aiDAPTIV+'s (measured with aiDAPTIVCache), so memory is fitted with its
    # offload; on GPU memory alone 16 B/param of 8B params > 48 GB
    assert doc["memory"]["mode"] == "aidaptiv-offload" and doc["memory"]["fits"] is True
    assert doc["memory"]["without_offload"]["fits"] is False
    assert doc["api"] is None


@needs_drone
@pytest.mark.real_data
def test_packing_section(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *LOCAL, "--max-seq-len", "4096", "--batch-size", "4", "--json")
    assert code == 0
    pk = json.loads(out)["packing"]
    assert pk["packed"]["rows"] < pk["records"]
    assert pk["packed"]["steps_per_epoch"] < pk["padded"]["steps_per_epoch"]


@needs_drone
@pytest.mark.real_data
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "openai", "--model", "gpt-5-turbo"], "known: gpt-3.5-turbo-0125"),
        (["--model", "llama-3.1-8b", "--gpu", "abacus"], "unknown GPU"),
        (["--model", "llama-3.1-8b"], "give --gpu"),
        (["--epochs", "x", *API], "epochs"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = _run(capsys, *args)
    assert code == 2
    assert message in err and err.count("\n") == 1


@needs_drone
@pytest.mark.real_data
def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "no/such.jsonl", "--quiet"]) == 2
    assert "no such file" in capsys.readouterr().err


@needs_drone
@pytest.mark.real_data
def test_counts_of_the_drone_file() -> None:
    from sftprep.estimate.dataset import count_lengths

    lengths, trainable, formats = count_lengths(DRONE)
    assert formats == ["messages"]
    assert (len(lengths), sum(lengths), sum(trainable)) == (103, 104_178, 1_087)


@needs_drone
@pytest.mark.real_data
def test_two_gpus_and_a_toml_price_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, *LOCAL, "--gpus", "2", "--json")
    assert code == 0 and json.loads(out)["gpu"]["tokens_per_s"] == 3854.0
    prices = tmp_path / "p.toml"
    prices.write_text('[[prices]]\nmodel = "gpt-4o-mini-2024-07-18"\nusd_per_1m = 1\n')
    code, out, _ = _run(capsys, *API, "--prices", str(prices), "--json")
    api = json.loads(out)["api"]
    assert code == 0 and api["cost_usd"] == round(api["billed_tokens"] / 1e6, 4)


@needs_drone
@pytest.mark.real_data
def test_no_offload_fits_gpu_memory_alone(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *LOCAL, "--json", "--no-offload")
    assert code == 0
    doc = json.loads(out)
    assert "mode" not in doc["memory"] and doc["memory"]["fits"] is False
    assert any("memory fit above is for GPU memory alone" in a for a in doc["assumptions"])


@needs_drone
@pytest.mark.real_data
def test_offload_capacities_given(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *LOCAL, "--json", "--dram-gb", "16", "--cache-gb", "100")
    assert code == 0
    mem = json.loads(out)["memory"]
    assert mem["fits"] is False  # 119.66 GiB of states > 100 GB (93.13 GiB) of SSD
    assert (mem["cache"]["capacity_gb"], mem["cache"]["fits"]) == (93.13, False)
    assert mem["dram"]["fits"] is True
    code, _, err = _run(capsys, *LOCAL, "--cache-gb", "100")
    assert code == 2 and "give both --dram-gb and --cache-gb" in err


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["estimate", *args, "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.qa
@pytest.mark.real_data
@needs_drone
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


@pytest.mark.qa
@pytest.mark.real_data
@needs_drone
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


@pytest.mark.qa
def test_cli_empty_dataset(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    code, out, err = _cli(capsys, str(path), "--model", "gpt-4o-mini-2024-07-18")
    assert code == 2 and out == "" and "Traceback" not in err


KTO = [
    {
        "messages": [
            {"role": "user", "content": f"Name a fruit, {i}."},
            {"role": "assistant", "content": f"Apple number {i}." if i % 2 else "Rock."},
        ],
        "label": bool(i % 2),
    }
    for i in range(4)
]


@pytest.mark.unseen
def test_estimate_says_how_non_sft_data_is_priced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "kto.jsonl", KTO * 3)
    args = ["estimate", str(path), "--model", "gpt-4o-mini-2024-07-18", "--json", "--quiet"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["assumptions"][1:3] == [
        "KTO preference data, priced as SFT on the desirable completions only (the undesirable "
        "ones are counted, not trained); hosted SFT has no KTO",
        "6 KTO records without a desirable completion are not priced",
    ]
    assert doc["tokens"]["trainable"] == 30 and doc["api"]["epochs"] == 16
    rl = write_jsonl(tmp_path / "rl.jsonl", [{"prompt": "2+2?", "ground_truth": "4"}])
    assert main(["estimate", str(rl), "--quiet"]) == 1
    headline = terminal_text(capsys)
    assert "0 trainable" in headline and "trained (all epochs)" not in headline

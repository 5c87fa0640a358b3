"""Estimating an aiDAPTIV+ project: steps, tokens and hours by hand, memory with offload,
epochs from the config, and a project laid out like Phison's published example."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sftprep.cli.main import main
from sftprep.estimate import estimate
from sftprep.estimate.hardware import get_gpu, get_model
from sftprep.estimate.memory import memory, offload_memory
from sftprep.estimate.project import estimate_project, model_from_path
from sftprep.formats.aidaptiv_project import load_project

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = ROOT / "examples" / "aidaptiv" / "env_config.yaml"
DOLLY = ROOT.parent / "shared" / "data" / "real" / "litgpt__dolly_fixture.json"
RTX_4000 = get_gpu("rtx-4000-ada")

# Keys and values as in Phison's Examples/Training_Examples/PhisonAI_20GB_8B (commit a7161dc):
# the new user's copy, with only the dataset's data_path changed to a local file.
PHISON_ENV = """\
path_settings:
  lora:
    lora_weight: ""
    lora_optimizer: ""
    lora_output_dir: ""
  model_name_or_path: "/home/{username}/workspace/models/Meta-Llama-3.1-8B-Instruct"
  multi_node_env_path: null
  optimizer_path: ""
  train_data_path:
    - ./QA_dataset_config.yaml
  val_data_path: null
  nvme_path: "/mnt/nvme0"
  output_dir: "output/"
  log_name: "output/PhisonAI_20GB_8B.log"
"""
PHISON_EXP = """\
process_settings:
  num_gpus: {gpus}
  specify_gpus: "{ids}"
  master_port: 8299
  multi_node_settings:
    enable: False
    master_addr: "127.0.0.1"
run_settings:
  task_type: "text-generation"
  task_mode: "train"
  per_device_train_batch_size: {per_device}
  per_update_total_batch_size: {total}
  num_train_epochs: {epochs}
  max_iter: -1
  max_seq_len: {seq}
  triton: True
  weight_file_format: null
  from_config: false
  precision_mode: 1
  enable_save_optimizer_state: false
  model_saver:
    max_num_of_saved_model_on_epoch_end: -1
    enable_save_model_on_iteration: false
    max_num_of_saved_model_on_iteration: 2
    num_of_iteration_to_save_model: 2
  lr_scheduler:
    mode: 1
    learning_rate: 0.000007
  optimizer:
    beta1: 0.9
    beta2: 0.95
    eps: 0.00000001
    weight_decay: 0.01
  early_stop:
    enable: false
    min_delta: 0.01
    patience: 2
    verbose: false
  lora:
    enable_lora: {lora}
    lora_rank: 8
    lora_alpha: 16
    lora_task_type: "CAUSAL_LM"
    lora_target_modules: null
"""
PHISON_DATA = """\
rm-static:
  data_path: "{data}"
  strategy: "QA"
  system_prompt: ""
  user_prompt: "{{question}}"
  question_key: "instruction"
  answer_key: "response"
  label_key: "response"
  exp_type: train
"""


def phison_project(
    tmp_path: Path,
    *,
    data: Path = DOLLY,
    gpus: int = 1,
    per_device: int = 8,
    total: int = 160,
    epochs: int = 1,
    seq: int = 12000,
    lora: str = "false",
) -> Path:
    (tmp_path / "env_config.yaml").write_text(PHISON_ENV)
    ids = ",".join(str(i) for i in range(gpus))
    exp = PHISON_EXP.format(
        gpus=gpus, ids=ids, per_device=per_device, total=total, epochs=epochs, seq=seq, lora=lora
    )
    (tmp_path / "exp_config.yaml").write_text(exp)
    (tmp_path / "QA_dataset_config.yaml").write_text(PHISON_DATA.format(data=data))
    return tmp_path / "env_config.yaml"


# --- steps, tokens and hours by hand --------------------------------------------------------

LENGTHS = [100] * 10 + [3000] * 2
TRAINABLE = [40] * 10 + [2500] * 2


def test_steps_tokens_and_hours_equal_hand_computed(tmp_path: Path) -> None:
    env = phison_project(tmp_path, gpus=2, per_device=1, total=4, epochs=2, seq=2048)
    project = load_project(env)
    assert project.findings == []
    est = estimate_project(project, LENGTHS, TRAINABLE, gpu="rtx-4000-ada")
    t = est.training
    assert t is not None
    assert t["steps_per_epoch"] == math.ceil(12 / 4) == 3
    assert t["optimizer_steps"] == 6 and t["epochs"] == 2
    assert t["gradient_accumulation"] == 2  # 4 / (1 per GPU x 2 GPUs)
    assert t["tokens_per_epoch"] == 10 * 100 + 2 * 2048 == 5096
    assert t["tokens_per_step"] == round(5096 / 3, 1)
    assert t["trained_tokens"] == est.tokens["trained_tokens"] == 10_192
    assert t["records_over_max_seq_len"] == 2
    assert t["trainable_tokens_lost"] == 2 * min(2500, 3000 - 2048) == 1904
    assert est.gpu is not None
    assert est.gpu["tokens_per_s"] == 2132.0  # published: 8B on 2 x RTX 4000 Ada
    assert t["hours"] == est.gpu["hours"] == 10_192 / 2132.0 / 3600
    assert est.memory is not None
    assert (est.memory["seq_len"], est.memory["batch_size"], est.memory["gpus"]) == (2048, 1, 2)
    assert (
        t["sources"]["epochs"]
        == f"{env.parent / 'exp_config.yaml'}:13 run_settings.num_train_epochs"
    )


def test_epochs_come_from_the_config(tmp_path: Path) -> None:
    project = load_project(phison_project(tmp_path, epochs=4))
    est = estimate_project(project, [500] * 12, [200] * 12, gpu="rtx-4000-ada")
    assert est.training is not None and est.training["epochs"] == 4
    assert est.tokens["trained_tokens"] == 500 * 12 * 4
    assert any(a.startswith("num_train_epochs 4: ") for a in est.assumptions)
    given = estimate_project(project, [500] * 12, [200] * 12, gpu="rtx-4000-ada", epochs=2)
    assert given.training is not None and given.training["epochs"] == 2
    assert any("num_train_epochs 2 (given) instead of 4" in a for a in given.assumptions)


def test_openai_epoch_rule_only_for_hosted_models() -> None:
    local = estimate([500] * 12, model="llama-3.1-8b", gpu="rtx-4000-ada")
    assert local.tokens["trained_tokens"] == 500 * 12 * 3  # Hugging Face's default 3
    assert any("Hugging Face TrainingArguments" in a for a in local.assumptions)
    hosted = estimate([500] * 12, model="gpt-4o-mini-2024-07-18")
    assert hosted.api is not None and hosted.api["epochs"] == 8  # OpenAI's rule for 12


def test_lora_comes_from_the_config(tmp_path: Path) -> None:
    project = load_project(phison_project(tmp_path, lora="true"))
    est = estimate_project(project, [500] * 12, [200] * 12, gpu="rtx-4000-ada", offload=False)
    assert est.gpu is not None and est.gpu["method"] == "lora"
    assert est.memory is not None and est.memory["trainable_params"] == 20_971_520  # rank 8


def test_model_from_model_name_or_path() -> None:
    assert model_from_path("/models/Meta-Llama-3.1-70B-Instruct/") == "llama-3.1-70b"
    assert model_from_path("Qwen/Qwen2.5-7B-Instruct") == "qwen2.5-7b"
    assert model_from_path("/models/custom") is None


# --- memory: Phison's verified configurations -----------------------------------------------
# PhisonAI_20GB_8B and _70B READMEs, "Test Environment (Verified Configuration)":
# 2 x RTX 4000 Ada (20 GB), 128 GB DRAM; a 320 GB AI100 for 8B, a 2 TB AI100 for 70B.
# Micro batches as in their exp configs: 8 records for 8B, 2 x 4,096 tokens for 70B.
VERIFIED = [
    pytest.param("llama-3.1-8b", 2048, 8, 320.0, id="8B"),
    pytest.param("llama-3.1-70b", 4096, 2, 2000.0, id="70B"),
]


@pytest.mark.parametrize(("model", "seq", "batch", "cache"), VERIFIED)
def test_verified_configurations_fit_with_offload(
    model: str, seq: int, batch: int, cache: float
) -> None:
    m = offload_memory(
        get_model(model), "full", seq_len=seq, batch_size=batch, gpu=RTX_4000, gpus=2,
        dram_gb=128, cache_gb=cache,
    )  # fmt: skip
    assert m["fits"] is True
    assert all(m[tier]["fits"] for tier in ("gpu", "dram", "cache"))
    assert set(m["offload"]) == {"gpu", "dram", "cache"}
    # the SSD holds the model states: 16 bytes per parameter
    assert m["cache"]["need_gb"] == round(get_model(model).params * 16 / 2**30, 2)


@pytest.mark.parametrize(("model", "seq", "batch", "cache"), VERIFIED)
def test_verified_configurations_do_not_fit_without_offload(
    model: str, seq: int, batch: int, cache: float
) -> None:
    m = memory(get_model(model), "full", seq_len=seq, batch_size=batch, gpu=RTX_4000, gpus=2)
    assert m["fits"] is False
    assert m["short_by_gb"] == round(m["total_gb"] - 20.0, 2) and m["short_by_gb"] > 40


def test_numbers_of_the_70b_fit() -> None:
    m = offload_memory(
        get_model("llama-3.1-70b"), "full", seq_len=4096, batch_size=2, gpu=RTX_4000, gpus=2,
        dram_gb=128, cache_gb=2000,
    )  # fmt: skip
    # GPU: 2 x 1.05B-param vocabulary matrix x 4 B + 34 x 8192 x 8192 B + 8192 x 128256 x 4 B
    assert m["offload"]["gpu"] == {
        "working_weights_gradients_gb": round(2 * 128_256 * 8192 * 4 / 2**30, 2),
        "adapters_and_states_gb": 0.0,
        "activations_gb": round(34 * 8192 * 8192 / 2**30, 2),
        "logits_gb": round(8192 * 128_256 * 4 / 2**30, 2),
    }
    assert m["cache"]["capacity_gb"] == round(2000e9 / 2**30, 2)  # SSD GB are decimal
    assert m["dram"]["capacity_gb"] == 128


def test_a_full_12000_token_micro_batch_of_8_does_not_fit_20_gb() -> None:
    # What the model says of Phison's 8B exp config at its cap: the FP32 logits of
    # 8 x 12,000 tokens alone exceed 20 GB; the verified run's records were shorter.
    m = offload_memory(
        get_model("llama-3.1-8b"), "full", seq_len=12_000, batch_size=8, gpu=RTX_4000, gpus=2,
        dram_gb=128, cache_gb=320,
    )  # fmt: skip
    assert m["fits"] is False and m["gpu"]["fits"] is False
    assert m["dram"]["fits"] and m["cache"]["fits"]


def test_offload_in_estimate_keeps_the_plain_fit_beside_it() -> None:
    est = estimate(
        [1000] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", epochs=1, batch_size=1,
        max_seq_len=1024, offload=(128, 320),
    )  # fmt: skip
    assert est.memory is not None and est.memory["mode"] == "aidaptiv-offload"
    assert est.memory["fits"] is True
    plain = est.memory["without_offload"]
    assert plain["fits"] is False and plain["short_by_gb"] > 0
    assert not any("memory fit above is for GPU memory alone" in a for a in est.assumptions)


# --- the CLI ---------------------------------------------------------------------------------


def estimate_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["estimate", "--json", "--workers", "1", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def test_example_project_estimate_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = estimate_json(
        capsys, "--aidaptiv-env", str(EXAMPLE_ENV), "--gpu", "rtx-4000-ada"
    )
    assert code == 0 and err == ""
    t = doc["training"]
    assert (t["records"], t["epochs"], t["steps_per_epoch"], t["optimizer_steps"]) == (12, 3, 2, 6)
    assert t["trained_tokens"] == doc["tokens"]["trained_tokens"] == 3 * doc["tokens"]["total"]
    assert doc["gpu"]["gpus"] == 2 and doc["gpu"]["tokens_per_s"] == 2132.0
    assert t["hours"] == doc["gpu"]["hours"] == t["trained_tokens"] / 2132.0 / 3600
    mem = doc["memory"]
    assert mem["fits"] is True and mem["mode"] == "aidaptiv-offload"
    assert set(mem["offload"]) == {"gpu", "dram", "cache"}
    assert mem["without_offload"]["fits"] is False
    assert t["config_findings"] == []
    notes = "\n".join(doc["assumptions"])
    assert "exp_config.yaml:16 run_settings.num_train_epochs" in notes
    assert "Phison's recommendation" in notes and "ZeRO-Infinity" in notes
    assert "max_seq_len 12,000" in notes and "max_seq_len is 2,048" in notes
    assert "precision_mode 1 (" in notes and "is not interpreted" in notes


def test_example_project_estimate_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["estimate", "--quiet", "--workers", "1", "--aidaptiv-env", str(EXAMPLE_ENV),
                 "--gpu", "rtx-4000-ada", "--dram-gb", "128", "--cache-gb", "320"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "6 optimizer steps" in out and "memory with aiDAPTIV+ offload" in out
    assert "aiDAPTIVCache" in out and "without offload" in out


@pytest.mark.skipif(not DOLLY.exists(), reason="needs ../shared/data/real")
def test_new_user_copy_of_phisons_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = phison_project(tmp_path)  # Phison's 8B example, data_path -> a local Dolly file
    code, doc, err = estimate_json(
        capsys, "--aidaptiv-env", str(env), "--gpu", "rtx-4000-ada",
        "--dram-gb", "128", "--cache-gb", "320",
    )  # fmt: skip
    assert code == 0 and err == ""
    t = doc["training"]
    assert (t["records"], t["epochs"], t["optimizer_steps"]) == (12, 1, 1)  # ceil(12 / 160)
    assert (t["per_device_train_batch_size"], t["num_gpus"], t["max_seq_len"]) == (8, 1, 12000)
    assert doc["gpu"]["tokens_per_s"] == 1876.0  # published: 8B on 1 x RTX 4000 Ada
    assert doc["memory"]["fits"] is True and doc["memory"]["without_offload"]["fits"] is False
    code = main(["check", "--quiet", "--workers", "1", "--aidaptiv-env", str(env)])
    assert code == 0


def test_partial_updates_are_said(tmp_path: Path) -> None:
    project = load_project(phison_project(tmp_path))  # 160 records per update
    est = estimate_project(project, [500] * 12, [200] * 12, gpu="rtx-4000-ada")
    assert "12 training records are fewer than per_update_total_batch_size 160" in "\n".join(
        est.assumptions
    )
    est = estimate_project(project, [500] * 170, [200] * 170, gpu="rtx-4000-ada")
    assert est.training is not None and est.training["steps_per_epoch"] == 2
    assert any("takes the remaining 10 records" in a for a in est.assumptions)


def test_a_project_needs_a_gpu_or_a_throughput(tmp_path: Path) -> None:
    from sftprep.errors import UsageError

    project = load_project(phison_project(tmp_path))
    with pytest.raises(UsageError, match="give --gpu, the workstation's GPU"):
        estimate_project(project, [500] * 12, [200] * 12)
    est = estimate_project(project, [500] * 12, [200] * 12, throughput_=1000.0)
    assert est.gpu is not None and est.gpu["hours"] == 500 * 12 / 1000.0 / 3600

"""aiDAPTIV+ projects (env, exp and dataset YAMLs): reading them, each config error's line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sftprep.cli.main import main
from sftprep.findings import Finding
from sftprep.formats.aidaptiv_project import load_project

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "aidaptiv"


def project_copy(tmp_path: Path, **replace: str) -> Path:
    """The example project copied to ``tmp_path`` (with its data), texts replaced per file
    (``env``, ``exp``, ``data``) as ``"old=>new"``, several joined by ``;;``."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("env_config.yaml", "exp_config.yaml", "qa_dataset_config.yaml"):
        shutil.copy(EXAMPLE / name, folder / name)
    shutil.copy(ROOT / "examples" / "qa_dataset.jsonl", tmp_path / "qa_dataset.jsonl")
    files = {"env": "env_config.yaml", "exp": "exp_config.yaml", "data": "qa_dataset_config.yaml"}
    for which, change in replace.items():
        path = folder / files[which]
        for pair in change.split(";;"):
            old, new = pair.split("=>")
            text = path.read_text()
            assert old in text, (old, path)
            path.write_text(text.replace(old, new, 1))
    return folder / "env_config.yaml"


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line containing ``text``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def found(findings: list[Finding]) -> set[tuple[str, str, int | None]]:
    return {(f.rule, Path(f.location.path).name, f.location.line) for f in findings}


def test_example_project_reads_clean() -> None:
    project = load_project(EXAMPLE / "env_config.yaml")
    assert project.findings == []
    assert project.exp == EXAMPLE / "exp_config.yaml"  # beside the env config by default
    assert project.train_configs == [EXAMPLE / "qa_dataset_config.yaml"]
    assert project.val_configs == []
    s = project.settings
    assert (s.num_gpus, s.per_device_train_batch_size, s.per_update_total_batch_size) == (2, 2, 8)
    assert (s.num_train_epochs, s.max_seq_len, s.accumulation, s.steps(12)) == (3, 2048, 2, 2)
    assert project.method == "full" and s.lora_rank == 8
    assert project.source("exp", "run_settings", "max_seq_len").endswith(
        f"exp_config.yaml:{line_of(EXAMPLE / 'exp_config.yaml', 'max_seq_len:')} "
        "run_settings.max_seq_len"
    )


# (file changed, "old=>new", expected rule, file of the finding, line text to find, message part)
ERRORS = [
    pytest.param(
        "exp", "num_train_epochs: 3=>num_train_epoch: 3", "config-invalid", "exp_config.yaml",
        "num_train_epoch:", "did you mean `num_train_epochs`", id="misspelt-key",
    ),
    pytest.param(
        "exp", "triton: True=>triton: True\n  my_own_setting: 1", "unknown-key",
        "exp_config.yaml", "my_own_setting", "not in Phison's published examples", id="unknown",
    ),
    pytest.param(
        "exp", "per_device_train_batch_size: 2=>per_device_train_batch_size: \"2\"",
        "config-invalid", "exp_config.yaml", "per_device_train_batch_size",
        "must be an integer, got str '2'", id="wrong-type",
    ),
    pytest.param(
        "exp", "learning_rate: 0.000007=>learning_rate: 7e-6", "config-invalid",
        "exp_config.yaml", "learning_rate", "write it with a decimal point", id="yaml-1.1-float",
    ),
    pytest.param(
        "exp", "per_update_total_batch_size: 8 =>per_update_total_batch_size: 10 ",
        "config-invalid", "exp_config.yaml", "per_update_total_batch_size",
        "10 is not a multiple of per_device_train_batch_size x num_gpus = 2 x 2 = 4",
        id="batch-multiple",
    ),
    pytest.param(
        "exp", "specify_gpus: \"0,1\"=>specify_gpus: \"0\"", "config-invalid",
        "exp_config.yaml", "specify_gpus", "names 1 GPU(s) but num_gpus is 2", id="gpu-ids",
    ),
    pytest.param(
        "env", "lora_weight: \"\"=>lora_weight: \"adapters/run1\"", "config-ignored",
        "env_config.yaml", "lora_weight", "lora.enable_lora` is false: it is not used",
        id="lora-ignored",
    ),
    pytest.param(
        "exp", "enable_lora: false=>enable_lora: true;;lora_rank: 8=>lora_rank: 0",
        "config-invalid", "exp_config.yaml", "lora_rank", "not a positive integer",
        id="lora-rank",
    ),
    pytest.param(
        "env", "./qa_dataset_config.yaml=>./missing_config.yaml", "config-invalid",
        "env_config.yaml", "missing_config.yaml", "does not exist", id="no-dataset-yaml",
    ),
    pytest.param(
        "data", "../qa_dataset.jsonl=>../nowhere.jsonl", "config-invalid",
        "qa_dataset_config.yaml", "data_path", "does not exist", id="no-data-file",
    ),
    pytest.param(
        "exp", "max_seq_len: 2048=>max_seq_len: 0", "config-invalid", "exp_config.yaml",
        "max_seq_len", "must be a positive integer, got 0", id="non-positive",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("which", "change", "rule", "name", "text", "message"), ERRORS)
def test_each_config_error_has_its_line(
    tmp_path: Path, which: str, change: str, rule: str, name: str, text: str, message: str
) -> None:
    env = project_copy(tmp_path, **{which: change})
    project = load_project(env)
    line = line_of(env.parent / name, text)
    hits = [f for f in project.findings if (f.rule, Path(f.location.path).name) == (rule, name)]
    assert [f.location.line for f in hits][:1] == [line], project.findings
    assert message in hits[0].message


def test_misspelt_key_also_reports_the_missing_setting(tmp_path: Path) -> None:
    env = project_copy(tmp_path, exp="num_train_epochs: 3=>num_train_epoch: 3")
    project = load_project(env)
    exp = env.parent / "exp_config.yaml"
    assert found(project.findings) == {
        ("config-invalid", "exp_config.yaml", line_of(exp, "num_train_epoch:")),
        ("config-invalid", "exp_config.yaml", line_of(exp, "run_settings:")),
    }
    assert project.settings.num_train_epochs is None


def test_phison_lora_defaults_are_not_findings() -> None:
    # Phison's examples keep lora_rank: 8 with enable_lora: false, and empty LoRA paths.
    assert load_project(EXAMPLE / "env_config.yaml").findings == []


def test_missing_files_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = project_copy(tmp_path)
    (env.parent / "exp_config.yaml").unlink()
    code = main(["check", "--aidaptiv-env", str(env)])
    assert code == 2
    assert "exp_config.yaml: no such file (--aidaptiv-exp)" in capsys.readouterr().err


def test_not_yaml_is_a_finding(tmp_path: Path) -> None:
    env = project_copy(tmp_path, exp="run_settings:=>run_settings: [")
    findings = load_project(env).findings
    assert [f.rule for f in findings] == ["config-invalid"]
    assert "not valid YAML" in findings[0].message


def test_val_data_path_is_read_apart(tmp_path: Path) -> None:
    env = project_copy(
        tmp_path, env="val_data_path: null=>val_data_path:\n    - ./qa_dataset_config.yaml"
    )
    project = load_project(env)
    assert project.findings == []
    assert project.val_configs == project.train_configs == [env.parent / "qa_dataset_config.yaml"]


# --- sftprep check --aidaptiv-env ----------------------------------------------------------


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", "--json", "--workers", "1", *args])
    return code, json.loads(capsys.readouterr().out)


def test_example_project_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = check_json(capsys, "--aidaptiv-env", str(EXAMPLE / "env_config.yaml"))
    assert code == 0
    assert doc["summary"]["errors"] == doc["summary"]["warnings"] == 0
    assert doc["summary"]["records"] == 12
    assert {f["rule"] for f in doc["findings"]} == {"unknown-key"}  # the `id` column, an info


def test_check_reports_config_findings_with_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = "per_update_total_batch_size: 8 =>per_update_total_batch_size: 6 "
    env = project_copy(tmp_path, exp=change)
    code, doc = check_json(capsys, "--aidaptiv-env", str(env))
    assert code == 1
    first = doc["findings"][0]
    exp = env.parent / "exp_config.yaml"
    assert (first["rule"], first["path"], first["line"]) == (
        "config-invalid", str(exp), line_of(exp, "per_update_total_batch_size"),
    )  # fmt: skip


def test_records_longer_than_max_seq_len(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # cl100k_base counts the 12 example records at 83..125 tokens: 7 are over 100, and
    # their per-record findings drop 18 + 0 + 20 + 4 + 21 + 3 + 10 = 76 trainable tokens.
    env = project_copy(tmp_path, exp="max_seq_len: 2048=>max_seq_len: 100")
    code, doc = check_json(capsys, "--aidaptiv-env", str(env))
    exp = env.parent / "exp_config.yaml"
    summary = [f for f in doc["findings"] if f["path"] == str(exp)]
    assert [(f["rule"], f["line"]) for f in summary] == [("too-long", line_of(exp, "max_seq_len"))]
    assert summary[0]["message"] == (
        "7 of 12 training records are longer than max_seq_len 100 (cl100k_base tokens): "
        "truncation loses 76 trainable tokens and leaves 0 records with none"
    )
    per_record = [f for f in doc["findings"] if f["rule"] == "too-long" and f["path"] != str(exp)]
    assert [f["line"] for f in per_record] == [1, 2, 3, 5, 8, 10, 11]
    assert code == 0  # too-long is a warning: --fail-on warning makes it fail


# --- sftprep stats / report --aidaptiv-env ---------------------------------------------------


def test_stats_counts_train_and_validation_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / "examples" / "qa_flawed.jsonl", tmp_path / "qa_flawed.jsonl")
    env = project_copy(tmp_path, env="val_data_path: null=>val_data_path:\n    - ./val_config.yaml")
    val = (env.parent / "qa_dataset_config.yaml").read_text()
    (env.parent / "val_config.yaml").write_text(
        val.replace("qa_dataset.jsonl", "qa_flawed.jsonl").replace(
            "exp_type: train", "exp_type: eval"
        )
    )
    code = main(["stats", "--json", "--workers", "1", "--aidaptiv-env", str(env)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["train"]["records"] == 12
    assert doc["validation"]["records"] == 9  # qa_flawed: 10 lines, one is not JSON
    assert doc["train"]["over_limit"]["max_tokens"] == 2048  # the project's max_seq_len
    assert doc["project"]["val_data_path"] == [str(env.parent / "val_config.yaml")]


def test_report_prices_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    env = str(EXAMPLE / "env_config.yaml")
    args = ["--aidaptiv-env", env, "--gpu", "rtx-4000-ada", "-o", str(out)]
    code = main(["report", "--quiet", "--workers", "1", *args])
    assert code == 0
    page = out.read_text()
    assert "aiDAPTIV+ project" in page and "run_settings.num_train_epochs" in page
    assert "optimizer steps" in page and "aiDAPTIVCache (SSD)" in page and "host DRAM" in page


def test_report_rows_of_an_offload_fit() -> None:
    from sftprep.estimate.hardware import get_gpu, get_model
    from sftprep.estimate.memory import offload_memory
    from sftprep.report.display import estimate_summary

    memory = offload_memory(
        get_model("llama-3.1-8b"), "full", seq_len=2048, batch_size=8,
        gpu=get_gpu("rtx-4000-ada"), gpus=2, dram_gb=16, cache_gb=320,
    )  # fmt: skip
    rows = {what: (value, how) for what, value, how in estimate_summary({"memory": memory})}
    assert rows["GPU memory"] == ("13.9 GB", "of 20 GB: fits (aiDAPTIV+ offload)")
    assert rows["host DRAM"] == ("39.3 GB", "of 16 GB: short by 23.3 GB (aiDAPTIV+ offload)")
    assert rows["aiDAPTIVCache (SSD)"] == ("119.7 GB", "of 298 GB: fits (aiDAPTIV+ offload)")

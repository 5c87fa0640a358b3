"""aiDAPTIV+ project: ``env_config.yaml``, ``exp_config.yaml`` and the dataset YAMLs.

Phison's launcher takes two files (``phisonai2 --env_config env_config.yaml
--exp_config exp_config.yaml``, aiDAPTIV-Phison/aiDAPTIV
``Examples/Training_Examples/PhisonAI_20GB_8B/README.md``): the env config says where
things are (``path_settings``: ``train_data_path`` and ``val_data_path``, lists of
dataset YAMLs; ``model_name_or_path``; ``nvme_path``, the aiDAPTIVCache mount), the
exp config how to train (``process_settings.num_gpus``; ``run_settings``: batch sizes,
``num_train_epochs``, ``max_seq_len``, ``precision_mode``, ``lora``...). The dataset
YAMLs are read by `sftprep.formats.aidaptiv.load_config`.

`load_project` reads all three kinds and checks them: every finding names the file and
the line of the key (``config-invalid`` for what would fail or train wrongly,
``unknown-key`` for keys Phison's examples do not have, ``config-ignored`` for settings
that do not apply). Relative paths in the env config resolve against the env config's
folder: Phison's examples are launched from that folder, where ``./QA_dataset_config.yaml``
sits.

>>> project = load_project("examples/aidaptiv/env_config.yaml")
>>> project.settings.num_train_epochs, [str(p) for p in project.train_configs]
(3, ['examples/aidaptiv/qa_dataset_config.yaml'])
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sftprep.catalog import make_finding
from sftprep.errors import UsageError
from sftprep.findings import Finding
from sftprep.model import Location

# Allowed kinds of a value; a nested dict is a section. Keys as in Phison's published
# examples (Examples/Training_Examples/PhisonAI_20GB_8B and _70B, read 2026-12-03 at
# commit a7161dc).
NUM = ("int", "float")
TEXT_OR_NULL = ("str", "null")
ENV_SCHEMA: dict[str, Any] = {
    "path_settings": {
        "lora": {
            "lora_weight": TEXT_OR_NULL,
            "lora_optimizer": TEXT_OR_NULL,
            "lora_output_dir": TEXT_OR_NULL,
        },
        "model_name_or_path": ("str",),
        "multi_node_env_path": TEXT_OR_NULL,
        "optimizer_path": TEXT_OR_NULL,
        "train_data_path": ("list", "str"),
        "val_data_path": ("list", "str", "null"),
        "nvme_path": ("str",),
        "output_dir": TEXT_OR_NULL,
        "log_name": TEXT_OR_NULL,
    }
}
EXP_SCHEMA: dict[str, Any] = {
    "process_settings": {
        "num_gpus": ("int",),
        "specify_gpus": ("str", "int"),
        "master_port": ("int",),
        "multi_node_settings": {"enable": ("bool",), "master_addr": ("str",)},
    },
    "run_settings": {
        "task_type": ("str",),
        "task_mode": ("str",),
        "per_device_train_batch_size": ("int",),
        "per_update_total_batch_size": ("int",),
        "num_train_epochs": ("int",),
        "max_iter": ("int",),
        "max_seq_len": ("int",),
        "triton": ("bool",),
        "weight_file_format": TEXT_OR_NULL,
        "from_config": ("bool",),
        "precision_mode": ("int",),
        "enable_save_optimizer_state": ("bool",),
        "model_saver": {
            "max_num_of_saved_model_on_epoch_end": ("int",),
            "enable_save_model_on_iteration": ("bool",),
            "max_num_of_saved_model_on_iteration": ("int",),
            "num_of_iteration_to_save_model": ("int",),
        },
        "lr_scheduler": {"mode": ("int",), "learning_rate": NUM},
        "optimizer": {"beta1": NUM, "beta2": NUM, "eps": NUM, "weight_decay": NUM},
        "early_stop": {
            "enable": ("bool",),
            "min_delta": NUM,
            "patience": ("int",),
            "verbose": ("bool",),
        },
        "lora": {
            "enable_lora": ("bool",),
            "lora_rank": ("int",),
            "lora_alpha": NUM,
            "lora_task_type": ("str",),
            "lora_target_modules": ("list", "str", "null"),
        },
    },
}
# What the estimate reads, all positive integers: (section, key).
REQUIRED_EXP = (
    ("process_settings", "num_gpus"),
    ("run_settings", "per_device_train_batch_size"),
    ("run_settings", "per_update_total_batch_size"),
    ("run_settings", "num_train_epochs"),
    ("run_settings", "max_seq_len"),
)
_KINDS = {bool: "bool", int: "int", float: "float", str: "str", list: "list", type(None): "null"}

Path_ = tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """What the estimate takes from ``exp_config.yaml`` (``None`` where missing or invalid)."""

    num_gpus: int | None = None
    per_device_train_batch_size: int | None = None
    per_update_total_batch_size: int | None = None
    num_train_epochs: int | None = None
    max_seq_len: int | None = None
    max_iter: int | None = None
    precision_mode: int | None = None
    enable_lora: bool = False
    lora_rank: int | None = None
    multi_node: bool = False

    @property
    def accumulation(self) -> int | None:
        """Micro batches per optimizer step on each GPU (when the sizes divide)."""
        per = (self.per_device_train_batch_size or 0) * (self.num_gpus or 0)
        total = self.per_update_total_batch_size
        if not per or not total or total % per:
            return None
        return total // per

    def steps(self, records: int) -> int | None:
        """Optimizer steps per epoch: ceil(records / per_update_total_batch_size)."""
        total = self.per_update_total_batch_size
        return math.ceil(records / total) if total else None


@dataclass
class Project:
    """An aiDAPTIV+ project: its files, its settings and what checking them found."""

    env: Path
    exp: Path
    train_configs: list[Path] = field(default_factory=list)
    val_configs: list[Path] = field(default_factory=list)
    model_name_or_path: str | None = None
    nvme_path: str | None = None
    settings: Settings = field(default_factory=Settings)
    findings: list[Finding] = field(default_factory=list)
    lines: dict[tuple[str, Path_], int] = field(default_factory=dict)

    def where(self, which: str, *keys: str) -> Location:
        """The location of a key (``which`` is ``env`` or ``exp``), for findings and notes."""
        path = self.env if which == "env" else self.exp
        return Location(str(path), self.lines.get((which, keys), 1), None)

    def source(self, which: str, *keys: str) -> str:
        """``exp_config.yaml:17 run_settings.max_seq_len``: where a number came from."""
        return f"{self.where(which, *keys)} {'.'.join(keys)}"

    @property
    def method(self) -> str:
        return "lora" if self.settings.enable_lora else "full"

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "env_config": str(self.env),
            "exp_config": str(self.exp),
            "train_data_path": [str(p) for p in self.train_configs],
            "val_data_path": [str(p) for p in self.val_configs],
            "model_name_or_path": self.model_name_or_path,
            "nvme_path": self.nvme_path,
            "num_gpus": s.num_gpus,
            "per_device_train_batch_size": s.per_device_train_batch_size,
            "per_update_total_batch_size": s.per_update_total_batch_size,
            "num_train_epochs": s.num_train_epochs,
            "max_seq_len": s.max_seq_len,
            "precision_mode": s.precision_mode,
            "enable_lora": s.enable_lora,
            "lora_rank": s.lora_rank,
        }


def load_project(env: str | Path, exp: str | Path | None = None) -> Project:
    """Read and check an aiDAPTIV+ project (``exp`` defaults to ``exp_config.yaml`` beside
    ``env``). Problems in the files are findings; a missing env or exp file is misuse."""
    env_path = Path(env)
    exp_path = Path(exp) if exp is not None else env_path.parent / "exp_config.yaml"
    for path, flag in ((env_path, "--aidaptiv-env"), (exp_path, "--aidaptiv-exp")):
        if not path.is_file():
            raise UsageError(f"{path}: no such file ({flag})")
    project = Project(env_path, exp_path)
    env_data = _read(project, "env", ENV_SCHEMA)
    exp_data = _read(project, "exp", EXP_SCHEMA)
    project.settings = _settings(project, exp_data)
    _paths(project, env_data)
    _lora(project, env_data, exp_data)
    for config in (*project.train_configs, *project.val_configs):
        from sftprep.formats.aidaptiv import load_config

        project.findings.extend(load_config(config)[1])
    return project


# --- reading with lines -----------------------------------------------------------------


def _read(project: Project, which: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The file's data (``{}`` when it cannot be read), its key lines recorded, checked
    against ``schema``."""
    path = project.env if which == "env" else project.exp
    try:
        text = path.read_text(encoding="utf-8-sig")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(str(path), mark.line + 1 if mark is not None else None, None)
        message = f"{path.name} is not valid YAML: {exc}".splitlines()[0]
        project.findings.append(make_finding("config-invalid", message, where))
        return {}
    if not isinstance(data, dict) or node is None:
        where = Location(str(path), 1, None)
        message = f"{path.name} must be a mapping of sections ({', '.join(schema)})"
        project.findings.append(make_finding("config-invalid", message, where))
        return {}
    _record_lines(project, which, node, ())
    project.findings.extend(_check(project, which, data, schema, ()))
    return data


def _record_lines(project: Project, which: str, node: yaml.Node, prefix: Path_) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, str(key.value))
            project.lines[(which, path)] = key.start_mark.line + 1
            _record_lines(project, which, value, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, str(index))
            project.lines[(which, path)] = item.start_mark.line + 1
            _record_lines(project, which, item, path)


def _check(
    project: Project, which: str, data: Mapping[str, Any], schema: Mapping[str, Any], at: Path_
) -> Iterator[Finding]:
    """Unknown or misspelt keys, wrong types, missing sections, recursively."""
    name = "env_config" if which == "env" else "exp_config"
    under = f" under `{'.'.join(at)}`" if at else ""
    for key, value in data.items():
        path = (*at, str(key))
        where = project.where(which, *path)
        spec = schema.get(key)
        if spec is None:
            yield _unknown(str(key), schema, where, f"{name} key{under}")
        elif isinstance(spec, dict):
            if isinstance(value, dict):
                yield from _check(project, which, value, spec, path)
            elif value is not None:
                message = f"`{'.'.join(path)}` must be a section of keys, got {_kind(value)}"
                yield make_finding("config-invalid", message, where, field=".".join(path))
        elif _kind(value) not in spec:
            yield _wrong_type(path, value, spec, where)
    for key, spec in schema.items():
        if isinstance(spec, dict) and not at and key not in data:
            message = f"{name} has no `{key}` section"
            yield make_finding("config-invalid", message, project.where(which), field=key)


def _unknown(key: str, schema: Mapping[str, Any], where: Location, what: str) -> Finding:
    close = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.75)
    if close:
        # A misspelt key is worse than an unknown one: the setting it meant keeps its default.
        message = f"`{key}` is not an aiDAPTIV+ {what}; did you mean `{close[0]}`?"
        return make_finding("config-invalid", message, where, field=key)
    message = (
        f"`{key}` is not an aiDAPTIV+ {what} (not in Phison's published examples); "
        "aiDAPTIV+ may ignore it"
    )
    return make_finding("unknown-key", message, where, field=key)


def _wrong_type(path: Path_, value: Any, spec: tuple[str, ...], where: Location) -> Finding:
    wanted = " or ".join(_WORDS.get(k, k) for k in spec)
    message = f"`{'.'.join(path)}` must be {wanted}, got {_kind(value)} {value!r}"
    if isinstance(value, str) and _number(value) and set(spec) & {"int", "float"}:
        if "e" in value.lower() and "." not in value:
            # PyYAML (YAML 1.1) reads 7e-6 as text; 7.0e-6 is a number.
            message += " (YAML reads it as text: write it with a decimal point, e.g. 7.0e-6)"
        else:
            message += " (a quoted number is text: remove the quotes)"
    return make_finding("config-invalid", message, where, field=".".join(path))


_WORDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "text",
    "list": "a list",
    "null": "null",
}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), "a mapping" if isinstance(value, dict) else type(value).__name__)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- settings and paths -------------------------------------------------------------------


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _settings(project: Project, exp: Mapping[str, Any]) -> Settings:
    values: dict[str, int | None] = {}
    for section, key in REQUIRED_EXP:
        value = _get(exp, section, key)
        if value is None and exp:
            message = f"exp_config has no `{section}.{key}` (sftprep estimates from it)"
            where = project.where("exp", section) if _get(exp, section) else project.where("exp")
            project.findings.append(make_finding("config-invalid", message, where, field=key))
        elif _kind(value) == "int" and value < 1:
            message = f"`{section}.{key}` must be a positive integer, got {value}"
            where = project.where("exp", section, key)
            project.findings.append(make_finding("config-invalid", message, where, field=key))
        values[key] = value if _kind(value) == "int" and value >= 1 else None
    run = _get(exp, "run_settings") or {}
    lora = _get(run, "lora") or {}
    settings = Settings(
        **values,  # type: ignore[arg-type]
        max_iter=_int(run.get("max_iter") if isinstance(run, dict) else None),
        precision_mode=_int(run.get("precision_mode") if isinstance(run, dict) else None),
        enable_lora=lora.get("enable_lora") is True if isinstance(lora, dict) else False,
        lora_rank=_int(lora.get("lora_rank") if isinstance(lora, dict) else None),
        multi_node=_get(exp, "process_settings", "multi_node_settings", "enable") is True,
    )
    _batch_sizes(project, settings, exp)
    return settings


def _int(value: Any) -> int | None:
    return value if _kind(value) == "int" else None


def _batch_sizes(project: Project, s: Settings, exp: Mapping[str, Any]) -> None:
    per, gpus, total = s.per_device_train_batch_size, s.num_gpus, s.per_update_total_batch_size
    if per and gpus and total and total % (per * gpus):
        message = (
            f"`run_settings.per_update_total_batch_size` {total} is not a multiple of "
            f"per_device_train_batch_size x num_gpus = {per} x {gpus} = {per * gpus}: "
            "no whole number of micro batches makes one update"
        )
        where = project.where("exp", "run_settings", "per_update_total_batch_size")
        project.findings.append(
            make_finding("config-invalid", message, where, field="per_update_total_batch_size")
        )
    chosen = _get(exp, "process_settings", "specify_gpus")
    if gpus and isinstance(chosen, (str, int)) and not isinstance(chosen, bool):
        ids = [part for part in str(chosen).split(",") if part.strip()]
        if ids and len(ids) != gpus:
            message = (
                f"`process_settings.specify_gpus` {chosen!r} names {len(ids)} GPU(s) but "
                f"num_gpus is {gpus}"
            )
            where = project.where("exp", "process_settings", "specify_gpus")
            project.findings.append(
                make_finding("config-invalid", message, where, field="specify_gpus")
            )


def _paths(project: Project, env: Mapping[str, Any]) -> None:
    settings = _get(env, "path_settings")
    if not isinstance(settings, dict):
        return
    model = settings.get("model_name_or_path")
    project.model_name_or_path = model if isinstance(model, str) else None
    nvme = settings.get("nvme_path")
    project.nvme_path = nvme if isinstance(nvme, str) else None
    for key, out in (
        ("train_data_path", project.train_configs),
        ("val_data_path", project.val_configs),
    ):
        out.extend(_dataset_configs(project, key, settings.get(key)))
    if (
        "train_data_path" in settings
        and not project.train_configs
        and not any(f.field == "train_data_path" for f in project.findings)
    ):
        where = project.where("env", "path_settings", "train_data_path")
        message = "`path_settings.train_data_path` names no dataset YAML"
        project.findings.append(
            make_finding("config-invalid", message, where, field="train_data_path")
        )
    if "train_data_path" not in settings:
        where = project.where("env", "path_settings")
        message = "env_config has no `path_settings.train_data_path` (the dataset YAMLs)"
        project.findings.append(
            make_finding("config-invalid", message, where, field="train_data_path")
        )


def _dataset_configs(project: Project, key: str, value: Any) -> Iterator[Path]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for index, item in enumerate(items):
        keys = ("path_settings", key) + (() if isinstance(value, str) else (str(index),))
        where = project.where("env", *keys)
        if not isinstance(item, str) or not item:
            message = f"`path_settings.{key}` entries must be paths of dataset YAMLs, got {item!r}"
            project.findings.append(make_finding("config-invalid", message, where, field=key))
            continue
        path = resolve(item, project.env)
        if not path.is_file():
            message = f"`path_settings.{key}` names {item!r}, which does not exist ({path})"
            project.findings.append(make_finding("config-invalid", message, where, field=key))
            continue
        yield path


def resolve(path: str, env: Path) -> Path:
    """A path of the env config: absolute as is, else relative to the env config's folder
    (the folder Phison's examples launch ``phisonai2`` from)."""
    given = Path(path).expanduser()
    return given if given.is_absolute() else env.parent / given


def _lora(project: Project, env: Mapping[str, Any], exp: Mapping[str, Any]) -> None:
    lora = _get(exp, "run_settings", "lora")
    if not isinstance(lora, dict):
        return
    enabled = lora.get("enable_lora") is True
    if enabled:
        rank = lora.get("lora_rank")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            message = (
                "LoRA is enabled but `run_settings.lora.lora_rank` is "
                f"{rank!r}, not a positive integer"
            )
            key = "lora_rank" if "lora_rank" in lora else "enable_lora"
            where = project.where("exp", "run_settings", "lora", key)
            project.findings.append(make_finding("config-invalid", message, where, field=key))
        return
    # LoRA off: the env's LoRA paths are only read "when lora: true" (Phison's comments).
    paths = _get(env, "path_settings", "lora")
    for key, value in (paths or {}).items() if isinstance(paths, dict) else ():
        if isinstance(value, str) and value:
            message = (
                f"`path_settings.lora.{key}` is set ({value!r}) but "
                "`run_settings.lora.enable_lora` is false: it is not used"
            )
            where = project.where("env", "path_settings", "lora", str(key))
            project.findings.append(make_finding("config-ignored", message, where, field=key))

"""Estimate an aiDAPTIV+ project with its own settings: epochs, batch sizes, GPUs, LoRA.

Optimizer steps = ceil(training records / ``per_update_total_batch_size``) per epoch x
``num_train_epochs``; tokens per step = the epoch's tokens (records cut at
``max_seq_len``) / steps per epoch; hours = trained tokens / the published aiDAPTIV+
rate for the model, GPU and GPU count (`throughput.PUBLISHED`), else the FLOPs model.
Memory is fitted with aiDAPTIV+ offload (GPU, host DRAM, aiDAPTIVCache) for the
longest micro batch the data can form: ``per_device_train_batch_size`` records padded
to the longest record (cut at ``max_seq_len``). Every setting used names the file and
line it came from.

>>> from sftprep.formats.aidaptiv_project import load_project
>>> p = load_project("examples/aidaptiv/env_config.yaml")
>>> estimate_project(p, [300] * 12, [200] * 12, gpu="rtx-4000-ada").training["optimizer_steps"]
6
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from sftprep import units
from sftprep.errors import UsageError
from sftprep.estimate import hardware, memory, throughput
from sftprep.estimate.core import Estimate, estimate
from sftprep.formats.aidaptiv_project import Project

_SIZE = re.compile(r"(\d+(?:\.\d+)?)[bB](?![a-zA-Z])")


def model_from_path(path: str | None) -> str | None:
    """The known model a ``model_name_or_path`` names (its last part), else its size.

    >>> model_from_path("/home/{username}/workspace/models/Meta-Llama-3.1-8B-Instruct")
    'llama-3.1-8b'
    >>> model_from_path("org/MyModel-13B-chat"), model_from_path("gpt2")
    ('13B', None)
    """
    if not path:
        return None
    name = PurePath(path.rstrip("/")).name.lower().removeprefix("meta-")
    for candidate in (name, name.removesuffix("-instruct")):
        key = hardware.ALIASES.get(candidate, candidate)
        if key in hardware.MODELS:
            return key
    size = _SIZE.search(name)
    return f"{size.group(1)}B" if size else None


def estimate_project(
    project: Project,
    lengths: Sequence[int],
    trainable: Sequence[int],
    *,
    validation_records: int | None = None,
    model: str | None = None,
    gpu: str | None = None,
    gpus: int | None = None,
    epochs: int | str | None = None,
    method: str | None = None,
    throughput_: float | None = None,
    mfu: float | None = None,
    offload: bool = True,
    dram_gb: float | None = None,
    cache_gb: float | None = None,
) -> Estimate:
    """The estimate of ``project`` trained on records of ``lengths`` tokens.

    Options given here (the CLI's flags) win over the configs; the assumptions say which.
    """
    s = project.settings
    notes: list[str] = []
    if gpu is None and throughput_ is None:
        rated = ", ".join(sorted({row.gpu for row in throughput.PUBLISHED}))
        raise UsageError(
            f"give --gpu, the workstation's GPU (Phison publishes aiDAPTIV+ rates for {rated}; "
            "others use the FLOPs model), or --throughput TOKENS/S"
        )
    name = model or model_from_path(project.model_name_or_path)
    if name is None:
        raise UsageError(
            f"cannot tell the model from model_name_or_path {project.model_name_or_path!r}; "
            "give --model (llama-3.1-8b, ... or a size like 8B)"
        )
    shape = hardware.get_model(name)
    notes.append(f"model {shape.name}: {name_source(project, model)}")
    n_epochs = _setting(epochs, s.num_train_epochs, project, "num_train_epochs", notes)
    seq = _need(s.max_seq_len, "run_settings.max_seq_len")
    batch = _need(s.per_device_train_batch_size, "run_settings.per_device_train_batch_size")
    n_gpus = int(_setting(gpus, s.num_gpus, project, "num_gpus", notes, "process_settings"))
    how = method or project.method
    notes.append(_method_note(project, how, method))
    longest = max((min(t, seq) for t in lengths), default=0) or seq
    capacity = _capacity(shape, dram_gb, cache_gb, notes) if offload else None
    est = estimate(
        lengths, trainable=trainable, model=shape.name, epochs=n_epochs, gpu=gpu, gpus=n_gpus,
        method=how, throughput=throughput_, mfu=mfu, max_seq_len=seq, batch_size=batch,
        offload=capacity, lora_rank=s.lora_rank if how == "lora" else None,
        memory_seq_len=longest,
    )  # fmt: skip
    est.training = _training(project, est, lengths, trainable, seq, int(n_epochs))
    est.training["validation_records"] = validation_records
    est.training["model"] = {"name": shape.name, "from": name_source(project, model)}
    where = project.source("exp", "run_settings", "per_device_train_batch_size")
    notes.append(
        f"memory fitted for the longest micro batch this data forms: {batch} records "
        f"(per_device_train_batch_size, {where}) padded to the longest record, "
        f"{longest:,} tokens (cut at max_seq_len {seq:,})"
    )
    notes.extend(_rate_notes(est, seq))
    notes.extend(_partial_step(len(lengths), s.per_update_total_batch_size))
    notes.extend(_not_modelled(project))
    est.assumptions[:0] = notes
    return est


def name_source(project: Project, model: str | None) -> str:
    """Where the model came from: ``--model``, or the env config's line."""
    if model:
        return "--model"
    return f"{project.source('env', 'path_settings', 'model_name_or_path')}"


def _need(value: int | None, key: str) -> int:
    if value is None:
        raise UsageError(f"the exp config has no valid `{key}`; run sftprep check --aidaptiv-env")
    return value


def _setting(
    given: int | str | None,
    configured: int | None,
    project: Project,
    key: str,
    notes: list[str],
    section: str = "run_settings",
) -> int | str:
    """A flag wins over the config; the note says where the value came from."""
    where = project.source("exp", section, key)
    if given is not None and given != "auto":
        if configured is not None and str(given) != str(configured):
            notes.append(f"{key} {given} (given) instead of {configured} ({where})")
        return given
    if configured is None:
        raise UsageError(f"the exp config has no valid `{section}.{key}`; give it or fix it")
    notes.append(f"{key} {configured}: {where}")
    return configured


def _method_note(project: Project, how: str, given: str | None) -> str:
    where = project.source("exp", "run_settings", "lora", "enable_lora")
    configured = project.method
    if given and given != configured:
        return f"method {given} (given) instead of {configured} ({where})"
    rank = f", lora_rank {project.settings.lora_rank}" if how == "lora" else ""
    return f"method {how}: enable_lora {str(configured == 'lora').lower()} ({where}){rank}"


def _capacity(
    shape: hardware.ModelShape, dram: float | None, cache: float | None, notes: list[str]
) -> tuple[float, float]:
    advice = memory.recommended(shape.params)
    if (dram is None or cache is None) and advice is None:
        raise UsageError("give --dram-gb and --cache-gb (no published recommendation this size)")
    if dram is None or cache is None:
        assert advice is not None
        dram = advice[0] if dram is None else dram
        cache = advice[1] if cache is None else cache
        notes.append(
            f"host DRAM {units.gigabytes(dram)} and aiDAPTIVCache {units.gigabytes(cache)}: "
            "Phison's recommendation "
            f"for a {shape.params / 1e9:.3g}B model ({memory.AIDAPTIV_CONFIG_SOURCE}, "
            "Model Size Requirements), as --dram-gb / --cache-gb were not given"
        )
    return dram, cache


def _training(
    project: Project,
    est: Estimate,
    lengths: Sequence[int],
    trainable: Sequence[int],
    seq: int,
    epochs: int,
) -> dict[str, Any]:
    s = project.settings
    n = len(lengths)
    total = _need(s.per_update_total_batch_size, "run_settings.per_update_total_batch_size")
    per_epoch = math.ceil(n / total)
    tokens_epoch = sum(min(t, seq) for t in lengths)
    over = [(t, k) for t, k in zip(lengths, trainable, strict=True) if t > seq]
    return {
        "records": n,
        "epochs": epochs,
        "per_device_train_batch_size": s.per_device_train_batch_size,
        "num_gpus": est.gpu["gpus"] if est.gpu else s.num_gpus,
        "per_update_total_batch_size": total,
        "gradient_accumulation": s.accumulation,
        "steps_per_epoch": per_epoch,
        "optimizer_steps": per_epoch * epochs,
        "tokens_per_epoch": tokens_epoch,
        "tokens_per_step": round(tokens_epoch / per_epoch, 1) if per_epoch else 0,
        "trained_tokens": tokens_epoch * epochs,
        "max_seq_len": seq,
        "records_over_max_seq_len": len(over),
        # the sweep's assumption: trainable tokens sit at the end, so a cut loses them first
        "trainable_tokens_lost": sum(min(k, t - seq) for t, k in over),
        "hours": est.gpu["hours"] if est.gpu else None,
        "sources": {
            "epochs": project.source("exp", "run_settings", "num_train_epochs"),
            "per_update_total_batch_size": project.source(
                "exp", "run_settings", "per_update_total_batch_size"
            ),
            "max_seq_len": project.source("exp", "run_settings", "max_seq_len"),
            "per_device_train_batch_size": project.source(
                "exp", "run_settings", "per_device_train_batch_size"
            ),
            "num_gpus": project.source("exp", "process_settings", "num_gpus"),
        },
        "formula": "optimizer_steps = ceil(records / per_update_total_batch_size) x epochs; "
        "tokens_per_step = tokens_per_epoch / steps_per_epoch; hours = trained_tokens / "
        "tokens_per_s / 3600",
    }


def _not_modelled(project: Project) -> list[str]:
    """Settings the estimate reads but does not turn into numbers, each with its line."""
    s, out = project.settings, []
    if s.precision_mode is not None:
        where = project.source("exp", "run_settings", "precision_mode")
        out.append(
            f"precision_mode {s.precision_mode} ({where}) is not interpreted (Phison does not "
            "document its values): memory assumes BF16 mixed precision with FP32 AdamW"
        )
    if s.max_iter is not None and s.max_iter > 0:
        where = project.source("exp", "run_settings", "max_iter")
        out.append(f"max_iter {s.max_iter} ({where}) is not applied: aiDAPTIV+ may stop sooner")
    if s.multi_node:
        where = project.source("exp", "process_settings", "multi_node_settings", "enable")
        out.append(f"multi-node training is on ({where}): the estimate is for one node")
    return out


def _partial_step(records: int, total: int | None) -> list[str]:
    """Say when an update is not full: the steps count it (ceil), a trainer may drop it."""
    if not total or not records % total:
        return []
    if records < total:
        return [
            f"{records:,} training records are fewer than per_update_total_batch_size "
            f"{total:,}: each epoch is one optimizer step on a partial batch"
        ]
    return [
        f"the last optimizer step of each epoch takes the remaining {records % total:,} "
        f"records (ceil); a trainer that drops a partial batch makes one step fewer"
    ]


def _rate_notes(est: Estimate, seq: int) -> list[str]:
    gpu = est.gpu
    if gpu is None or not gpu["throughput_source"].startswith("published"):
        return []
    row = throughput.published(gpu["model"], gpu["gpu"], gpu["gpus"], gpu["method"])
    if row is None or row.seq_len == seq:
        return []
    return [
        f"the published rate was measured with max_seq_len {row.seq_len:,} on Dolly "
        f"creative-writing data; this project's max_seq_len is {seq:,}. max_seq_len only caps "
        "records, so the rate (tokens/s) is used as published: it holds while this data's "
        "records are about as long as that data's; longer records cost more attention per "
        "token (slower)"
    ]

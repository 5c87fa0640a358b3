"""Own-GPU training time: the throughput (and where it came from) and the hours it gives.

Throughput, in order: the user's measurement, a published row for exactly this
model, GPU, count and method (`throughput.PUBLISHED`), else the FLOPs model.

>>> from sftprep.estimate.hardware import get_gpu, get_model
>>> doc = gpu_time(get_model("llama-3.1-8b"), get_gpu("rtx-6000-ada"), trained_tokens=2_151 * 3600)
>>> doc["tokens_per_s"], doc["hours"]
(2151.0, 1.0)
"""

from __future__ import annotations

from typing import Any

from sftprep.errors import UsageError
from sftprep.estimate import hardware, throughput
from sftprep.estimate.hardware import Gpu, ModelShape


def gpu_time(
    shape: ModelShape | None,
    gpu: Gpu | None,
    *,
    trained_tokens: int,
    gpus: int = 1,
    method: str = "full",
    measured: float | None = None,
    mfu: float | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The ``gpu`` section: hours = trained tokens / tokens per second / 3600."""
    notes = notes if notes is not None else []
    tps, source = _throughput(shape, gpu, gpus, method, measured, mfu, notes)
    tps = round(tps, 1) or tps  # the rate shown is the rate used (a tiny rate stays > 0)
    rate = f"{tps:,.1f}".removesuffix(".0")
    notes.append(f"hours = trained tokens / {rate} tokens/s / 3600 ({source})")
    return {
        "gpu": gpu.name if gpu else None,
        "gpus": gpus,
        "model": shape.name if shape else None,
        "method": method,
        "tokens_per_s": tps,
        "throughput_source": source,
        "hours": trained_tokens / tps / 3600,  # unrounded: exactly this formula
    }


def _throughput(
    shape: ModelShape | None,
    gpu: Gpu | None,
    gpus: int,
    method: str,
    measured: float | None,
    mfu: float | None,
    notes: list[str],
) -> tuple[float, str]:
    if measured is not None:
        _ignored_mfu(mfu, "the measured throughput", notes)
        return float(measured), "measured (--throughput)"
    if shape is not None and gpu is not None:
        row = throughput.published(shape.name, gpu.name, gpus, method)
        if row is not None:
            _ignored_mfu(mfu, "the published throughput", notes)
            return row.tokens_per_s, row.describe()
        _note_unpublished(shape.name, gpu.name, gpus, method, notes)
        return _flops_model(shape, gpu, gpus, method, mfu, notes)
    known = ", ".join(sorted(hardware.GPUS))
    raise UsageError(f"give --gpu (known: {known}) or --throughput TOKENS/S")


def _ignored_mfu(mfu: float | None, used: str, notes: list[str]) -> None:
    if mfu is not None:
        notes.append(f"--mfu {mfu:g} not used: {used} needs no MFU")


def _note_unpublished(model: str, gpu: str, gpus: int, method: str, notes: list[str]) -> None:
    """Say why a model and GPU with published rows still fall back to the FLOPs model."""
    rows = [r for r in throughput.PUBLISHED if (r.model, r.gpu) == (model, gpu)]
    if rows:
        have = ", ".join(sorted({f"{r.gpus} GPU(s) {r.method}" for r in rows}))
        notes.append(
            f"no published row for {model} on {gpus} x {gpu} with {method} (published: "
            f"{have}); the FLOPs model is used instead"
        )


def _flops_model(
    shape: ModelShape, gpu: Gpu, gpus: int, method: str, mfu: float | None, notes: list[str]
) -> tuple[float, str]:
    use_mfu = mfu if mfu is not None else throughput.DEFAULT_MFU
    tps = throughput.flops_tokens_per_s(
        shape.params, method, tflops=gpu.tflops_bf16, gpus=gpus, mfu=use_mfu
    )
    k = throughput.FLOPS_PER_PARAM_TOKEN[method]
    source = (
        f"FLOPs model: {gpu.tflops_bf16:g} TFLOPs BF16 ({gpu.source}, {gpu.date}) x {gpus} "
        f"x MFU {use_mfu:g} / ({k:g} x {shape.params:.3g} params)"
    )
    if method == "qlora":
        source += f" / QLoRA overhead {throughput.QLORA_OVERHEAD} ({throughput.QLORA_SOURCE})"
    notes.append(f"MFU {use_mfu:g}: {throughput.MFU_SOURCE if mfu is None else 'given'}")
    notes.append("FLOPs model ignores attention FLOPs and gradient-checkpointing recompute")
    return tps, source

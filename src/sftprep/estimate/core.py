"""`estimate()`: API cost, GPU time, padding vs packing, truncation sweep, memory.

Every number carries its source; what had to be assumed is listed in
``Estimate.assumptions``. ``Estimate.to_dict()`` is the JSON document (sections
that do not apply are ``None``).

>>> e = estimate([1200, 800, 3000] * 20, provider="openai", model="gpt-4o-mini-2024-07-18")
>>> e.api["epochs"], e.api["billed_tokens"], e.api["cost_usd"]
(3, 300000, 0.9)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sftprep import units
from sftprep.errors import UsageError
from sftprep.estimate import hardware, packing
from sftprep.estimate import memory as memory_model
from sftprep.estimate import sweep as sweep_model
from sftprep.estimate.api import api_cost
from sftprep.estimate.gputime import gpu_time
from sftprep.estimate.prices import PRICES, Price, default_epochs
from sftprep.estimate.throughput import METHODS
from sftprep.views import show

GPU_ALONE = (
    "the aiDAPTIV+ throughput is measured with its flash offload (aiDAPTIVCache) "
    "extending GPU memory"
)
# transformers.TrainingArguments(num_train_epochs=3.0): what a local trainer does unless told.
LOCAL_EPOCHS = 3
NO_TRAINABLE = (
    "no trainable tokens in {n:,} records: training would learn nothing, so no cost, "
    "time or max_seq_len is estimated (are there assistant answers? is this RL prompt data?)"
)


@dataclass
class Estimate:
    """The result of `estimate`; ``to_dict()`` is the documented JSON shape."""

    tokens: dict[str, Any]
    api: dict[str, Any] | None = None
    gpu: dict[str, Any] | None = None
    packing: dict[str, Any] | None = None
    sweep: list[dict[str, Any]] | None = None
    memory: dict[str, Any] | None = None
    assumptions: list[str] = field(default_factory=list)
    recommended_max_seq_len: int | None = None
    problem: str | None = None  # why no cost, time or recommendation is given
    training: dict[str, Any] | None = None  # an aiDAPTIV+ project's steps (estimate/project.py)

    def to_dict(self) -> dict[str, Any]:
        doc = {
            "problem": self.problem,
            "tokens": self.tokens,
            "api": self.api,
            "gpu": self.gpu,
            "packing": self.packing,
            "sweep": self.sweep,
            "memory": self.memory,
            "assumptions": list(self.assumptions),
        }
        if self.training is not None:  # only for a project: other documents keep their shape
            doc["training"] = self.training
        return doc

    def _repr_html_(self) -> str:
        return str(show("html", self))

    def __rich__(self) -> Any:
        return show("rich", self)


def estimate(
    lengths: Sequence[int],
    *,
    trainable: Sequence[int] | None = None,
    provider: str | None = None,
    model: str | None = None,
    epochs: int | str = "auto",
    gpu: str | None = None,
    gpus: int = 1,
    method: str = "full",
    throughput: float | None = None,
    mfu: float | None = None,
    max_seq_len: int | None = None,
    batch_size: int | None = None,
    prices: Mapping[str, Price] | None = None,
    gradient_checkpointing: bool = False,
    max_tokens: int | None = None,
    offload: tuple[float, float] | None = None,
    lora_rank: int | None = None,
    memory_seq_len: int | None = None,
) -> Estimate:
    """Estimate cost, time and memory for training on records of ``lengths`` tokens.

    ``model`` names a hosted model when ``provider`` is given or the model is in the
    price table, else a local model (a known name or a parameter count like ``8B``).
    ``max_tokens`` is accepted as another name for ``max_seq_len``.
    ``offload=(dram_gb, cache_gb)`` fits memory with aiDAPTIV+ offload (GPU, host DRAM,
    aiDAPTIVCache); ``memory_seq_len`` is the padded length of the micro batch it fits
    (default ``max_seq_len``). ``epochs="auto"`` is OpenAI's rule for a hosted model and
    Hugging Face's default of 3 for a local run.

    Records without a single trainable token between them teach nothing: then no
    cost, time or recommendation is given, and ``problem`` says why.
    """
    lengths, train = _counts(lengths, trainable)
    seq = max_seq_len if max_seq_len is not None else max_tokens
    _validate(gpus=gpus, max_seq_len=seq, batch_size=batch_size, throughput=throughput, mfu=mfu)
    _check_method(method)
    table = prices if prices is not None else PRICES
    notes = [] if trainable is not None else ["trainable tokens unknown: all tokens counted"]
    is_api = provider is not None or (model is not None and model in table)
    local = not is_api and (model is not None or throughput is not None)
    n_epochs = _epochs(epochs, len(lengths), notes, local=local)
    est = Estimate(tokens=_tokens(lengths, train, seq, n_epochs, notes, is_api), assumptions=notes)
    if lengths and trainable is not None and not any(train):
        est.problem = NO_TRAINABLE.format(n=len(lengths))
        return est
    if is_api:
        est.api = api_cost(
            lengths, provider=provider or _provider_of(model, table), model=model,
            epochs=n_epochs, table=table, notes=notes,
        )  # fmt: skip
        est.tokens["trained_tokens"] = est.api["billed_tokens"]
    shape = None if is_api or model is None else _local_model(model, table)
    gpu_row = hardware.get_gpu(gpu) if gpu is not None else None
    if shape is not None or throughput is not None:
        est.gpu = gpu_time(
            shape, gpu_row, trained_tokens=est.tokens["trained_tokens"], gpus=gpus,
            method=method, measured=throughput, mfu=mfu, notes=notes,
        )  # fmt: skip
    elif gpu_row is not None:
        raise UsageError("--gpu needs a local --model (a known name or a size like 8B)")
    if lengths:
        _add_sweep(est, lengths, train, batch_size=batch_size, epochs=n_epochs)
    if seq and batch_size and lengths:
        _add_packing(est, lengths, max_seq_len=seq, batch_size=batch_size)
    if shape is not None:
        mem_seq = memory_seq_len or seq
        _add_memory(
            est, shape, method, mem_seq, batch_size or 1, gpu_row, gpus, gradient_checkpointing,
            lora_rank,
        )  # fmt: skip
        if offload is not None:
            _add_offload(est, shape, method, gpu_row, gpus, offload, lora_rank)
    return est


def _provider_of(model: str | None, table: Mapping[str, Price]) -> str:
    """The provider of ``model``'s price row (a --prices row may name another), else openai."""
    row = table.get(model) if model is not None else None
    return row.provider if row is not None else "openai"


def _local_model(model: str, table: Mapping[str, Price]) -> hardware.ModelShape:
    """A local model's shape; an unknown name's error also lists the hosted models."""
    try:
        return hardware.get_model(model)
    except UsageError as exc:
        hosted = ", ".join(sorted(table))
        raise UsageError(f"{exc}; hosted (for API cost): {hosted}") from None


def _counts(lengths: Sequence[int], trainable: Sequence[int] | None) -> tuple[list[int], list[int]]:
    total = [int(n) for n in lengths]
    train = list(total) if trainable is None else [int(n) for n in trainable]
    if len(train) != len(total):
        raise UsageError("trainable must have one count per record, like lengths")
    if any(n < 0 for n in total) or any(n < 0 for n in train):
        raise UsageError("token counts must be >= 0")
    return total, train


def _validate(
    *,
    gpus: int,
    max_seq_len: int | None,
    batch_size: int | None,
    throughput: float | None,
    mfu: float | None,
) -> None:
    for name, value in (("gpus", gpus), ("max_seq_len", max_seq_len), ("batch_size", batch_size)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be a positive integer, not {value}")
    if throughput is not None and throughput <= 0:
        raise UsageError("throughput must be a positive number of tokens/s")
    if mfu is not None and not 0 < mfu <= 1:
        raise UsageError("mfu must be in (0, 1], e.g. 0.35")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; known: {', '.join(METHODS)}")


def _epochs(epochs: int | str, n: int, notes: list[str], *, local: bool = False) -> int:
    if epochs == "auto" and local:
        notes.append(
            f"epochs {LOCAL_EPOCHS}: Hugging Face TrainingArguments' default num_train_epochs "
            "(a local run; give --epochs, or an aiDAPTIV+ exp_config, for yours)"
        )
        return LOCAL_EPOCHS
    if epochs == "auto":
        value = default_epochs(n)
        notes.append(
            f"epochs {value}: OpenAI's default rule (target 3, n x epochs kept in "
            f"[100, 25,000], epochs in [1, 25]) for {n:,} examples"
        )
        return value
    try:
        value = int(epochs)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or (isinstance(epochs, float) and epochs != value):
        raise UsageError(f"epochs must be 'auto' or a positive integer, not {epochs!r}")
    return value


def _tokens(
    lengths: list[int],
    train: list[int],
    seq: int | None,
    epochs: int,
    notes: list[str],
    is_api: bool = False,
) -> dict[str, Any]:
    """``total``, ``trainable`` and ``trained_tokens`` = tokens per epoch x epochs."""
    per_epoch = sum(min(t, seq) for t in lengths) if seq else sum(lengths)
    if seq:
        cut = sum(1 for t in lengths if t > seq)
        use = "packing and memory (the API bills to its own cap)" if is_api else "training time"
        notes.append(
            f"records cut to max_seq_len {seq:,} tokens for {use}: {cut:,} of "
            f"{len(lengths):,} records are longer"
        )
    return {"total": sum(lengths), "trainable": sum(train), "trained_tokens": per_epoch * epochs}


def _add_sweep(
    est: Estimate, lengths: list[int], train: list[int], *, batch_size: int | None, epochs: int
) -> None:
    tps = est.gpu["tokens_per_s"] if est.gpu else None
    est.sweep = sweep_model.sweep(
        lengths, train, batch_size=batch_size, epochs=epochs, tokens_per_s=tps
    )
    est.recommended_max_seq_len = next(
        (int(row["max_seq_len"]) for row in est.sweep if row["recommended"]), None
    )
    est.assumptions.append(
        "sweep: truncation keeps each record's first max_seq_len tokens; the trainable "
        "tokens are taken to sit at the end, so a cut loses min(trainable, cut) of them"
    )
    est.assumptions.append(
        f"recommended max_seq_len {est.recommended_max_seq_len:,}: the shortest swept "
        "length keeping >= 99% of records whole and losing <= 0.5% of trainable tokens"
    )


def _add_packing(est: Estimate, lengths: list[int], *, max_seq_len: int, batch_size: int) -> None:
    est.packing = packing.simulate(lengths, max_seq_len=max_seq_len, batch_size=batch_size)
    est.assumptions.append(
        "padding: dataset order, each batch padded to its longest record; packing: "
        "best-fit decreasing into max_seq_len rows, each row padded to max_seq_len"
    )


def _add_memory(
    est: Estimate,
    shape: hardware.ModelShape,
    method: str,
    seq: int | None,
    batch_size: int,
    gpu: hardware.Gpu | None,
    gpus: int,
    gradient_checkpointing: bool,
    lora_rank: int | None = None,
) -> None:
    seq = seq or est.recommended_max_seq_len or 2048
    est.memory = memory_model.memory(
        shape, method, seq_len=seq, batch_size=batch_size, gpu=gpu, gpus=gpus,
        gradient_checkpointing=gradient_checkpointing,
        lora_rank=lora_rank or memory_model.LORA_RANK,
    )  # fmt: skip
    est.assumptions.append(
        f"memory at seq len {seq:,} x batch {batch_size} per GPU: mixed-precision AdamW "
        "(16 B/trainable param), activations 34·hidden B per token per layer (FlashAttention; "
        "2·hidden with gradient checkpointing), FP32 logits; full fine-tuning shards its "
        "states over the GPUs (FSDP/ZeRO-3), LoRA/QLoRA keep a copy per GPU; no framework "
        "overhead or fragmentation"
    )
    published = est.gpu is not None and "aiDAPTIV" in est.gpu["throughput_source"]
    if published and est.memory["fits"] is False:
        est.assumptions.append(
            f"{GPU_ALONE}; the memory fit above is for GPU memory alone (--cache-gb and "
            "--dram-gb, or --aidaptiv-env, fit it with the offload)"
        )


def _add_offload(
    est: Estimate,
    shape: hardware.ModelShape,
    method: str,
    gpu: hardware.Gpu | None,
    gpus: int,
    offload: tuple[float, float],
    lora_rank: int | None,
) -> None:
    """Replace the plain memory fit with the aiDAPTIV+ one; the plain fit stays beside it
    (``without_offload``), so the shortfall offload covers is visible."""
    plain = est.memory or {}
    dram, cache = offload
    est.assumptions[:] = [a for a in est.assumptions if not a.startswith(GPU_ALONE)]
    est.memory = memory_model.offload_memory(
        shape, method, seq_len=plain.get("seq_len", 2048), batch_size=plain.get("batch_size", 1),
        gpu=gpu, gpus=gpus, dram_gb=dram, cache_gb=cache,
        lora_rank=lora_rank or memory_model.LORA_RANK,
    )  # fmt: skip
    est.memory["without_offload"] = {
        key: plain.get(key) for key in ("total_gb", "gpu_memory_gb", "fits", "short_by_gb")
    }
    est.assumptions.append(
        f"memory with aiDAPTIV+ offload ({units.gigabytes(dram)} DRAM, "
        f"{units.gigabytes(cache)} aiDAPTIVCache): "
        "ZeRO-Infinity placement (arXiv:2104.07857), as Phison publishes none: model states "
        "(BF16 weights + gradients, FP32 master + Adam m, v: 16 B/param; LoRA: the frozen "
        "BF16 weights) on the SSD; in DRAM each GPU's activation checkpoints (2·hidden B per "
        "token per layer) and a double-buffered unit (the largest of a decoder layer and the "
        "vocabulary matrix) at 16 B/param; on each GPU that unit's BF16 weights + gradients "
        "double-buffered, one layer's activations (34·hidden B per token), FP32 logits; "
        "SSD GB decimal, DRAM and GPU GB binary; no framework overhead"
    )
    without = est.memory["without_offload"]
    if without["fits"] is False:
        est.assumptions.append(
            f"without offload ({units.gigabytes(plain['total_gb'])} per GPU) it would not fit "
            f"{units.gigabytes(without['gpu_memory_gb'])}: "
            f"short by {units.gigabytes(without['short_by_gb'])}"
        )

"""GPU memory for one training step: weights, gradients, AdamW state, activations.

Bytes per parameter (mixed-precision AdamW, ZeRO paper, Rajbhandari et al. 2019,
https://arxiv.org/abs/1910.02054 section 3.1): BF16 weights 2 + BF16 gradients 2 +
FP32 master weights, momentum and variance 4 + 4 + 4 = 16. LoRA: frozen BF16
weights (2/param) plus 16 bytes per *adapter* parameter. QLoRA: NF4 weights with
double-quantised constants, 4.127 bits/param (Dettmers et al. 2023,
https://arxiv.org/abs/2305.14314 section 3), plus 16 bytes per adapter parameter.

Activations per layer, per token, BF16, with FlashAttention (no s² score matrix):
``34 x hidden`` bytes (Korthikanti et al. 2022, https://arxiv.org/abs/2205.05198,
eq. 1 without the ``5·a·s/h`` attention-score term). With gradient checkpointing
only each layer's input is kept (``2 x hidden`` bytes) plus one layer's full
activations during its recomputation. Logits: ``vocab x 4`` bytes per token (the
FP32 upcast for the cross-entropy loss). With ``gpus > 1`` full fine-tuning shards
weights, gradients and optimizer state evenly (FSDP / ZeRO-3), so the run fits when the
total fits the GPUs' memory together; LoRA and QLoRA are taken as data-parallel, each
GPU holding the whole (frozen) model. The batch is per GPU.

>>> from sftprep.estimate.hardware import get_model
>>> m = memory(get_model("llama-3.1-8b"), "full", seq_len=2048, batch_size=1)
>>> m["weights_gb"], m["optimizer_gb"]
(14.96, 89.74)
"""

from __future__ import annotations

from typing import Any

from sftprep.estimate.hardware import Gpu, ModelShape

GIB = 2**30
BYTES_WEIGHTS = {"full": 2.0, "lora": 2.0, "qlora": 4.127 / 8}
BYTES_GRADS = 2.0
BYTES_ADAM = 12.0  # FP32 master copy + m + v
ACT_BYTES_PER_TOKEN_LAYER = 34  # x hidden
CHECKPOINT_BYTES_PER_TOKEN_LAYER = 2  # x hidden: the saved layer input
LOGIT_BYTES = 4
LORA_RANK = 16
# For shapes guessed from a bare parameter count: r=16 on every linear layer of
# Llama-3.1-8B is 42M adapter parameters, 0.52% of 8.03B.
LORA_FRACTION = 0.0052


def lora_params(model: ModelShape, rank: int = LORA_RANK) -> float:
    """Adapter parameters for rank ``rank`` on q, k, v, o, gate, up and down.

    >>> from sftprep.estimate.hardware import get_model
    >>> lora_params(get_model("llama-3.1-8b"))
    41943040.0
    """
    h, kv, i = model.hidden, model.kv_dim, model.intermediate
    per_layer = (h + h) + 2 * (h + kv) + (h + h) + 2 * (h + i) + (i + h)
    return float(rank * per_layer * model.layers)


def memory(
    model: ModelShape,
    method: str,
    *,
    seq_len: int,
    batch_size: int = 1,
    gpu: Gpu | None = None,
    gpus: int = 1,
    gradient_checkpointing: bool = False,
    lora_rank: int = LORA_RANK,
) -> dict[str, Any]:
    """Memory per GPU in GiB, and whether it fits ``gpu`` (by how much it misses)."""
    trainable = model.params if method == "full" else _lora_params(model, lora_rank)
    shards = gpus if method == "full" else 1
    tokens = seq_len * batch_size
    parts = {
        "weights_gb": _weight_bytes(model, method, trainable) / shards,
        "gradients_gb": trainable * BYTES_GRADS / shards,
        "optimizer_gb": trainable * BYTES_ADAM / shards,
        "activations_gb": tokens * activation_bytes_per_token(model, gradient_checkpointing),
        "logits_gb": tokens * model.vocab * LOGIT_BYTES,
    }
    total = sum(parts.values()) / GIB
    short = None if gpu is None else round(max(0.0, total - gpu.memory_gb), 2)
    return {
        "method": method,
        "seq_len": seq_len,
        "batch_size": batch_size,
        "gpus": gpus,
        "gradient_checkpointing": gradient_checkpointing,
        "trainable_params": int(trainable),
        "sharded": shards > 1,
        **{key: _gib(value) for key, value in parts.items()},
        "total_gb": round(total, 2),
        "gpu_memory_gb": gpu.memory_gb if gpu else None,
        "fits": None if gpu is None else total <= gpu.memory_gb,
        "short_by_gb": short,
    }


def activation_bytes_per_token(model: ModelShape, gradient_checkpointing: bool = False) -> float:
    """Activation bytes kept per token: 34·h per layer, or 2·h per layer + one layer's 34·h.

    >>> from sftprep.estimate.hardware import get_model
    >>> activation_bytes_per_token(get_model("llama-3.1-8b"))  # 34 x 4096 x 32
    4456448
    """
    h, layers = model.hidden, model.layers
    if gradient_checkpointing:
        return h * (CHECKPOINT_BYTES_PER_TOKEN_LAYER * layers + ACT_BYTES_PER_TOKEN_LAYER)
    return h * ACT_BYTES_PER_TOKEN_LAYER * layers


def _weight_bytes(model: ModelShape, method: str, trainable: float) -> float:
    """Base weights (BF16, or NF4 for QLoRA) plus BF16 adapters for LoRA/QLoRA."""
    adapters = 0.0 if method == "full" else trainable * 2
    return model.params * BYTES_WEIGHTS[method] + adapters


def _gib(n: float) -> float:
    return round(n / GIB, 2)


# --- aiDAPTIV+ offload ----------------------------------------------------------------------
# Phison does not publish where aiDAPTIV+ puts each tensor; this is the ZeRO-Infinity
# placement (Rajbhandari et al. 2021, https://arxiv.org/abs/2104.07857, sections 3-5),
# which matches what Phison says aiDAPTIVCache does ("SSD storage that acts as extended
# GPU memory", Page_Sections/Configuration_Options): model states on the SSD, activation
# checkpoints and staging buffers in host DRAM, one unit of work at a time on the GPU.
# See docs/estimates.md, "Memory with aiDAPTIV+ offload".
SSD_GB = 1e9  # SSD capacities are decimal (a 320 GB AI100 holds 298 GiB)
PREFETCH = 2  # units resident at once: the one computing and the next being fetched
AIDAPTIV_CONFIG_SOURCE = (
    "https://github.com/aiDAPTIV-Phison/aiDAPTIV/blob/main/"
    "Page_Sections/Configuration_Options/README.md"
)
# "Model Size Requirements" (read 2026-12-03 at commit 141ff79): largest model (params)
# -> DRAM GB, aiDAPTIVCache GB. The capacity column is taken as the total (not x count);
# the table's "<" bounds are read as "<=" (Llama-3.1-70B, 70.6B, lands in the < 180B row,
# which asks for the same 128 GB and 2 TB as the < 70B row).
RECOMMENDED: tuple[tuple[float, float, float], ...] = (
    (13e9, 64.0, 1000.0),
    (34e9, 64.0, 1000.0),
    (70e9, 128.0, 2000.0),
    (180e9, 128.0, 2000.0),
)


def recommended(params: float) -> tuple[float, float] | None:
    """Phison's recommended (DRAM GB, aiDAPTIVCache GB) for a model size, if any.

    >>> recommended(8.03e9), recommended(70.6e9)
    ((64.0, 1000.0), (128.0, 2000.0))
    """
    for limit, dram, cache in RECOMMENDED:
        if params <= limit:
            return dram, cache
    return None


def layer_params(model: ModelShape) -> float:
    """Parameters of one decoder layer: attention q, k, v, o and the gated MLP."""
    h, kv, i = model.hidden, model.kv_dim, model.intermediate
    return float(2 * h * h + 2 * h * kv + 3 * h * i)


def unit_params(model: ModelShape) -> float:
    """The largest unit streamed to the GPU: a decoder layer or the vocabulary matrix."""
    return max(layer_params(model), float(model.vocab * model.hidden))


def offload_memory(
    model: ModelShape,
    method: str,
    *,
    seq_len: int,
    batch_size: int = 1,
    gpu: Gpu | None = None,
    gpus: int = 1,
    dram_gb: float,
    cache_gb: float,
    lora_rank: int = LORA_RANK,
) -> dict[str, Any]:
    """Memory with aiDAPTIV+ offload: per GPU, host DRAM and aiDAPTIVCache, in GiB.

    ``dram_gb`` is taken as GiB (DIMMs are binary), ``cache_gb`` as decimal GB (SSDs).

    >>> from sftprep.estimate.hardware import get_gpu, get_model
    >>> m = offload_memory(get_model("llama-3.1-70b"), "full", seq_len=4096, batch_size=2,
    ...                    gpu=get_gpu("rtx-4000-ada"), gpus=2, dram_gb=128, cache_gb=2000)
    >>> m["fits"], m["cache"]["need_gb"], m["gpu"]["need_gb"]
    (True, 1052.02, 13.87)
    """
    tokens = seq_len * batch_size
    adapters = 0.0 if method == "full" else _lora_params(model, lora_rank)
    unit = unit_params(model)
    # Full: BF16 weights + BF16 gradients of the unit; LoRA: only the frozen weights stream.
    unit_bytes = BYTES_WEIGHTS["full"] + (BYTES_GRADS if method == "full" else 0.0)
    on_gpu = {
        "working_weights_gradients_gb": PREFETCH * unit * unit_bytes,
        "adapters_and_states_gb": adapters * (2 + BYTES_GRADS + BYTES_ADAM),
        "activations_gb": tokens * model.hidden * ACT_BYTES_PER_TOKEN_LAYER,  # one layer
        "logits_gb": tokens * model.vocab * LOGIT_BYTES,
    }
    # The unit's FP32 master weights and Adam moments pass through DRAM for its update.
    staged = BYTES_WEIGHTS["full"] + BYTES_GRADS + BYTES_ADAM if method == "full" else 2.0
    in_dram = {
        "activation_checkpoints_gb": gpus * tokens * model.hidden * model.layers
        * CHECKPOINT_BYTES_PER_TOKEN_LAYER,
        "staging_gb": gpus * PREFETCH * unit * staged,
    }  # fmt: skip
    on_ssd = {
        "weights_gb": model.params * BYTES_WEIGHTS["full"],
        "gradients_gb": model.params * BYTES_GRADS if method == "full" else 0.0,
        "optimizer_gb": model.params * BYTES_ADAM if method == "full" else 0.0,
    }
    gpu_cap = gpu.memory_gb if gpu else None
    tiers = {
        "gpu": _tier(on_gpu, gpu_cap),
        "dram": _tier(in_dram, dram_gb),
        "cache": _tier(on_ssd, round(cache_gb * SSD_GB / GIB, 2)),
    }
    known = [t["fits"] for t in tiers.values() if t["fits"] is not None]
    return {
        "mode": "aidaptiv-offload",
        "method": method,
        "seq_len": seq_len,
        "batch_size": batch_size,
        "tokens_per_micro_batch": tokens,
        "gpus": gpus,
        "trainable_params": int(model.params if method == "full" else adapters),
        **{name: {k: v for k, v in tier.items() if k != "parts"} for name, tier in tiers.items()},
        "offload": {name: tier["parts"] for name, tier in tiers.items()},
        "fits": all(known) if len(known) == len(tiers) else None,
        # the GPU tier under the names the plain model uses (report, older readers)
        "total_gb": tiers["gpu"]["need_gb"],
        "gpu_memory_gb": gpu_cap,
        "short_by_gb": tiers["gpu"]["short_by_gb"],
    }


def _tier(parts: dict[str, float], capacity: float | None) -> dict[str, Any]:
    need = sum(parts.values()) / GIB
    return {
        "need_gb": round(need, 2),
        "capacity_gb": capacity,
        "fits": None if capacity is None else need <= capacity,
        "short_by_gb": None if capacity is None else round(max(0.0, need - capacity), 2),
        "parts": {key: _gib(value) for key, value in parts.items()},
    }


def _lora_params(model: ModelShape, rank: int) -> float:
    if model.source.startswith("guessed"):
        return model.params * LORA_FRACTION * rank / LORA_RANK
    return lora_params(model, rank)

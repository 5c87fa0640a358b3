"""GPU specs and model shapes, as plain data with a source and date per row.

TFLOPs are *dense* BF16 tensor-core peaks with FP32 accumulate (what mixed-precision
training uses); NVIDIA's headline numbers are often sparse or FP8/FP4, so rows
that had to be derived from them say how. Memory is the marketed size in GB,
treated as GiB (what ``nvidia-smi`` reports is close to that).

>>> get_gpu("h100").tflops_bf16, get_gpu("h100").memory_gb
(989.4, 80.0)
>>> get_model("llama-3.1-8b").layers, parse_params("0.5B"), parse_params("70b")
(32, 500000000.0, 70000000000.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sftprep.errors import UsageError
from sftprep.registry import Registry


@dataclass(frozen=True, slots=True)
class Gpu:
    name: str
    tflops_bf16: float  # dense BF16 tensor TFLOPs, FP32 accumulate
    memory_gb: float
    source: str
    date: str
    note: str = ""


_H100 = "https://www.nvidia.com/en-us/data-center/h100/"
_H200 = "https://www.nvidia.com/en-us/data-center/h200/"
_A100 = "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"
_L40S = "https://www.nvidia.com/en-us/data-center/l40s/"
_ADA_WP = "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf"
_BW_WP = "https://images.nvidia.com/aem-dam/Solutions/geforce/blackwell/nvidia-rtx-blackwell-gpu-architecture.pdf"
_RTX_ADA = "https://www.nvidia.com/en-us/design-visualization/rtx-6000/"
_RTX_5000_ADA = "https://www.nvidia.com/en-us/design-visualization/rtx-5000/"
_RTX_4000_ADA = "https://www.nvidia.com/en-us/design-visualization/rtx-4000/"
_RTX_PRO_6000 = "https://www.nvidia.com/en-us/products/workstations/professional-desktop-gpus/rtx-pro-6000-max-q/"

# name, dense BF16 TFLOPs, memory GB, source, date (datasheet), how the number was read.
# Rows written 2026-11-24 from the documents named; "derived" rows: verify before quoting.
# fmt: off
_GPU_ROWS: tuple[tuple[str, float, float, str, str, str], ...] = (
    ("h100", 989.4, 80.0, _H100, "2023-09", "H100 SXM; the datasheet's 1,979 is with sparsity"),
    ("h200", 989.4, 141.0, _H200, "2024-11", "H200 SXM; the datasheet's 1,979 is with sparsity"),
    ("a100-40gb", 312.0, 40.0, _A100, "2021-06", "A100 SXM; the datasheet's 624 is with sparsity"),
    ("a100-80gb", 312.0, 80.0, _A100, "2021-06", "A100 SXM; the datasheet's 624 is with sparsity"),
    ("l40s", 362.05, 48.0, _L40S, "2023-08", "the datasheet's 733 is with sparsity"),
    ("rtx-4090", 165.2, 24.0, _ADA_WP, "2023-01", "Ada whitepaper: FP32 accumulate, dense"),
    ("rtx-5090", 209.5, 32.0, _BW_WP, "2025-01", "838 sparse FP16-accumulate / 4 (GeForce rate)"),
    ("rtx-5080", 112.6, 16.0, _BW_WP, "2025-01", "derived: 1,801 AI TOPS (FP4 sparse) / 16"),
    ("rtx-4070-ti-super", 88.2, 16.0, _ADA_WP, "2024-01", "derived: 706 AI TOPS (FP8 sparse) / 8"),
    ("rtx-4000-ada", 81.9, 20.0, _RTX_4000_ADA, "2023-08", "derived: 327.6 FP8 sparse / 4"),
    ("rtx-5000-ada", 261.1, 32.0, _RTX_5000_ADA, "2023-08", "derived: 1,044.4 FP8 sparse / 4"),
    ("rtx-6000-ada", 364.2, 48.0, _RTX_ADA, "2022-12", "derived: 1,457 FP8 sparse / 4"),
    ("rtx-6000-pro-max-q", 438.9, 96.0, _RTX_PRO_6000, "2025-03", "derived: 3,511 AI TOPS / 8"),
)
# fmt: on
GPUS: Registry[Gpu] = Registry("GPU")
for _row in _GPU_ROWS:
    GPUS.add(_row[0], Gpu(*_row))


@dataclass(frozen=True, slots=True)
class ModelShape:
    """What time and memory need to know about a dense decoder-only transformer."""

    name: str
    params: float
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    source: str
    date: str = "2026-11-24"

    @property
    def kv_dim(self) -> int:
        return self.hidden // self.heads * self.kv_heads


def _hf(repo: str) -> str:
    return f"https://huggingface.co/{repo}/blob/main/config.json"


# name, params, layers, hidden, heads, kv heads, MLP intermediate, vocab, repo whose
# config.json gives the shape (read 2026-11-24; params from the model cards)
# fmt: off
_MODEL_ROWS: tuple[tuple[str, float, int, int, int, int, int, int, str], ...] = (
    ("llama-3.2-1b", 1.24e9, 16, 2048, 32, 8, 8192, 128_256, "meta-llama/Llama-3.2-1B"),
    ("llama-3.2-3b", 3.21e9, 28, 3072, 24, 8, 8192, 128_256, "meta-llama/Llama-3.2-3B"),
    ("llama-3.1-8b", 8.03e9, 32, 4096, 32, 8, 14_336, 128_256, "meta-llama/Llama-3.1-8B"),
    ("llama-3.1-70b", 70.6e9, 80, 8192, 64, 8, 28_672, 128_256, "meta-llama/Llama-3.1-70B"),
    ("qwen2.5-0.5b", 0.494e9, 24, 896, 14, 2, 4864, 151_936, "Qwen/Qwen2.5-0.5B"),
    ("qwen2.5-7b", 7.62e9, 28, 3584, 28, 4, 18_944, 152_064, "Qwen/Qwen2.5-7B"),
    ("qwen2.5-14b", 14.7e9, 48, 5120, 40, 8, 13_824, 152_064, "Qwen/Qwen2.5-14B"),
    ("mistral-7b", 7.24e9, 32, 4096, 32, 8, 14_336, 32_768, "mistralai/Mistral-7B-v0.3"),
)
# fmt: on
MODELS: Registry[ModelShape] = Registry("model")
for _shape in _MODEL_ROWS:
    MODELS.add(_shape[0], ModelShape(*_shape[:8], source=_hf(_shape[8])))
# Instruct variants share the base model's shape.
ALIASES = {
    "llama-3.1-8b-instruct": "llama-3.1-8b",
    "llama-3.1-70b-instruct": "llama-3.1-70b",
    "qwen2.5-7b-instruct": "qwen2.5-7b",
    "mistral-7b-instruct": "mistral-7b",
}

_PARAMS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bBmM])\s*$")


def parse_params(text: str) -> float | None:
    """``"8B"`` -> 8e9, ``"500m"`` -> 5e8; ``None`` when ``text`` is not a parameter count."""
    match = _PARAMS.match(text)
    if not match:
        return None
    scale = 1e9 if match.group(2).lower() == "b" else 1e6
    return float(match.group(1)) * scale


def guess_shape(params: float) -> ModelShape:
    """A Llama-like shape for a bare parameter count (see docs/estimates.md).

    Solves params = 12 * layers * hidden^2 with layers = hidden / 128, then rounds
    hidden to a multiple of 128: close to Llama/Qwen proportions from 0.5B to 70B.
    """
    hidden = max(128, round((params * 128 / 12) ** (1 / 3) / 128) * 128)
    layers = max(1, round(params / (12 * hidden * hidden)))
    heads = max(1, hidden // 128)
    return ModelShape(
        f"{params / 1e9:g}B", params, layers, hidden, heads, max(1, heads // 4),
        int(hidden * 3.5), 128_000, "guessed from the parameter count (12·L·h², L = h/128)",
    )  # fmt: skip


def get_model(name: str) -> ModelShape:
    """A known model by name, or a guessed shape for a parameter count like ``8B``."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key in MODELS:
        return MODELS[key]
    params = parse_params(name)
    if params is not None and params > 0:
        return guess_shape(params)
    known = ", ".join(sorted(MODELS.names()))
    raise UsageError(f"unknown model {name!r}; known: {known}, or a parameter count like 8B / 0.5B")


def get_gpu(name: str) -> Gpu:
    return GPUS.get(name.strip().lower())

"""Image tokens per model family: how many tokens the model sees for an image of W x H.

A vision model turns an image into tokens by a formula of its pixel size, and each
family has its own. The formulas here are plain data plus a few lines each, with the
source they follow and the date it was read:

- ``gpt-4o`` (the 85/170 row of the tile table in OpenAI's vision guide,
  https://platform.openai.com/docs/guides/images-vision "Calculating costs", as
  published in 2025): ``detail: low`` costs 85 tokens; ``high`` (and ``auto``, counted as high
  here: the upper bound) scales the image to fit 2048 x 2048, then down so its shorter
  side is at most 768 px, and costs 85 + 170 per 512 px tile.
- ``gpt-4o-mini``: the same tiling, 2,833 base + 5,667 per tile (same page).
- ``qwen2-vl`` / ``qwen2.5-vl``: ``smart_resize`` rounds each side to a multiple of 28
  (14 px patches, 2 x 2 merged), keeping the area within ``min_pixels`` and
  ``max_pixels``; the model sees one token per merged patch: (H'/28) x (W'/28). The
  pixel bounds are those of the published ``preprocessor_config.json`` of
  Qwen/Qwen2-VL-7B-Instruct and Qwen/Qwen2.5-VL-7B-Instruct (3,136 and 12,845,056,
  as published in 2025); ``transformers``' ``Qwen2VLImageProcessor`` is the reference
  (a test compares them). Give other bounds as ``qwen2-vl:max_pixels=1003520``. The chat
  template adds ``<|vision_start|>`` and ``<|vision_end|>`` around them (not counted).
- ``llava-1.5``: every image is resized to 336 x 336 and encoded by CLIP ViT-L/14 into
  24 x 24 = 576 tokens (Liu et al., "Improved Baselines with Visual Instruction
  Tuning", 2023; llava-hf/llava-1.5-7b-hf ``image_seq_length`` 576).
- ``gemma-3``: every image is resized to 896 x 896 and becomes 256 tokens (Gemma 3
  technical report, 2025, and the google/gemma-3-4b-it model card; pan & scan off).

Video and audio are not estimated: their token counts depend on frame rate, duration
and sampling settings the dataset does not state.

>>> get_image_family("gpt-4o").tokens(300, 168), get_image_family("qwen2-vl").tokens(300, 168)
(255, 66)
>>> get_image_family("gpt-4o").tokens(300, 168, detail="low")
85
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sftprep.errors import UsageError

DEFAULT_FAMILIES = ("gpt-4o", "qwen2-vl")


@dataclass(frozen=True)
class ImageFamily:
    """One family's formula: ``kind`` is ``tiles`` (OpenAI), ``patches`` (Qwen-VL) or
    ``fixed``; the numbers are its parameters (see the module docstring for sources)."""

    name: str
    kind: str
    source: str
    fixed: int = 0
    base: int = 0
    per_tile: int = 0
    factor: int = 28
    min_pixels: int = 0
    max_pixels: int = 0

    def tokens(self, width: int, height: int, *, detail: str | None = None) -> int:
        """Tokens for an image of ``width`` x ``height`` pixels."""
        if self.kind == "fixed":
            return self.fixed
        if self.kind == "tiles":
            return (
                self.base if detail == "low" else self.base + self.per_tile * tiles(width, height)
            )
        h, w = smart_resize(height, width, self.factor, self.min_pixels, self.max_pixels)
        return (h // self.factor) * (w // self.factor)

    def formula(self) -> str:
        """The formula in one line, for the assumptions of an estimate."""
        if self.kind == "fixed":
            return f"{self.name}: {self.fixed} tokens per image ({self.source})"
        if self.kind == "tiles":
            return (
                f"{self.name}: {self.base} + {self.per_tile} per 512 px tile after scaling to "
                f"fit 2048 px and a 768 px shorter side; detail low {self.base} ({self.source})"
            )
        return (
            f"{self.name}: one token per {self.factor} x {self.factor} px after resizing to "
            f"multiples of {self.factor} within {self.min_pixels:,}-{self.max_pixels:,} px "
            f"({self.source})"
        )


_OPENAI = "OpenAI vision guide, Calculating costs (as published 2025)"
FAMILIES: Mapping[str, ImageFamily] = {
    f.name: f
    for f in (
        ImageFamily("gpt-4o", "tiles", _OPENAI, base=85, per_tile=170),
        ImageFamily("gpt-4o-mini", "tiles", _OPENAI, base=2833, per_tile=5667),
        ImageFamily(
            "qwen2-vl",
            "patches",
            "Qwen/Qwen2-VL-7B-Instruct preprocessor_config.json (as published 2025)",
            min_pixels=3136,
            max_pixels=12845056,
        ),
        ImageFamily(
            "qwen2.5-vl",
            "patches",
            "Qwen/Qwen2.5-VL-7B-Instruct preprocessor_config.json (as published 2025)",
            min_pixels=3136,
            max_pixels=12845056,
        ),
        ImageFamily("llava-1.5", "fixed", "LLaVA-1.5 paper, 336 px CLIP ViT-L/14", fixed=576),
        ImageFamily("gemma-3", "fixed", "Gemma 3 technical report, 896 px", fixed=256),
    )
}


def family_for(model: str | None) -> str:
    """The image token family of a hosted model (OpenAI's), else Qwen2-VL's (the open
    vision model most fine-tuned locally).

    >>> family_for("gpt-4o-mini-2024-07-18"), family_for("gpt-4o-2024-08-06"), family_for(None)
    ('gpt-4o-mini', 'gpt-4o', 'qwen2-vl')
    """
    if model and model.startswith("gpt-4o"):
        return "gpt-4o-mini" if "mini" in model else "gpt-4o"
    return "qwen2-vl"


def list_image_families() -> list[str]:
    return sorted(FAMILIES)


def get_image_family(spec: str) -> ImageFamily:
    """A family by name, with ``:min_pixels=N,max_pixels=N`` to change a Qwen-VL's bounds.

    >>> get_image_family("qwen2-vl:max_pixels=1003520").max_pixels
    1003520
    """
    name, _, params = spec.partition(":")
    family = FAMILIES.get(name.strip().lower())
    if family is None:
        raise UsageError(
            f"unknown image token family {name!r}; known: {', '.join(list_image_families())}"
        )
    if not params:
        return family
    changes: dict[str, Any] = {}
    for item in params.split(","):
        key, eq, value = (p.strip() for p in item.partition("="))
        if family.kind != "patches" or key not in ("min_pixels", "max_pixels") or not eq:
            raise UsageError(f"{spec!r}: only a Qwen-VL family takes min_pixels=N,max_pixels=N")
        if not value.isdigit() or int(value) < 1:
            raise UsageError(f"{spec!r}: {key} must be a positive number of pixels")
        changes[key] = int(value)
    return replace(family, name=spec, **changes)


def tiles(width: int, height: int) -> int:
    """OpenAI's 512 px tiles after its two scalings (fit 2048 x 2048, shorter side <= 768).

    >>> tiles(1024, 1024), tiles(2048, 4096), tiles(300, 168)
    (4, 6, 1)
    """
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    return math.ceil(w / 512) * math.ceil(h / 512)


def smart_resize(
    height: int, width: int, factor: int = 28, min_pixels: int = 3136, max_pixels: int = 12845056
) -> tuple[int, int]:
    """Qwen2-VL's resize: sides multiples of ``factor``, area within the bounds.

    Follows ``transformers.models.qwen2_vl.image_processing_qwen2_vl.smart_resize``
    (which refuses aspect ratios over 200; here they are sized all the same).

    >>> smart_resize(168, 300)
    (168, 308)
    """
    height, width = max(height, 1), max(width, 1)
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar

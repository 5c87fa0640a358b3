"""Estimate a dataset file: count it as the estimate needs (per-record totals and
trainable tokens, in file order), choose the tokenizer and the image-token family, and say
how a file that is not SFT data is priced. `sftprep estimate` and the report use these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sftprep.count import count_tokens
from sftprep.errors import UsageError
from sftprep.tokens import DEFAULT_TOKENIZER, get_tokenizer
from sftprep.tokens.base import with_choice
from sftprep.tokens.images import family_for, get_image_family


def count_lengths(
    path: str | Path | None, **options: Any
) -> tuple[list[int], list[int], list[str]]:
    """Per-record total and trainable token counts in file order, and the formats read
    (``options`` as for `count_lengths_and_media`)."""
    lengths, trainable, formats, _ = count_lengths_and_media(path, **options)
    return lengths, trainable, formats


def count_lengths_and_media(
    path: str | Path | None,
    *,
    tokenizer: str = "cl100k_base",
    format: str | None = None,
    config: Any = None,
    key_map: Any = None,
    progress: bool = False,
    runner: Any = None,
    media: Any = None,
) -> tuple[list[int], list[int], list[str], Any]:
    """`count_lengths`, and the records' media (a `MediaStats`, None when there are none)."""
    stats = count_tokens(
        path,
        tokenizer,
        format=format,
        config=config,
        key_map=key_map,
        progress=progress,
        runner=runner,
        media=media,
    )
    formats = [name for name in stats.format.split(", ") if name]
    return list(stats.total.values), list(stats.trainable.values), formats, stats.media


def image_family(given: str | None, row: Any) -> Any:
    """The image token family: ``--image-tokens``, else the hosted model's, else Qwen2-VL."""
    return get_image_family(given or family_for(row.model if row is not None else None))


# How a file that is not SFT data is priced: as the SFT run it would be.
_CAVEATS = {
    "kto": "KTO preference data, priced as SFT on the desirable completions only (the "
    "undesirable ones are counted, not trained); hosted SFT has no KTO",
    "dpo": "DPO preference pairs, priced as SFT on each prompt with its chosen answer (the "
    "rejected answers are not counted); preference fine-tuning is billed differently",
    "text": "pretraining text, priced as SFT with every token trained; hosted chat "
    "fine-tuning does not take raw text",
    "tasks": "seed tasks, priced on each task's first instance (the others are not read)",
}


def sft_targets(lengths: list[int], trainable: list[int], formats: list[str]) -> list[str]:
    """Keep, in place, the KTO records an SFT upload would hold (desirable completions:
    undesirable ones count no trainable token); a note when any was left out."""
    rows = [(n, t) for n, t in zip(lengths, trainable, strict=True) if t > 0]
    if formats != ["kto"] or not rows:  # none at all: the zero-trainable problem says so
        return []
    left = len(lengths) - len(rows)
    lengths[:], trainable[:] = [n for n, _ in rows], [t for _, t in rows]
    return [f"{left:,} KTO records without a desirable completion are not priced"] if left else []


def data_caveats(formats: list[str]) -> list[str]:
    """An assumption line for each format read that is not SFT data."""
    return [_CAVEATS[name] for name in formats if name in _CAVEATS]


def choose_tokenizer(given: str | None, encoding: str | None) -> tuple[str, str]:
    """The tokenizer to count with: --tokenizer, else the hosted model's encoding.

    The hosted model's encoding may not be cached on an offline machine; then the
    bundled cl100k_base counts instead, and the assumptions say so.
    """
    if given or not encoding:
        return given or DEFAULT_TOKENIZER, ""
    try:
        get_tokenizer(encoding, backend="reference")
    except UsageError:
        return DEFAULT_TOKENIZER, f" ({encoding}, the model's encoding, is not available offline)"
    return encoding, ""


def with_backend(tokenizer: str, backend: str) -> tuple[str, str]:
    """The spec that counts with ``backend`` (it travels to the workers as a name), and
    what counts (``quicktok-v1 0.4.0, fast backend``) for the assumptions."""
    spec = with_choice(tokenizer, backend) or tokenizer
    described = get_tokenizer(spec).describe()
    return spec, f"{described.get('library', described['kind'])}, {described['backend']} backend"

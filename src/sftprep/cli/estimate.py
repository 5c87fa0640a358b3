"""`sftprep estimate PATH`: API cost, GPU time, packing, truncation sweep and memory.

``--model`` names a hosted model when it is in the price table (or ``--provider``
is given), else a local model: a known name (llama-3.1-8b, ...) or a size (8B).
Every number is printed with its source; ``--json`` prints ``Estimate.to_dict()``.
Token counts come from `count_lengths` (``sftprep.count.count_tokens``, on the engine).
Data that is not SFT data (preference pairs, KTO, pretraining text) is priced as the
SFT run it would be, and the assumptions say how.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sftprep.cli.common import (
    add_backend_option,
    add_engine_options,
    add_map_option,
    key_map_from,
    runner_from,
)
from sftprep.io.write import json_text

Counts = tuple[list[int], list[int]]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``estimate`` subcommand on an argparse ``subparsers`` object."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "estimate", help="estimate fine-tuning cost, time and memory"
    )
    p.add_argument("path", metavar="PATH", help="dataset file")
    p.add_argument("--provider", help="hosted fine-tuning provider (openai)")
    p.add_argument("--model", help="hosted model (gpt-4o-mini-2024-07-18, ...) or local model")
    p.add_argument("--method", choices=["full", "lora", "qlora"], default="full")
    p.add_argument("--gpu", help="GPU type (h100, rtx-6000-ada, ...)")
    p.add_argument("--gpus", type=int, default=1, metavar="N", help="number of GPUs")
    p.add_argument("--epochs", default="auto", metavar="auto|N")
    p.add_argument("--throughput", type=float, metavar="TOKENS/S", help="your measured rate")
    p.add_argument("--mfu", type=float, help="model FLOPs utilisation for the FLOPs model")
    p.add_argument("--max-seq-len", type=int, metavar="N")
    p.add_argument("--batch-size", type=int, metavar="N", help="per-GPU micro batch")
    p.add_argument("--gradient-checkpointing", action="store_true", help="for the memory fit")
    p.add_argument("--prices", metavar="FILE", help="YAML/TOML price rows extending the table")
    p.add_argument(
        "--tokenizer", metavar="T", help="default: the hosted model's encoding, else cl100k_base"
    )
    add_backend_option(p)
    p.add_argument("--format", help="skip detection and read as this format")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Count, estimate and print; misuse raises `UsageError` (exit 2 in ``main``)."""
    from sftprep.errors import UsageError
    from sftprep.estimate import PRICES, estimate, load_prices

    if not Path(args.path).exists():
        raise UsageError(f"{args.path}: no such file")
    table = load_prices(args.prices) if args.prices else dict(PRICES)
    row = table.get(args.model) if args.model else None
    tokenizer, note = _tokenizer(args.tokenizer, row.encoding if row else None)
    spec, counted_by = _with_backend(tokenizer, args.tokenizer_backend)
    progress = not args.quiet and not args.json
    lengths, trainable, formats = count_lengths(
        args.path,
        tokenizer=spec,
        format=args.format,
        key_map=key_map_from(args),
        runner=runner_from(args, progress=progress),
    )
    if not lengths:
        raise UsageError(f"{args.path}: no records could be counted")
    counted = f"tokens counted with {tokenizer} ({counted_by}) over {len(lengths):,} records{note}"
    kept = _sft_targets(lengths, trainable, formats)
    result = estimate(
        lengths,
        trainable=trainable,
        provider=args.provider,
        model=args.model,
        epochs=args.epochs,
        gpu=args.gpu,
        gpus=args.gpus,
        method=args.method,
        throughput=args.throughput,
        mfu=args.mfu,
        max_seq_len=args.max_seq_len,
        batch_size=args.batch_size,
        prices=table,
        gradient_checkpointing=args.gradient_checkpointing,
    )
    result.assumptions[:0] = [counted, *data_caveats(formats), *kept]
    _print(result, as_json=args.json)
    return 1 if result.problem else 0


def count_lengths(
    path: str | Path,
    *,
    tokenizer: str = "cl100k_base",
    format: str | None = None,
    key_map: Any = None,
    progress: bool = False,
    runner: Any = None,
) -> tuple[list[int], list[int], list[str]]:
    """Per-record total and trainable token counts in file order, and the formats read."""
    from sftprep.count import count_tokens

    stats = count_tokens(
        path, tokenizer, format=format, key_map=key_map, progress=progress, runner=runner
    )
    formats = [name for name in stats.format.split(", ") if name]
    return list(stats.total.values), list(stats.trainable.values), formats


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


def _sft_targets(lengths: list[int], trainable: list[int], formats: list[str]) -> list[str]:
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


def _tokenizer(given: str | None, encoding: str | None) -> tuple[str, str]:
    """The tokenizer to count with: --tokenizer, else the hosted model's encoding.

    The hosted model's encoding may not be cached on an offline machine; then the
    bundled cl100k_base counts instead, and the assumptions say so.
    """
    from sftprep.errors import UsageError
    from sftprep.tokens import DEFAULT_TOKENIZER, get_tokenizer

    if given or not encoding:
        return given or DEFAULT_TOKENIZER, ""
    try:
        get_tokenizer(encoding, backend="reference")
    except UsageError:
        return DEFAULT_TOKENIZER, f" ({encoding}, the model's encoding, is not available offline)"
    return encoding, ""


def _with_backend(tokenizer: str, backend: str) -> tuple[str, str]:
    """The spec that counts with ``backend`` (it travels to the workers as a name), and
    what counts (``quicktok-v1 0.4.0, fast backend``) for the assumptions."""
    from sftprep.tokens import get_tokenizer
    from sftprep.tokens.base import with_choice

    spec = with_choice(tokenizer, backend) or tokenizer
    described = get_tokenizer(spec).describe()
    return spec, f"{described.get('library', described['kind'])}, {described['backend']} backend"


def _print(result: Any, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json_text(result.to_dict(), indent=2) + "\n")
        return
    from sftprep.estimate import render

    render(result)

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
import functools
import sys
from pathlib import Path
from typing import Any

from sftprep import units
from sftprep.cli.common import (
    add_backend_option,
    add_engine_options,
    add_format_option,
    add_map_option,
    add_media_options,
    add_project_options,
    key_map_from,
    media_options_from,
    runner_from,
)
from sftprep.estimate.dataset import (
    choose_tokenizer,
    count_lengths,
    count_lengths_and_media,
    data_caveats,
    image_family,
    sft_targets,
    with_backend,
)
from sftprep.io.write import json_text

Counts = tuple[list[int], list[int]]


class _Given(argparse.Action):
    """Store the value and remember it was typed (a project's config decides otherwise)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``estimate`` subcommand on an argparse ``subparsers`` object."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "estimate", help="estimate fine-tuning cost, time and memory"
    )
    p.add_argument("path", metavar="PATH", nargs="?", help="dataset file (or --aidaptiv-env)")
    p.add_argument("--provider", help="hosted fine-tuning provider (openai)")
    p.add_argument("--model", help="hosted model (gpt-4o-mini-2024-07-18, ...) or local model")
    p.add_argument(
        "--method",
        choices=["full", "lora", "qlora"],
        action=_Given,
        default="full",
        help="default full (a project: its run_settings.lora.enable_lora)",
    )
    p.add_argument("--gpu", help="GPU type (h100, rtx-6000-ada, ...)")
    p.add_argument(
        "--gpus", type=int, metavar="N", help="number of GPUs (default 1, or the project's)"
    )
    p.add_argument(
        "--epochs",
        default="auto",
        metavar="auto|N",
        help="auto: the project's num_train_epochs, OpenAI's rule for a hosted model, "
        "else 3 (Hugging Face's default)",
    )
    p.add_argument("--throughput", type=float, metavar="TOKENS/S", help="your measured rate")
    p.add_argument("--mfu", type=float, help="model FLOPs utilisation for the FLOPs model")
    p.add_argument("--max-seq-len", type=int, metavar="N")
    p.add_argument("--batch-size", type=int, metavar="N", help="per-GPU micro batch")
    p.add_argument("--gradient-checkpointing", action="store_true", help="for the memory fit")
    add_project_options(p)
    p.add_argument("--dram-gb", type=float, metavar="N", help="host DRAM for aiDAPTIV+ offload")
    p.add_argument("--cache-gb", type=float, metavar="N", help="aiDAPTIVCache (SSD) capacity")
    p.add_argument(
        "--no-offload", action="store_true", help="fit memory for plain GPU training (no SSD)"
    )
    p.add_argument("--prices", metavar="FILE", help="YAML/TOML price rows extending the table")
    p.add_argument(
        "--tokenizer", metavar="T", help="default: the hosted model's encoding, else cl100k_base"
    )
    add_backend_option(p)
    add_format_option(p, "skip detection and read as this format")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--image-tokens",
        metavar="FAMILY",
        help="count images as this model family sees them: gpt-4o, gpt-4o-mini, qwen2-vl, "
        "qwen2.5-vl (qwen2-vl:max_pixels=N), llava-1.5, gemma-3 (default: the hosted "
        "model's family, else qwen2-vl)",
    )
    add_media_options(p)
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run, method_given=False)
    return p


def run(args: argparse.Namespace) -> int:
    """Count, estimate and print; misuse raises `UsageError` (exit 2 in ``main``)."""
    from sftprep.errors import UsageError
    from sftprep.estimate import PRICES, estimate, load_prices

    if args.aidaptiv_env:
        return _run_project(args)
    if not args.path:
        raise UsageError("give a dataset path (or --aidaptiv-env env_config.yaml)")
    if not Path(args.path).exists():
        raise UsageError(f"{args.path}: no such file")
    table = load_prices(args.prices) if args.prices else dict(PRICES)
    row = table.get(args.model) if args.model else None
    tokenizer, note = choose_tokenizer(args.tokenizer, row.encoding if row else None)
    spec, counted_by = with_backend(tokenizer, args.tokenizer_backend)
    progress = not args.quiet and not args.json
    family = image_family(args.image_tokens, row)
    lengths, trainable, formats, media = count_lengths_and_media(
        args.path,
        tokenizer=spec,
        format=args.format,
        key_map=key_map_from(args),
        runner=runner_from(args, progress=progress),
        media=_media_options(args, family.name),
    )
    if not lengths:
        raise UsageError(f"{args.path}: no records could be counted")
    counted = f"tokens counted with {tokenizer} ({counted_by}) over {len(lengths):,} records{note}"
    text_tokens = sum(lengths)
    image_notes = media.add_image_tokens(lengths, family.name) if media is not None else []
    kept = sft_targets(lengths, trainable, formats)
    offload_notes: list[str] = []
    result = estimate(
        lengths,
        trainable=trainable,
        provider=args.provider,
        model=args.model,
        epochs=args.epochs,
        gpu=args.gpu,
        gpus=args.gpus or 1,
        method=args.method,
        throughput=args.throughput,
        mfu=args.mfu,
        max_seq_len=args.max_seq_len,
        batch_size=args.batch_size,
        prices=table,
        gradient_checkpointing=args.gradient_checkpointing,
        offload=_offload(args, offload_notes),
    )
    result.assumptions[:0] = [counted, *image_notes, *data_caveats(formats), *kept, *offload_notes]
    if image_notes:  # shown apart: what the text is, what the images add
        result.tokens["text_tokens"] = text_tokens
        result.tokens["image_tokens"] = sum(lengths) - text_tokens if not kept else None
        result.tokens["image_token_family"] = family.name
    _print(result, as_json=args.json)
    return 1 if result.problem else 0


def _offload(args: argparse.Namespace, notes: list[str]) -> tuple[float, float] | None:
    """(DRAM, cache) for a dataset path: both capacities given, or, when the time is
    Phison's aiDAPTIV+ measurement (taken with aiDAPTIVCache), Phison's recommended ones,
    so time and memory assume the same machine. None with --no-offload."""
    from sftprep.errors import UsageError

    given = (args.dram_gb, args.cache_gb)
    if args.no_offload:
        return None
    if None not in given:
        return float(args.dram_gb), float(args.cache_gb)
    if given != (None, None):
        raise UsageError("give both --dram-gb and --cache-gb (or --aidaptiv-env)")
    shape = _aidaptiv_timed(args)
    if shape is None:
        return None
    from sftprep.estimate.memory import AIDAPTIV_CONFIG_SOURCE, recommended

    capacity = recommended(shape.params)
    if capacity is not None:
        notes.append(
            f"memory fitted with aiDAPTIV+ offload, as the time is aiDAPTIV+'s: host DRAM "
            f"{units.gigabytes(capacity[0])} and aiDAPTIVCache {units.gigabytes(capacity[1])}, "
            "Phison's recommendation "
            f"for a {shape.params / 1e9:.3g}B model ({AIDAPTIV_CONFIG_SOURCE}, Model Size "
            "Requirements); --dram-gb / --cache-gb for yours, --no-offload for GPU memory alone"
        )
    return capacity


def _aidaptiv_timed(args: argparse.Namespace) -> Any:
    """The local model's shape when its time comes from a published aiDAPTIV+ row."""
    from sftprep.errors import UsageError
    from sftprep.estimate.hardware import get_model
    from sftprep.estimate.throughput import published

    if args.throughput is not None or not args.model or not args.gpu or args.provider:
        return None
    try:
        shape = get_model(args.model)
    except UsageError:
        return None  # a hosted model, or unknown: the estimate says so
    row = published(shape.name, args.gpu.strip().lower(), args.gpus or 1, args.method)
    return shape if row is not None and "aiDAPTIV" in row.note else None


def _run_project(args: argparse.Namespace) -> int:
    """Estimate an aiDAPTIV+ project: its datasets counted, its settings applied."""
    from sftprep.cli.project import load, project_tokenizer
    from sftprep.estimate.project import estimate_project

    project = load(args)
    tokenizer, note = project_tokenizer(project, args.tokenizer)
    spec, counted_by = with_backend(tokenizer, args.tokenizer_backend)
    progress = not args.quiet and not args.json
    count = functools.partial(
        count_lengths,
        None,
        tokenizer=spec,
        format=args.format,
        key_map=key_map_from(args),
        runner=runner_from(args, progress=progress),
    )
    lengths, trainable, formats = count(config=project.train_configs)
    val = count(config=project.val_configs)[0] if project.val_configs else []
    if not lengths:
        from sftprep.errors import UsageError

        raise UsageError(f"{project.env}: the training datasets hold no countable record")
    result = estimate_project(
        project, lengths, trainable, validation_records=len(val), model=args.model,
        gpu=args.gpu, gpus=args.gpus, epochs=args.epochs, method=_given_method(args),
        throughput_=args.throughput, mfu=args.mfu, offload=not args.no_offload,
        dram_gb=args.dram_gb, cache_gb=args.cache_gb,
    )  # fmt: skip
    assert result.training is not None
    result.training["project"] = project.to_dict()
    result.training["config_findings"] = [
        f"{f.location}: {f.severity.value} {f.rule}: {f.message}" for f in project.findings
    ]
    counted = (
        f"tokens counted with {tokenizer} ({counted_by}{note}) over {len(lengths):,} training "
        f"records" + (f" ({len(val):,} validation records apart)" if project.val_configs else "")
    )
    result.assumptions[:0] = [counted, *data_caveats(formats)]
    _print(result, as_json=args.json)
    return 1 if result.problem else 0


def _given_method(args: argparse.Namespace) -> str | None:
    """--method only when typed: the project's enable_lora decides otherwise."""
    return args.method if args.method_given else None


def _media_options(args: argparse.Namespace, family: str) -> Any:
    """``--media-root``, and the image family to count when it is not a built-in one."""
    import dataclasses

    from sftprep.tokens.images import FAMILIES

    options = media_options_from(args)
    return options if family in FAMILIES else dataclasses.replace(options, families=(family,))


def _print(result: Any, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json_text(result.to_dict(), indent=2) + "\n")
        return
    from sftprep.report.estimate import render

    render(result)

"""`sftprep stats PATH`: token counts exactly as the trainer sees them, on all cores.

Prints totals, per-field counts, turns, distributions with a compact histogram,
outliers and records over ``--max-tokens``; ``--json`` prints one document,
``--per-record OUT.jsonl`` writes one line per record. ``--tokenizer`` twice puts
two tokenizers side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any

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
from sftprep.io.write import json_text


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("stats", help="count tokens as the trainer sees them")
    p.add_argument("path", metavar="PATH", nargs="?", help="dataset file (or --aidaptiv-env)")
    p.add_argument("--config", help="aiDAPTIV+ dataset YAML naming the files (instead of PATH)")
    p.add_argument(
        "--tokenizer",
        action="append",
        metavar="T",
        help="tiktoken encoding or model (default cl100k_base), local HF tokenizer directory "
        "or Hub id; give it twice to compare",
    )
    p.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help="context limit (default: the tokenizer's model_max_length when it has one)",
    )
    p.add_argument(
        "--template",
        choices=["auto", "none"],
        default="auto",
        help="none: count the raw message text, no chat template or per-message overhead",
    )
    add_backend_option(p)
    add_format_option(p, "skip detection and read as this format")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--per-record", metavar="OUT.jsonl", help="write per-record counts here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_project_options(p)
    add_media_options(p)
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.count import count_tokens_multi
    from sftprep.errors import UsageError

    specs = args.tokenizer or ["cl100k_base"]
    if len(specs) > 2:
        raise UsageError("give --tokenizer at most twice (to compare two tokenizers)")
    if args.aidaptiv_env:
        return _run_project(args, specs)
    if args.path is None and args.config is None:
        raise UsageError("give a dataset path (or --config FILE.yaml, or --aidaptiv-env)")
    if args.path is not None and not Path(args.path).exists() and "/" not in args.path:
        raise UsageError(f"{args.path}: no such file")
    sink = _PerRecordWriter(args.per_record, args.path) if args.per_record else None
    try:
        stats = count_tokens_multi(
            args.path,
            specs,
            format=args.format,
            key_map=key_map_from(args),
            template=args.template,
            max_tokens=args.max_tokens,
            runner=runner_from(args, progress=not args.quiet),
            on_record=sink.write if sink else None,
            backend=args.tokenizer_backend,
            media=media_options_from(args),
            config=args.config,
        )
    except BaseException:
        if sink:
            sink.abort()
        raise
    if sink:
        sink.commit()
    document = stats[0].to_dict()
    if len(stats) == 2:
        document["compare"] = stats[0].compare(stats[1])
    if args.json:
        sys.stdout.write(json_text(document, indent=2) + "\n")
    else:
        from sftprep.report.stats import HIST_BINS, print_stats

        print_stats(document, stats[0].total.histogram(HIST_BINS), per_record=args.per_record)
    return 0


def _run_project(args: argparse.Namespace, specs: list[str]) -> int:
    """Stats of an aiDAPTIV+ project: training and validation datasets apart, each at the
    project's max_seq_len (or --max-tokens)."""
    from sftprep.cli.project import load, project_tokenizer
    from sftprep.count import count_tokens_multi
    from sftprep.errors import UsageError

    if args.per_record:
        raise UsageError("--per-record takes one dataset path, not --aidaptiv-env")
    project = load(args)
    if not args.tokenizer:
        specs = [project_tokenizer(project, None)[0]]
    limit = project.settings.max_seq_len if args.max_tokens is None else args.max_tokens
    documents: dict[str, Any] = {"project": project.to_dict()}
    for part, configs in (("train", project.train_configs), ("validation", project.val_configs)):
        if not configs:
            documents[part] = None
            continue
        stats = count_tokens_multi(
            None,
            specs,
            config=configs,
            format=args.format,
            key_map=key_map_from(args),
            template=args.template,
            max_tokens=limit,
            runner=runner_from(args, progress=not args.quiet),
            backend=args.tokenizer_backend,
        )
        doc = stats[0].to_dict()
        if len(stats) == 2:
            doc["compare"] = stats[0].compare(stats[1])
        documents[part] = doc
        if not args.json:
            print(f"== {part} ({', '.join(str(c) for c in configs)})")
            from sftprep.report.stats import HIST_BINS, print_stats

            print_stats(doc, stats[0].total.histogram(HIST_BINS))
    if args.json:
        sys.stdout.write(json.dumps(documents, ensure_ascii=False, indent=2) + "\n")
    return 0


class _PerRecordWriter:
    """One JSON line per record, in a staged file that replaces ``path`` at the end."""

    def __init__(self, path: str, source: str) -> None:
        from sftprep.io.write import Staged

        self.staged = Staged(path, flag="--per-record", inputs=[source])
        self.fh: IO[str] = self.staged.file

    def write(self, counts: list[Any]) -> None:
        first = counts[0].to_dict()
        if len(counts) > 1:
            other = counts[1]
            first["compare"] = {
                "total": other.total,
                "prompt": other.prompt,
                "trainable": other.trainable,
                "difference": other.total - counts[0].total,
            }
        self.fh.write(json.dumps(first, ensure_ascii=False) + "\n")

    def commit(self) -> None:
        self.staged.commit()

    def abort(self) -> None:
        self.staged.abort()

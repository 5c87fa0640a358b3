"""`sftprep split IN -o DIR --val-fraction F --seed S`: deterministic, leak-free splits."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sftprep.cli.common import (
    add_engine_options,
    add_format_option,
    add_map_option,
    key_map_from,
    runner_from,
)
from sftprep.io.write import json_text


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "split",
        help="split into train/validation(/test) without prompt leakage",
        description="Deterministic split for a seed. Records whose first user message "
        "normalises to the same text (case, whitespace, punctuation) stay in one split, "
        "so nothing leaks from train into validation. Records are written unchanged.",
    )
    p.add_argument("path", metavar="IN", help="input dataset")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    p.add_argument("--val-fraction", type=float, required=True, metavar="F")
    p.add_argument("--test-fraction", type=float, default=0.0, metavar="F")
    p.add_argument("--seed", type=int, required=True, metavar="S")
    p.add_argument(
        "--stratify",
        metavar="FIELD",
        help="keep the share of each value of this top-level field in every split",
    )
    p.add_argument(
        "--group",
        choices=("near-duplicates", "prompts"),
        default="near-duplicates",
        help="what stays on one side: records with the same prompt, and (the default) "
        "near-duplicate clusters too (needs sftprep[near])",
    )
    add_format_option(p, "input format (default: detected)", metavar="FROM")
    p.add_argument("--ext", metavar="EXT", help="output extension (default: the input's)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.report.transform import print_split
    from sftprep.transform.split import split

    summary = split(
        args.path,
        args.output,
        val_fraction=args.val_fraction,
        test_fraction=args.test_fraction,
        seed=args.seed,
        stratify=args.stratify,
        format=args.format,
        key_map=key_map_from(args),
        ext=args.ext,
        group=args.group,
        runner=runner_from(args, progress=not args.quiet and not args.json),
    )
    if args.json:
        sys.stdout.write(json_text(summary.to_dict()) + "\n")
        return 0
    print_split(summary)
    return 0

"""`sftprep convert IN -o OUT --to FORMAT | --target NAME`: rewrite a dataset, never lossily."""

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
from sftprep.targets import list_targets


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert between formats or into a platform's shape (--target)",
        description="Convert a dataset to another format (output type from the extension). "
        "Records the output cannot carry go to --rejects with the reason; the summary "
        "always reconciles: in = out + rejected.",
    )
    p.add_argument("path", nargs="?", metavar="IN", help="input dataset (optional with --config)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file")
    p.add_argument("--to", metavar="FORMAT", help="output format (default: the target's shape)")
    add_format_option(p, "input format (default: detected)", metavar="FROM")
    p.add_argument("--config", metavar="YAML", help="aiDAPTIV+ dataset YAML describing IN")
    p.add_argument(
        "--rejects",
        metavar="R.jsonl",
        help="where rejected records go (default: OUT's name + .rejects.jsonl, only if any)",
    )
    p.add_argument("--target", choices=list_targets(), help="platform profile to convert for")
    p.add_argument(
        "--keep-undesirable",
        action="store_true",
        help="also write KTO completions labelled undesirable (label false) as SFT targets",
    )
    p.add_argument(
        "--embed-media",
        action="store_true",
        help="write local image files of content parts as base64 data: URIs (what OpenAI and "
        "Together upload)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.errors import UsageError
    from sftprep.report.transform import print_convert
    from sftprep.transform.convert import convert

    if args.path is None and args.config is None:
        raise UsageError("give an input dataset (or --config FILE.yaml)")
    summary = convert(
        args.path,
        args.output,
        to=args.to,
        format=args.format,
        key_map=key_map_from(args),
        config=args.config,
        rejects=args.rejects,
        target=args.target,
        keep_undesirable=args.keep_undesirable,
        embed_media=args.embed_media,
        runner=runner_from(args, progress=not args.quiet and not args.json),
    )
    if args.json:
        sys.stdout.write(json_text(summary.to_dict()) + "\n")
        return 0
    print_convert(summary)
    return 0

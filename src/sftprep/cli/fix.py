"""`sftprep fix IN -o OUT --rejects R`: safe, explained repairs; what stays broken is set aside."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sftprep.cli.common import (
    add_backend_option,
    add_engine_options,
    add_format_option,
    add_map_option,
    key_map_from,
    runner_from,
)
from sftprep.io.write import json_text


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fix",
        help="repair a dataset; records that stay invalid go to --rejects unchanged",
        description="Apply safe repairs (role names, mojibake, whitespace, exact duplicates), "
        "then drop every record the rules still find an error in, or that is over "
        "--max-tokens. With no repair flag, all repairs run. The input is never modified; "
        "in = out + rejected always.",
    )
    p.add_argument("path", metavar="IN", help="input dataset")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="repaired dataset")
    p.add_argument(
        "--rejects",
        required=True,
        metavar="REJECTS.jsonl",
        help="dropped records, unchanged, with file, line, rule ids and reasons",
    )
    p.add_argument(
        "--dedupe",
        nargs="?",
        const="exact",
        choices=("exact", "near"),
        help="drop exact duplicates; `--dedupe near` also keeps one record per "
        "near-duplicate cluster (rejects name the cluster; needs sftprep[near])",
    )
    p.add_argument(
        "--keep",
        choices=("first", "longest"),
        default="first",
        help="with --dedupe near: the record of each cluster that is kept (default first)",
    )
    p.add_argument("--strip", action="store_true", help="trim leading/trailing whitespace")
    p.add_argument(
        "--repair-encoding",
        action="store_true",
        help="repair mojibake with ftfy (encoding fixes only)",
    )
    p.add_argument("--max-tokens", type=int, metavar="N", help="drop records longer than N")
    p.add_argument("--tokenizer", metavar="T", help="tokenizer for --max-tokens")
    add_backend_option(p)
    add_format_option(p, "input format (default: detected)", metavar="FROM")
    p.add_argument("--to", metavar="FORMAT", help="write this format (default: the input's)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.report.transform import print_fix
    from sftprep.tokens.base import with_choice
    from sftprep.transform.fix import fix

    summary = fix(
        args.path,
        args.output,
        rejects=args.rejects,
        dedupe=args.dedupe or False,
        keep=args.keep,
        strip=args.strip,
        repair_encoding=args.repair_encoding,
        max_tokens=args.max_tokens,
        tokenizer=with_choice(args.tokenizer, args.tokenizer_backend),
        format=args.format,
        key_map=key_map_from(args),
        to=args.to,
        runner=runner_from(args, progress=not args.quiet and not args.json),
    )
    if args.json:
        sys.stdout.write(json_text(summary.to_dict()) + "\n")
        return 0
    print_fix(summary)
    return 0

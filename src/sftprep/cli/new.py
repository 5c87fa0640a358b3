"""`sftprep new --task TASK -o FILE`: write a starter dataset that passes `sftprep check`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sftprep.cli.common import add_quiet_option
from sftprep.io.write import json_text
from sftprep.transform.tasks import list_tasks


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "new",
        help="write a starter dataset for a task (good, varied examples)",
        description="Write a starter dataset of original, varied examples for a task, in any "
        "format that can carry it. Each record passes `sftprep check`.",
    )
    p.add_argument("--task", required=True, choices=list_tasks(), help="what the data teaches")
    p.add_argument(
        "--format",
        metavar="FORMAT",
        help="record format (default per task: qa -> qa, function-calling -> messages, "
        "others -> alpaca)",
    )
    p.add_argument("-n", type=int, metavar="N", help="number of records (default: all)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="output file; .jsonl, .json, .csv or .parquet",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_quiet_option(p, "no summary line")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.report.transform import print_new
    from sftprep.transform.new import new_dataset

    summary = new_dataset(args.task, args.output, format=args.format, n=args.n)
    if args.json:
        sys.stdout.write(json_text(summary.to_dict()) + "\n")
        return 0
    if args.quiet:
        return 0
    print_new(summary)
    return 0

"""`sftprep report PATH -o report.html`: one self-contained HTML page (and PNG charts)."""

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
from sftprep.report.build import TrainingPlan

DEFAULT = TrainingPlan()


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report: charts, findings, estimate, token view",
    )
    p.add_argument("path", metavar="PATH", help="dataset file")
    p.add_argument("-o", "--output", default="report.html", help="HTML file to write")
    p.add_argument("--tokenizer", help="tokenizer name or path (default: the stats default)")
    add_backend_option(p)
    p.add_argument("--max-tokens", type=int, help="max sequence length drawn on the charts")
    p.add_argument("--png", metavar="DIR", help="also write each chart as DIR/<chart>.png")
    p.add_argument("--format", help="skip detection and read as this format")
    p.add_argument("--examples", type=int, default=3, help="records shown in the token view")
    plan = p.add_argument_group("estimate (what the cost and time section prices)")
    plan.add_argument("--api-model", default=DEFAULT.api_model, help="hosted model to price")
    plan.add_argument("--model", default=DEFAULT.model, help="local model: a name or a size (8B)")
    plan.add_argument("--gpu", default=DEFAULT.gpu, help="GPU type for the local run")
    plan.add_argument("--gpus", type=int, default=DEFAULT.gpus, metavar="N")
    plan.add_argument("--method", choices=["full", "lora", "qlora"], default=DEFAULT.method)
    plan.add_argument("--epochs", default=DEFAULT.epochs, metavar="auto|N")
    plan.add_argument("--batch-size", type=int, default=DEFAULT.batch_size, metavar="N")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary line")
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.errors import UsageError
    from sftprep.report.build import TrainingPlan, build_report_data

    if args.max_tokens is not None and args.max_tokens <= 0:
        raise UsageError("--max-tokens must be a positive number of tokens")
    if args.examples < 0:
        raise UsageError("--examples must be 0 or more")
    # Refused before the work, not after it: the dataset itself, a folder, a pipe.
    from sftprep.io.write import check_target

    check_target(args.output, "-o", [args.path])
    if args.png:
        from sftprep.report.png import check_png_folder

        check_png_folder(Path(args.png))
    data = build_report_data(
        args.path,
        tokenizer=args.tokenizer,
        max_tokens=args.max_tokens,
        format=args.format,
        key_map=key_map_from(args),
        examples=args.examples,
        runner=runner_from(args, progress=not args.quiet),
        backend=args.tokenizer_backend,
        plan=TrainingPlan(
            api_model=args.api_model or None,
            model=args.model or None,
            gpu=args.gpu or None,
            gpus=args.gpus,
            method=args.method,
            epochs=args.epochs,
            batch_size=args.batch_size,
        ),
    )
    out = data.save(args.output)
    pngs = data.save_pngs(args.png) if args.png else []
    if not args.quiet:
        size = out.stat().st_size
        print(
            f"wrote {out} ({_size(size)}): {_count(data.records, 'record')}, "
            f"{_count(data.findings_total, 'finding')}, {_count(len(data.charts()), 'chart')}",
            file=sys.stdout,
        )
        print(f"open it in a browser: file://{out.resolve()}")
        if pngs:
            print(f"wrote {len(pngs)} PNG charts to {args.png}")
    return 0


def _count(n: int, noun: str) -> str:
    """``1 record``, ``2,017 records``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} KB"
